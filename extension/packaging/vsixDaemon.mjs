// Talks to the daemon of an unpacked VSIX over --stdio, as VS Code would: initialize, then
// segment a list of images, one at a time. The packaging's own check (package.mjs) and the
// foreign-platform smoke tests (test/platforms/) both use it.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(fileURLToPath(import.meta.url));

/**
 * `ext` is an unpacked VSIX's `extension/` folder. `command`/`prefixArgs` start Node (this one,
 * or an emulated one, which sees the daemon's path through `mapPath`); the daemon gets
 * `daemonArgs` after `--stdio`. `start(argv)`, when given, starts it instead and resolves to
 * `{ process, stdin, stdout, stderr }` (an emulator whose Node cannot use Unix pipes as stdio).
 * Each image is sent as bytes, never as a path. Returns `{ init, results }`,
 * each result `{ image, mode, width, height, maskPng (Buffer), totalMs }`.
 */
export async function segmentWithVsixDaemon({ ext, command = process.execPath, prefixArgs = [], daemonArgs = [], env = process.env, cwd, images, timeoutMs = 120_000, log = () => undefined, mapPath = (p) => p, start }) {
  const { createMessageConnection, StreamMessageReader, StreamMessageWriter } = require('vscode-jsonrpc/node');
  const argv = [mapPath(path.join(ext, 'dist', 'daemon.js')), '--stdio', ...daemonArgs];
  const io = start ? await start(argv) : spawnStdio(command, [...prefixArgs, ...argv], { cwd, env });
  const child = io.process;
  let stderr = '';
  io.stderr.on('data', (d) => {
    stderr += d;
    log(String(d));
  });
  const exited = new Promise((_, reject) => child.once('exit', (code, signal) => reject(new Error(`the daemon exited (${signal ?? code}) before answering\n${stderr.slice(-4000)}`))));
  exited.catch(() => undefined);
  const conn = createMessageConnection(new StreamMessageReader(io.stdout), new StreamMessageWriter(io.stdin));
  conn.listen();
  const ask = (method, params, what) => {
    let timer;
    const timeout = new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} took over ${timeoutMs / 1000} s\n${stderr.slice(-4000)}`)), timeoutMs)));
    return Promise.race([conn.sendRequest(method, params), timeout, exited]).finally(() => clearTimeout(timer));
  };
  try {
    const init = await ask('initialize', { clientName: 'seglens-package-check', protocolVersion: 1 }, 'initialize');
    const results = [];
    for (const { file, mode } of images) {
      const seg = await ask('seglens/segment', { mode, image: { base64: fs.readFileSync(file).toString('base64') } }, `segmenting ${path.basename(file)} (${mode})`);
      results.push({ image: file, mode, width: seg.width, height: seg.height, maskPng: Buffer.from(seg.maskPng, 'base64'), totalMs: seg.timings.totalMs });
    }
    await ask('shutdown', undefined, 'shutdown').catch(() => undefined);
    return { init, results };
  } finally {
    conn.dispose();
    io.stdin.end();
    // A daemon busy in native code may not see stdin close at once: give it 5 s, then kill it.
    const running = () => child.exitCode === null && child.signalCode === null;
    if (running()) await Promise.race([new Promise((r) => child.once('exit', r)), new Promise((r) => setTimeout(r, 5_000).unref())]);
    if (running()) child.kill('SIGKILL');
  }
}


function spawnStdio(command, argv, opts) {
  const child = spawn(command, argv, { stdio: ['pipe', 'pipe', 'pipe'], ...opts });
  return { process: child, stdin: child.stdin, stdout: child.stdout, stderr: child.stderr };
}
