#!/usr/bin/env node
// adk-redis: moves ADK sessions between session services and erases a user's data.
import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { ConfigurationError } from '../clients/errors.js';
import { copySessions, type CopyReport } from '../migration/copy.js';
import { exportSessions, exportedSource } from '../migration/jsonl.js';
import { forgetUser } from '../migration/forget.js';
import { devMain, DevtoolsMissingError } from '../devtools/commands.js';
import { DEV_COMMANDS, DEV_USAGE, DevUsageError, parseDevCommand, wantsHelp, type DevCommandName } from '../devtools/flags.js';
import { progressBar } from './progress.js';
import { memoryServiceOf, sessionServiceOf, URI_HELP } from './uris.js';

const USAGE = `usage: adk-redis web | api_server | run …   (adk's dev commands on Redis: adk-redis web --help)
       adk-redis sessions copy   --from <uri> --to <uri> --app <name> [--user <id>]
       adk-redis sessions export --from <uri> --app <name> [--user <id>] [--out <file>]
       adk-redis sessions import --to <uri> --app <name> [--user <id>] [--in <file>]
       adk-redis forget-user --url <uri> --app <name> --user <id>

  copy     copies every session of the app (or of one user) with its events and state; run it
           again after an interruption to complete it (nothing is copied twice)
  export   writes the sessions as JSON lines, one session per line (stdout unless --out)
  import   copies sessions from such JSON lines (stdin unless --in) into --to

  forget-user  erases the user's sessions (with what is kept beside them), their user: state and
           every long-term memory of theirs in the app, extracted ones included; prints what it
           removed as JSON. --url is a URI of either backend (below).

  copy and import print a report as JSON and exit 1 when a session could not be copied as it is.
  A progress bar shows on a terminal (stderr).

URIs:
${URI_HELP}`;

class UsageError extends Error {}

function args(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        from: { type: 'string' },
        to: { type: 'string' },
        app: { type: 'string' },
        user: { type: 'string' },
        out: { type: 'string' },
        in: { type: 'string' },
        url: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

function required(values: Record<string, unknown>, name: string): string {
  const v = values[name];
  if (typeof v !== 'string' || !v) throw new UsageError(`--${name} is required`);
  return v;
}

/** Lines of a file, or of stdin. */
function linesOf(file: string | undefined): AsyncIterable<string> {
  return createInterface({ input: file ? createReadStream(file) : process.stdin, crlfDelay: Infinity });
}

function printReport(report: CopyReport): number {
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  return report.problems.length ? 1 : 0;
}

async function run(argv: string[]): Promise<number> {
  if (DEV_COMMANDS.includes(argv[0] as DevCommandName)) {
    if (wantsHelp(argv)) {
      process.stdout.write(`${DEV_USAGE}\n\nURIs:\n${URI_HELP}\n`);
      return 0;
    }
    return devMain(parseDevCommand(argv));
  }
  const { values, positionals } = args(argv);
  if (values.help || !positionals.length) {
    process.stdout.write(`${USAGE}\n`);
    return values.help ? 0 : 2;
  }
  const [group, command] = positionals;
  if (group === 'forget-user' && positionals.length === 1) {
    const url = required(values, 'url');
    const report = await forgetUser({
      sessionService: sessionServiceOf(url),
      memoryService: memoryServiceOf(url),
      appName: required(values, 'app'),
      userId: required(values, 'user'),
    });
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return 0;
  }
  if (group !== 'sessions' || !['copy', 'export', 'import'].includes(command ?? '')) throw new UsageError(`unknown command: ${positionals.join(' ')}`);
  const appName = required(values, 'app');
  const userId = values.user;
  const bar = progressBar();
  const onProgress = (p: { phase: string; done: number; total: number }) => bar.update(p.phase, p.done, p.total);
  try {
    if (command === 'copy') {
      const from = sessionServiceOf(required(values, 'from'));
      const to = sessionServiceOf(required(values, 'to'));
      return printReport(await copySessions({ from, to, appName, ...(userId ? { userId } : {}), onProgress }));
    }
    if (command === 'import') {
      const to = sessionServiceOf(required(values, 'to'));
      return printReport(await copySessions({ from: exportedSource(linesOf(values.in)), to, appName, ...(userId ? { userId } : {}), onProgress }));
    }
    const from = sessionServiceOf(required(values, 'from'));
    const out = values.out ? createWriteStream(values.out) : process.stdout;
    const n = await exportSessions({
      from,
      appName,
      ...(userId ? { userId } : {}),
      // Waits when the output is slower than the source, so memory stays flat.
      write: async (line) => {
        if (!out.write(line)) await once(out, 'drain');
      },
      onProgress: (done) => bar.update('export', done, done),
    });
    if (out !== process.stdout) await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
    process.stderr.write(`exported ${n} session(s)\n`);
    return 0;
  } finally {
    bar.end();
  }
}

run(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    if (e instanceof DevUsageError) {
      process.stderr.write(`adk-redis: ${e.message}\n(adk-redis ${process.argv[2]} --help lists the options)\n`);
      process.exit(2);
    }
    const usage = e instanceof UsageError;
    const message =
      e instanceof ConfigurationError || e instanceof DevtoolsMissingError || usage ? e.message : e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    process.stderr.write(`adk-redis: ${message}\n${usage ? `${USAGE}\n` : ''}`);
    process.exit(usage ? 2 : 1);
  },
);
