// Entry point of `node dist/daemon.js`: parses the command line and runs a DaemonProcess
// (process/daemonProcess.ts), which builds the daemon and serves it on stdio or a per-user
// socket. Logs go to stderr only: stdout is a transport.
import { ExitCodes } from './api/constants';
import { parseArgs } from './server/cli';
import { CliError } from './server/cliError';
import { DaemonProcess } from './process/daemonProcess';
import { captureConsole, makeLogger } from './process/logger';
import { ListenError } from './transport/socketServer';

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const log = makeLogger(args.logLevel);
  // Nothing may reach stdout by accident: in --stdio it carries the protocol.
  captureConsole(log);
  const daemon = await DaemonProcess.create(args, log);
  process.on('SIGTERM', () => void daemon.stop(0, 'SIGTERM'));
  process.on('SIGINT', () => void daemon.stop(0, 'SIGINT'));
  await daemon.start();
}

main().catch((e) => {
  // A bad option or --models file, or a socket another daemon holds: a message and its exit code.
  if (e instanceof CliError || e instanceof ListenError) {
    process.stderr.write(`${e.message}\n`);
    process.exit(e.exitCode);
  }
  process.stderr.write(`SegLens daemon failed to start: ${(e as Error).stack ?? e}\n`);
  process.exit(ExitCodes.Failed);
});
