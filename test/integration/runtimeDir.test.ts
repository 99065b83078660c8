// Issue #13, item 1: the shared daemon's runtime folder is private and checked on both sides.
// Never a folder under the shared temporary directory; a symbolic link, a folder open to others
// or not ours is refused by the daemon before it listens and by the client before it connects.
// (Folders and sockets of another user: access.test.ts, which creates one.)
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { connectSocket } from '../../daemon/api/client';
import { runtimeDir, runtimeRecordFile } from '../../daemon/api/paths';
import { ListeningDaemon, startListening, tempDir } from '../helpers/daemonProcess';
import { daemonJs } from '../helpers/repo';

let base: string;
before(() => (base = tempDir('seglens-rt-')));
after(() => fs.rmSync(base, { recursive: true, force: true }));

/** Runs `fn` with these environment variables (undefined: unset), then restores them. */
function withEnv<T>(vars: Record<string, string | undefined>, fn: () => T): T {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  const set = (v: Record<string, string | undefined>) => {
    for (const [k, x] of Object.entries(v)) if (x === undefined) delete process.env[k];
    else process.env[k] = x;
  };
  set(vars);
  try {
    return fn();
  } finally {
    set(saved);
  }
}

test('runtime folder: $XDG_RUNTIME_DIR/seglens, else ~/.cache/seglens/run, never the shared temporary folder', () => {
  const home = path.join(base, 'h');
  fs.mkdirSync(home);
  const xdg = withEnv({ XDG_RUNTIME_DIR: '/run/user/4242', HOME: home, XDG_CACHE_HOME: undefined }, runtimeDir);
  assert.equal(xdg, '/run/user/4242/seglens');
  const dir = withEnv({ XDG_RUNTIME_DIR: undefined, HOME: home, XDG_CACHE_HOME: undefined }, runtimeDir);
  assert.equal(dir, path.join(home, '.cache', 'seglens', 'run'));
  assert.equal(fs.lstatSync(dir).mode & 0o777, 0o700);
  assert.notEqual(path.dirname(dir), os.tmpdir(), 'not directly under the shared temporary folder');
});

test('runtime folder: a home too deep for a socket path gets a mkdtemp folder, recorded in a 0600 file and reused', () => {
  const home = path.join(base, 'x'.repeat(40), 'y'.repeat(40));
  fs.mkdirSync(home, { recursive: true });
  const env = { XDG_RUNTIME_DIR: undefined, HOME: home, XDG_CACHE_HOME: undefined };
  const first = withEnv(env, runtimeDir);
  const record = withEnv(env, runtimeRecordFile);
  try {
    assert.match(path.basename(first), /^seglens-run-/);
    const st = fs.lstatSync(first);
    assert.ok(st.isDirectory() && !st.isSymbolicLink());
    assert.equal(st.mode & 0o777, 0o700);
    assert.equal(fs.lstatSync(record).mode & 0o777, 0o600);
    assert.equal(fs.readFileSync(record, 'utf8'), first);
    assert.equal(withEnv(env, runtimeDir), first, 'every window finds the same folder');
    // A record someone could have written (0644) is not trusted: a fresh folder replaces it.
    fs.chmodSync(record, 0o644);
    const second = withEnv(env, runtimeDir);
    assert.notEqual(second, first);
    assert.equal(fs.readFileSync(record, 'utf8'), second);
    fs.rmSync(second, { recursive: true, force: true });
  } finally {
    fs.rmSync(first, { recursive: true, force: true });
  }
});

/** Starts `--listen socketPath`; resolves with its exit code and stderr, or 'listening' if the socket appeared. */
async function tryListen(socketPath: string): Promise<{ outcome: number | 'listening'; stderr: string; ms: number }> {
  const t0 = performance.now();
  const child = spawn(process.execPath, [daemonJs, '--listen', socketPath, '--cache-dir', path.join(base, 'cache')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  for (let i = 0; i < 400 && child.exitCode === null; i++) {
    if (/listening on/.test(stderr)) {
      child.kill('SIGKILL');
      await exited;
      return { outcome: 'listening', stderr, ms: performance.now() - t0 };
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  if (child.exitCode === null) child.kill('SIGKILL');
  return { outcome: (await exited) ?? -1, stderr, ms: performance.now() - t0 };
}

test('the daemon refuses a runtime folder that is a symbolic link (exit 2, path and cause named), even to a folder of ours', async (t) => {
  const real = path.join(base, 'real');
  fs.mkdirSync(real, { mode: 0o700 });
  const link = path.join(base, 'run-link');
  fs.symlinkSync(real, link);
  const r = await tryListen(path.join(link, 'daemon.sock'));
  t.diagnostic(`time to refusal (daemon process start included): ${r.ms.toFixed(0)} ms`);
  assert.equal(r.outcome, 2, r.stderr);
  assert.match(r.stderr, new RegExp(`refusing to listen in ${link}: it is a symbolic link \\(to ${real}\\)`));
  assert.deepEqual(fs.readdirSync(real), [], 'nothing was created through the link');
  // A shared folder (sticky, writable by all: /tmp itself) is refused too, never tightened.
  const shared = path.join(base, 'shared');
  fs.mkdirSync(shared);
  fs.chmodSync(shared, 0o1777);
  const s = await tryListen(path.join(shared, 'daemon.sock'));
  assert.equal(s.outcome, 2, s.stderr);
  assert.match(s.stderr, /is a shared folder/);
  assert.equal(fs.statSync(shared).mode & 0o7777, 0o1777, 'left as it was');
});

test('the client refuses to connect through a symbolic link or to a folder open to others; the daemon keeps serving', async (t) => {
  let d: ListeningDaemon | undefined;
  try {
    d = await startListening([], { socketPath: path.join(base, 'served', 'daemon.sock') });
    const dir = path.dirname(d.socketPath);
    const link = path.join(base, 'served-link');
    fs.symlinkSync(dir, link);
    const t0 = performance.now();
    const err = await connectSocket(path.join(link, 'daemon.sock')).then(
      (c) => (c.dispose(), undefined),
      (e: NodeJS.ErrnoException) => e,
    );
    t.diagnostic(`time to refusal: ${(performance.now() - t0).toFixed(1)} ms`);
    assert.ok(err, 'connected through a symbolic link');
    assert.equal(err.code, 'EUNSAFE');
    assert.match(err.message, new RegExp(`refusing to connect to ${link}/daemon.sock: its folder ${link} is a symbolic link`));
    fs.chmodSync(dir, 0o755);
    await assert.rejects(connectSocket(d.socketPath), /its folder .* has mode 0755, not 0700/);
    fs.chmodSync(dir, 0o700);
    const c = await d.connect('after');
    assert.equal((await c.status()).pid, d.child.pid, 'the daemon still serves');
    c.dispose();
  } finally {
    await d?.stop();
  }
});
