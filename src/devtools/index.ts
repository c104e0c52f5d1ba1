// adk-redis/devtools: ADK's dev server and terminal runner (@google/adk-devtools) on this
// package's services, as `adk-redis web | api_server | run` uses them.
export { startDevServer, runDevAgent, DevtoolsMissingError, type RunningDevServer } from './commands.js';
export {
  parseDevCommand,
  DevUsageError,
  type DevCommand,
  type DevCommandName,
  type DevCommonOptions,
  type DevLogLevel,
  type DevRunCommand,
  type DevServeCommand,
} from './flags.js';
export type { DevServices } from './services.js';
