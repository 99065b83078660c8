// `seglens` (package.json bin, `npm run seglens -- …`): segment folders with scores and
// exports (`segment`), and look at the shared daemon (`status`, `metrics`, `unload`).
// Exit codes: 0 ok, 1 some image failed (or no daemon for status/metrics/unload), 2 usage, 130 interrupted.
import { CancellationTokenSource } from 'vscode-jsonrpc/node';
import { ResponseError } from 'vscode-jsonrpc/node';
import { ErrorCodes } from '../api/protocol';
import { parseCommand, USAGE, UsageError } from './cli/args';
import { metricsCommand, statusCommand, unloadCommand } from './cli/daemonCommands';
import { removePending } from './cli/outputs';
import { runSegment } from './cli/segmentRun';
import { shown } from './cli/terminal';

async function main(argv: string[]): Promise<number> {
  const cmd = parseCommand(argv);
  switch (cmd.kind) {
    case 'help':
      process.stdout.write(USAGE + '\n');
      return 0;
    case 'status':
      return statusCommand();
    case 'metrics':
      return metricsCommand();
    case 'unload':
      return unloadCommand(cmd.mode);
    case 'segment': {
      const cancel = new CancellationTokenSource();
      // First Ctrl-C: stop after the image under way (its outputs complete); second: now.
      process.on('SIGINT', () => {
        if (cancel.token.isCancellationRequested) {
          removePending();
          process.exit(130);
        }
        process.stderr.write('\nseglens: stopping (Ctrl-C again to quit at once)\n');
        cancel.cancel();
      });
      process.on('SIGTERM', () => cancel.cancel());
      return runSegment(cmd.options, cancel);
    }
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    if (e instanceof UsageError) {
      process.stderr.write(`seglens: ${shown(e.message)}\n\n${USAGE}\n`);
      process.exit(2);
    }
    if (e instanceof ResponseError && e.code === ErrorCodes.InvalidParams) {
      process.stderr.write(`seglens: ${shown(e.message)}\n`);
      process.exit(2);
    }
    process.stderr.write(`seglens: ${shown(e instanceof Error ? e.message : String(e))}\n`);
    process.exit(1);
  },
);
