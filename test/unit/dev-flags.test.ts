import { describe, expect, it } from 'vitest';
import { DevUsageError, parseDevCommand } from '../../src/devtools/flags.js';

describe('adk-redis web | api_server | run: the flags of adk', () => {
  it("takes adk's defaults: the working directory, localhost:8000, info, compile and bundle on", () => {
    expect(parseDevCommand(['web'], '/home/me/agents')).toEqual({
      command: 'web',
      agentsDir: '/home/me/agents',
      host: 'localhost',
      port: 8000,
      allowOrigins: '',
      a2a: false,
      logLevel: 'info',
      otelToCloud: false,
      agentFileLoadOptions: { compile: true, bundle: true },
      reloadAgents: false,
    });
  });

  it('reads short and long forms, = and spaced values, and the optional booleans as adk does', () => {
    const cmd = parseDevCommand(
      [
        'api_server',
        '-h',
        '0.0.0.0',
        '-p',
        '9000',
        '--allow_origins=http://a',
        '--compile',
        'false',
        '--bundle=0',
        '--reload_agents',
        '--a2a',
        'agents',
        '-v',
        '--file_type',
        'ESM',
      ],
      '/cwd',
    );
    expect(cmd).toMatchObject({
      command: 'api_server',
      agentsDir: 'agents',
      host: '0.0.0.0',
      port: 9000,
      allowOrigins: 'http://a',
      a2a: true,
      reloadAgents: true,
      logLevel: 'debug',
      agentFileLoadOptions: { compile: false, bundle: false, moduleType: 'esm' },
    });
  });

  it("passes both URIs through and reads run's own flags", () => {
    expect(
      parseDevCommand([
        'run',
        'agent.ts',
        '--session_service_uri',
        'agent-memory-server+http://h:8000',
        '--memory_service_uri=memory://',
        '--replay',
        'in.json',
        '--save_session',
        '--session_id',
        's1',
        '--log_level',
        'WARN',
      ]),
    ).toMatchObject({
      command: 'run',
      agentPath: 'agent.ts',
      sessionServiceUri: 'agent-memory-server+http://h:8000',
      memoryServiceUri: 'memory://',
      replay: 'in.json',
      saveSession: true,
      sessionId: 's1',
      logLevel: 'warn',
    });
  });

  it.each([
    [['web', '--sesion_service_uri', 'x'], '--sesion_service_uri is not an option of adk-redis web'],
    [['run', 'a.ts', '--port', '1'], '--port is not an option of adk-redis run'],
    [['run', 'a.ts', '-h', 'x'], '-h is not an option of adk-redis run'],
    [['web', '--port', '70000'], '--port must be a whole number from 0 to 65535 (got "70000")'],
    [['web', '--port', '-1'], '--port must be a whole number from 0 to 65535 (got "-1")'],
    [['web', '--session_service_uri'], '--session_service_uri needs a value'],
    [['web', '--session_service_uri', '--port', '1'], '--session_service_uri needs a value'],
    [['web', '--session_service_uri', ' '], '--session_service_uri must not be empty'],
    [['web', '--compile=maybe'], '--compile must be true, false, 1 or 0 (got "maybe")'],
    [['web', '--log_level', 'loud'], '--log_level must be one of debug, info, warn, error (got "loud")'],
    [['web', '--file_type', 'umd'], '--file_type must be one of cjs, esm (got "umd")'],
    [['web', '--verbose=yes'], '--verbose takes no value'],
    [['web', 'a', 'b'], 'web takes one agents folder (or agent file), got 2: a b'],
    [['run'], 'run needs <agent>: the agent file (.js or .ts)'],
    [['run', 'a.ts', '--replay', 'r.json', '--resume', 's.json'], '--replay and --resume cannot be used together'],
  ])('refuses %j: %s', (argv, message) => {
    expect(() => parseDevCommand(argv)).toThrow(DevUsageError);
    expect(() => parseDevCommand(argv)).toThrow(message);
  });
});
