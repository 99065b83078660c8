// A second local user for access tests (`useradd`, commands run through `runuser`). Needs Linux
// and root; CI runs as root, so there a missing piece is a failure, not a skip (issue #13).
import assert from 'node:assert/strict';
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { TestContext } from 'node:test';
import { daemonJs } from './repo';

export const PROBE_USER = 'seglens-probe';

const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

/** Why a probe user cannot be had here, or undefined. */
function missing(): string | undefined {
  if (process.platform !== 'linux') return 'Linux only (runuser, Unix socket permissions)';
  if (process.getuid?.() !== 0) return 'needs root: it creates a second user and runs commands as that user';
  if (!has('useradd') || !has('runuser')) return 'needs useradd and runuser (util-linux)';
  return undefined;
}

/**
 * Creates the probe user if needed and returns its uid and a cleanup; skips the test where that
 * is impossible, except under CI=true where it fails.
 */
export function probeUserOrSkip(t: TestContext): { uid: number; cleanup: () => void } | undefined {
  const why = missing();
  if (why) {
    if (process.env.CI === 'true') assert.fail(`CI must run this test: ${why}`);
    t.skip(why);
    return undefined;
  }
  let created = false;
  if (spawnSync('id', ['-u', PROBE_USER]).status !== 0) {
    const r = spawnSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', PROBE_USER], { encoding: 'utf8' });
    assert.equal(r.status, 0, `useradd: ${r.stderr}`);
    created = true;
  }
  const uid = Number(spawnSync('id', ['-u', PROBE_USER], { encoding: 'utf8' }).stdout.trim());
  return { uid, cleanup: () => void (created && spawnSync('userdel', [PROBE_USER])) };
}

/** Runs `node -e script ...args` as the probe user and waits for it; returns its stdout. */
export function nodeAs(script: string, args: string[]): string {
  const r = spawnSync('runuser', ['-u', PROBE_USER, '--', process.execPath, '-e', script, ...args], { encoding: 'utf8', timeout: 15_000, cwd: '/' });
  if (r.status !== 0) throw new Error(`runuser failed (${r.status}): ${r.stderr}`);
  return r.stdout.trim();
}

/**
 * A fake daemon run by the probe user: a Unix socket server at `socketPath` that accepts any
 * connection and records what it receives. Resolves once it listens; stop() ends it.
 */
export async function fakeDaemonAs(socketPath: string): Promise<{ child: ChildProcess; received: () => string; stop: () => Promise<void> }> {
  const script = [
    "const net=require('net');",
    "const srv=net.createServer((s)=>s.on('data',(d)=>process.stdout.write('got:'+d.length+'\\n')));",
    "srv.listen(process.argv[1],()=>process.stdout.write('listening\\n'));",
    "process.stdin.on('end',()=>process.exit(0));process.stdin.resume();",
  ].join('');
  const child = spawn('runuser', ['-u', PROBE_USER, '--', process.execPath, '-e', script, socketPath], { stdio: ['pipe', 'pipe', 'pipe'], cwd: '/' });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const deadline = Date.now() + 15_000;
  while (!out.includes('listening')) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the probe user's fake daemon did not start: ${err}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    child,
    received: () => out,
    stop: async () => {
      child.stdin!.end();
      const t = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(t);
    },
  };
}

/**
 * The daemon's bundles (dist/*.js) copied into `dir`, a folder the probe user can read, wherever
 * the clone lives (root's home is 0700: the probe user cannot read the clone's dist/). Returns
 * the copy's daemon.js. Only the bundles: the native modules stay behind, so the copy's engine
 * cannot start (what the probe-user tests check happens before it: the socket, the lock).
 */
export function probeReadableDaemon(dir: string): string {
  const dist = path.join(dir, 'dist');
  fs.mkdirSync(dist, { recursive: true, mode: 0o755 });
  for (const f of ['daemon.js', 'engineWorker.js', 'decodeWorker.js', 'hashWorker.js']) {
    const from = path.join(path.dirname(daemonJs), f);
    if (fs.existsSync(from)) fs.copyFileSync(from, path.join(dist, f));
  }
  for (const p of [dir, dist]) fs.chmodSync(p, 0o755);
  for (const f of fs.readdirSync(dist)) fs.chmodSync(path.join(dist, f), 0o644);
  return path.join(dist, 'daemon.js');
}
