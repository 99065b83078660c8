// Entry point of `node dist/daemon.js`: parses the command line and runs a DaemonProcess
// (process/daemonProcess.ts), which builds the daemon and serves it on stdio or a per-user
// socket. Logs go to stderr only: stdout is a transport.
// This module imports only what parsing and the early engine fork need: the rest of the
// daemon (the protocol, libvips, the registry) loads after the fork, beside the engine's start.
import { ExitCodes } from './api/constants';
import { defaultHostKind, defaultEngineScript, forkEarly } from './engine/host/engineHosts';
import { parseArgs } from './api/daemonCli';
import { CliError } from './api/cliError';
import { engineSetup } from './process/engineSetup';
import { captureConsole, makeLogger } from './process/logger';
import { ListenError } from './transport/socketServer';

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const log = makeLogger(args.logLevel);
  // Nothing may reach stdout by accident: in --stdio it carries the protocol.
  captureConsole(log);
  const setup = engineSetup(args, log);
  // A shared daemon (--listen) is started ahead of its first request, by VS Code or the CLI: its
  // engine starts now, so that the first preview does not wait for it (issue #14, P11). A
  // --stdio daemon (one client, often one request) starts its engine on demand.
  const early = args.transport.kind === 'listen' && defaultHostKind() === 'process' ? forkEarly(defaultEngineScript(), setup.init) : undefined;
  const { DaemonProcess } = await import('./process/daemonProcess');
  const daemon = await DaemonProcess.create(args, log, { setup, early });
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
