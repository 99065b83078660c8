// Issue #7 and #13, access: only the user who runs the daemon can reach it, a client trusts only
// a socket of its own user in a private folder, it opens no network port, and the preview
// webview's CSP allows nothing but our nonce'd script.
// Covered elsewhere: socket 0600 in a 0700 folder, tightened if looser (transport.test.ts);
// custom models from an untrusted workspace are not sent to the daemon (test/unit/
// modeDefinitions.test.ts, definePlan; the warning itself is extension/models/customModels.ts).
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { connectSocket, DaemonClient } from '../../daemon/api/client';
import { tryConnectShared } from '../../extension/daemon/daemonLauncher';
import { ListeningDaemon, startListening, tempDir } from '../helpers/daemonProcess';
import { fakeDaemonAs, nodeAs, PROBE_USER, probeReadableDaemon, probeUserOrSkip } from '../helpers/probeUser';
import { daemonJs } from '../helpers/repo';
import { FakeUri, fakeWebview, installFakeVscode } from '../helpers/fakeVscodeModule';

let daemon: ListeningDaemon;
let client: DaemonClient;
let base: string;

before(async () => {
  // base (0711: others may pass through) / run (the daemon makes it 0700) / daemon.sock (0600)
  base = tempDir('seglens-access-');
  fs.chmodSync(base, 0o711);
  daemon = await startListening({ warmupIterations: 1 }, { socketPath: path.join(base, 'run', 'daemon.sock') });
  client = await daemon.connect('access');
  await client.ensureReady('text'); // the engine worker and ONNX Runtime are up too
});
after(async () => {
  client?.dispose();
  await daemon?.stop();
  if (base) fs.rmSync(base, { recursive: true, force: true });
});

const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

/** Connects to `socketPath` as the probe user; returns 'connected' or the error code (EACCES...). */
function connectAs(socketPath: string): string {
  return nodeAs("const s=require('net').connect(process.argv[1]);s.on('connect',()=>{console.log('connected');s.destroy()});s.on('error',(e)=>console.log(e.code))", [socketPath]);
}

test('a client running as another user is refused (EACCES)', async (t) => {
  const probe = probeUserOrSkip(t);
  if (!probe) return;
  const sock = daemon.socketPath;
  const dir = path.dirname(sock);
  try {
    assert.equal(fs.statSync(dir).mode & 0o777, 0o700);
    assert.equal(fs.statSync(sock).mode & 0o777, 0o600);
    assert.equal(connectAs(sock), 'EACCES', 'the 0700 folder keeps the other user out');
    // Each layer holds on its own: with the folder opened for passing through, the 0600 socket refuses.
    fs.chmodSync(dir, 0o711);
    assert.equal(connectAs(sock), 'EACCES', 'the 0600 socket keeps the other user out');
    // Control: the probe really can connect when the socket lets it (so EACCES above is the permission).
    fs.chmodSync(sock, 0o666);
    assert.equal(connectAs(sock), 'connected', 'control: a socket open to all accepts the probe');
  } finally {
    fs.chmodSync(sock, 0o600);
    fs.chmodSync(dir, 0o700);
    probe.cleanup();
  }
  assert.ok((await client.status()).pid > 0, 'the daemon still serves its own user');
});

/** Expects connectSocket to refuse `sock` (EUNSAFE) with a message matching `why`; returns ms to refusal. */
async function assertRefused(sock: string, why: RegExp): Promise<number> {
  const t0 = performance.now();
  const err = await connectSocket(sock).then(
    (c) => {
      c.dispose();
      return undefined;
    },
    (e: NodeJS.ErrnoException) => e,
  );
  const ms = performance.now() - t0;
  assert.ok(err, `the client connected to ${sock}`);
  assert.equal(err.code, 'EUNSAFE', err.message);
  assert.ok(err.message.includes(sock), `the message names the path: ${err.message}`);
  assert.match(err.message, why);
  return ms;
}

test("issue #13: the client refuses a socket in another user's folder, and another user's socket in its own folder", async (t) => {
  const probe = probeUserOrSkip(t);
  if (!probe) return;
  // base (0711) / theirs (the probe user's, 0700) / daemon.sock: a fake daemon squatting the path.
  const theirs = path.join(base, 'theirs');
  fs.mkdirSync(theirs, { mode: 0o700 });
  fs.chownSync(theirs, probe.uid, probe.uid);
  const mine = path.join(base, 'mine');
  fs.mkdirSync(mine, { mode: 0o777 });
  fs.chmodSync(mine, 0o777); // open only while the probe user plants its socket
  const fakes = [await fakeDaemonAs(path.join(theirs, 'daemon.sock')), await fakeDaemonAs(path.join(mine, 'daemon.sock'))];
  try {
    fs.chmodSync(mine, 0o700);
    const ms1 = await assertRefused(path.join(theirs, 'daemon.sock'), new RegExp(`${theirs}.*belongs to user ${probe.uid}, not to you`));
    const ms2 = await assertRefused(path.join(mine, 'daemon.sock'), new RegExp(`it belongs to user ${probe.uid}, not to you`));
    t.diagnostic(`time to refusal: ${ms1.toFixed(1)} ms (their folder), ${ms2.toFixed(1)} ms (their socket in our folder)`);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(fakes.map((f) => f.received()).join('').includes('got:'), false, 'nothing reached the fake daemons');
    // The extension's launcher surfaces the refusal instead of treating it as "nobody listens".
    await assert.rejects(tryConnectShared(path.join(theirs, 'daemon.sock')), /belongs to user/);
  } finally {
    await Promise.all(fakes.map((f) => f.stop()));
    probe.cleanup();
  }
  assert.ok((await client.status()).pid > 0, 'the daemon still serves its own user');
});

test("issue #13: the daemon refuses to listen in a folder owned by another user (exit 2, path named)", async (t) => {
  const probe = probeUserOrSkip(t);
  if (!probe) return;
  const theirs = path.join(base, 'theirs-listen');
  fs.mkdirSync(theirs, { mode: 0o700 });
  fs.chownSync(theirs, probe.uid, probe.uid);
  try {
    const r = spawnSync(process.execPath, [daemonJs, '--listen', path.join(theirs, 'd.sock'), '--cache-dir', path.join(base, 'c2')], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, new RegExp(`refusing to listen in ${theirs}: it belongs to user ${probe.uid}`));
    assert.equal(fs.existsSync(path.join(theirs, 'd.sock')), false);
  } finally {
    probe.cleanup();
  }
  assert.ok((await client.status()).pid > 0, 'the daemon still serves its own user');
});

test("issue #13: a stale lock whose pid now belongs to another user's process (EPERM) is taken over", async (t) => {
  const probe = probeUserOrSkip(t);
  if (!probe) return;
  // The probe user runs the daemon; its lock names a pid of root's (this test): kill(pid, 0) gives EPERM.
  const home = path.join(base, 'probe-home');
  const run = path.join(home, 'run');
  fs.mkdirSync(run, { recursive: true, mode: 0o700 });
  const sock = path.join(run, 'daemon.sock');
  fs.writeFileSync(`${sock}.lock`, String(process.pid));
  for (const p of [home, run, `${sock}.lock`]) fs.chownSync(p, probe.uid, probe.uid);
  const t0 = performance.now();
  // The probe user runs a copy of the daemon it can read (the clone may live in a 0700 folder).
  const probeDaemon = probeReadableDaemon(path.join(base, 'probe-daemon'));
  const child = spawn('runuser', ['-u', PROBE_USER, '--', process.execPath, probeDaemon, '--listen', sock, '--cache-dir', path.join(home, 'cache'), '--idle-exit-seconds', '2'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    cwd: '/',
  });
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  try {
    for (let i = 0; i < 600 && child.exitCode === null && !/listening on/.test(err); i++) await new Promise((r) => setTimeout(r, 50));
    t.diagnostic(`outcome after ${(performance.now() - t0).toFixed(0)} ms: ${/listening on/.test(err) ? 'listening' : `exit ${child.exitCode}`}`);
    assert.match(err, /listening on/, `the daemon took the stale lock over: ${err}`);
    assert.equal(fs.statSync(sock).uid, probe.uid);
  } finally {
    child.kill('SIGTERM');
    await exited;
    probe.cleanup();
  }
  assert.ok((await client.status()).pid > 0, 'the daemon still serves its own user');
});

/** Socket inodes held open by a process (its threads share the table). */
function socketInodes(pid: number): Set<string> {
  const out = new Set<string>();
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) out.add(m[1]);
    } catch {
      /* closed meanwhile */
    }
  }
  return out;
}

test('the daemon opens no TCP or UDP port (only its Unix socket)', async (t) => {
  if (process.platform !== 'linux') return t.skip('reads /proc (Linux)');
  const pid = daemon.child.pid!;
  const inodes = socketInodes(pid);
  assert.ok(inodes.size > 0, 'the daemon has sockets (its listening socket, the client connection)');
  // Control: the inode mapping finds the daemon's listening Unix socket under its path.
  const unix = fs.readFileSync('/proc/net/unix', 'utf8').split('\n').slice(1);
  assert.ok(
    unix.some((l) => {
      const f = l.trim().split(/\s+/);
      return inodes.has(f[6]) && f[7] === daemon.socketPath;
    }),
    'the daemon is listening on its Unix socket',
  );
  for (const table of ['tcp', 'tcp6', 'udp', 'udp6']) {
    const file = `/proc/${pid}/net/${table}`;
    if (!fs.existsSync(file)) continue;
    const mine = fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .slice(1)
      .map((l) => l.trim().split(/\s+/))
      .filter((f) => f.length > 9 && inodes.has(f[9]));
    assert.deepEqual(mine, [], `no ${table} socket belongs to the daemon`);
  }
  if (has('ss')) {
    const ss = spawnSync('ss', ['-H', '-ltunp'], { encoding: 'utf8' });
    const lines = ss.stdout.split('\n').filter((l) => l.includes(`pid=${pid},`));
    assert.deepEqual(lines, [], 'ss lists no listening TCP/UDP port of the daemon');
  }
});

test("the preview webview's CSP: default-src 'none', scripts only by a fresh nonce, nothing inline", async () => {
  installFakeVscode();
  const { previewHtml } = await import('../../extension/preview/previewHtml');
  const ext = new FakeUri('/ext');
  const evil = { opacity: 0.5, note: '"></body><script>alert(1)</script>' } as unknown as Parameters<typeof previewHtml>[2];
  const html = previewHtml(fakeWebview as never, ext as never, evil);
  const html2 = previewHtml(fakeWebview as never, ext as never, { opacity: 0.5 });

  const metas = [...html.matchAll(/<meta\s+http-equiv="Content-Security-Policy"\s+content="([^"]*)"/gi)];
  assert.equal(metas.length, 1, 'one CSP meta tag');
  const directives = new Map(
    metas[0][1]
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .filter((d) => d[0])
      .map((d) => [d[0], d.slice(1)]),
  );
  assert.deepEqual(directives.get('default-src'), ["'none'"]);
  const script = directives.get('script-src')!;
  assert.equal(script.length, 1, `script-src is the nonce alone: ${script}`);
  const nonce = /^'nonce-([A-Za-z0-9+/=]+)'$/.exec(script[0])?.[1];
  assert.ok(nonce && Buffer.from(nonce, 'base64').length >= 16, 'a nonce of at least 128 bits');
  for (const [name, sources] of directives) {
    for (const s of sources) assert.ok(!/unsafe-|^\*$|^https?:$|^http:/.test(s), `${name} allows ${s}`);
  }
  assert.deepEqual(directives.get('img-src'), [fakeWebview.cspSource, 'data:', 'blob:']);
  assert.deepEqual(directives.get('style-src'), [fakeWebview.cspSource]);
  assert.ok(!directives.has('connect-src') && !directives.has('frame-src'), 'no network or frames beyond default-src none');

  const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)];
  assert.equal(scripts.length, 1, 'one script element: the injected settings did not add one');
  assert.match(scripts[0][1], new RegExp(`nonce="${nonce!.replace(/[+/=]/g, (c) => `\\${c}`)}"`));
  assert.match(scripts[0][1], /src="https:\/\/file\+\.vscode-resource\.vscode-cdn\.net\/ext\/dist\/webview\.js"/);
  assert.equal(scripts[0][2].trim(), '', 'no inline script body');
  assert.ok(!/\son[a-z]+\s*=/i.test(html), 'no inline event handlers');
  assert.ok(!/style="/i.test(html), 'no inline styles');
  const nonce2 = /'nonce-([^']+)'/.exec(html2)![1];
  assert.notEqual(nonce2, nonce, 'a fresh nonce per page');
  // The settings ride in a data attribute, escaped.
  const attr = /data-settings="([^"]*)"/.exec(html)![1];
  const decoded = JSON.parse(attr.replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&amp;/g, '&'));
  assert.equal(decoded.note, evil && (evil as unknown as { note: string }).note);
});
