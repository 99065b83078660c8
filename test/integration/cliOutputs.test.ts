// `seglens segment` against a hostile output tree and hostile names (issue #20): a symbolic link
// to a folder inside --out, a file that appears between the CLI's check and its write (made to
// appear, deterministically, by a proxy between the CLI and the daemon that creates it just
// before it passes the daemon's answer on), names with escape sequences (the CLI's output holds
// no raw control byte) and names a spreadsheet would run as formulas (the CSV report).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Report } from '../../daemon/api/folder/report';
import { listFiles, runCli } from '../helpers/cli';
import { ListeningDaemon, startListening, tempDir } from '../helpers/daemonProcess';
import { samplesDir } from '../helpers/repo';

const MODE = 'fast';
let daemon: ListeningDaemon;
let base: string;
let env: Record<string, string>;

before(async () => {
  daemon = await startListening(['--warmup-iterations', '1']);
  base = tempDir('seglens-cli-out-');
  env = { SEGLENS_SOCKET: daemon.socketPath, XDG_CACHE_HOME: path.join(base, 'cache') };
});

after(async () => {
  await daemon?.stop();
  if (base && !process.env.KEEP) fs.rmSync(base, { recursive: true, force: true });
});

const at = (...p: string[]) => path.join(base, ...p);
const readJson = <T>(file: string) => JSON.parse(fs.readFileSync(file, 'utf8')) as T;

/** A folder of copies of the small sample image, at these relative paths. */
function dataset(name: string, rels: string[]): string {
  for (const rel of rels) {
    fs.mkdirSync(path.dirname(at(name, rel)), { recursive: true });
    fs.copyFileSync(path.join(samplesDir, 'text.png'), at(name, rel));
  }
  return at(name);
}

/** Content-Length frames, parsed one at a time from a byte stream. */
function frames(onFrame: (raw: Buffer, msg: { id?: number; method?: string; params?: { image?: { path?: string } }; result?: unknown }) => void): (chunk: Buffer) => void {
  let buf = Buffer.alloc(0);
  return (chunk) => {
    buf = Buffer.concat([buf, chunk]);
    for (;;) {
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const len = Number(/Content-Length: *(\d+)/i.exec(buf.subarray(0, end).toString('ascii'))?.[1]);
      if (buf.length < end + 4 + len) return;
      const raw = buf.subarray(0, end + 4 + len);
      buf = buf.subarray(end + 4 + len);
      onFrame(raw, JSON.parse(raw.subarray(end + 4).toString('utf8')));
    }
  };
}

/**
 * A socket that forwards to the daemon; `beforeAnswer(image)` runs before the first answer to a
 * `seglens/segment` request reaches the CLI: after the CLI's check, before its write.
 */
async function proxy(socketPath: string, beforeAnswer: (image: string) => void): Promise<net.Server> {
  let fired = false;
  const server = net.createServer((cli) => {
    const up = net.connect(daemon.socketPath);
    const segments = new Map<number, string>();
    cli.on('data', frames((raw, m) => {
      if (m.method === 'seglens/segment' && m.id !== undefined && m.params?.image?.path) segments.set(m.id, m.params.image.path);
      up.write(raw);
    }));
    up.on('data', frames((raw, m) => {
      const image = m.id !== undefined && m.result ? segments.get(m.id) : undefined;
      if (image && !fired) {
        fired = true;
        beforeAnswer(image);
      }
      cli.write(raw);
    }));
    const close = () => (cli.destroy(), up.destroy());
    cli.on('close', close).on('error', close);
    up.on('close', close).on('error', close);
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  fs.chmodSync(socketPath, 0o600);
  return server;
}

/** Bytes a terminal would act on: every control character but the newline. */
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

describe('seglens segment writes only under --out, and never replaces a file', () => {
  it('a symbolic link to a folder inside --out is refused per file; nothing lands where it points; the rest is written', async () => {
    const input = dataset('linked-in', ['top.png', 'images/a.png', 'images/b.png']);
    const elsewhere = at('elsewhere');
    fs.mkdirSync(elsewhere);
    fs.mkdirSync(at('linked-out'));
    fs.symlinkSync(elsewhere, at('linked-out', 'images'));
    const r = await runCli(['segment', input, '--mode', MODE, '--out', at('linked-out'), '--gt', 'none', '--format', 'mask,binary', '--report', at('linked.json')], env);
    assert.equal(r.code, 1, r.stderr);
    assert.deepEqual(fs.readdirSync(elsewhere), [], 'nothing written through the link');
    assert.deepEqual(listFiles(at('linked-out')).filter((f) => !f.startsWith('images')), ['top.binary.png', 'top.mask.png']);
    const rep = readJson<Report>(at('linked.json'));
    assert.deepEqual(rep.images.map((i) => [i.path, i.error?.code]), [['images/a.png', 2002], ['images/b.png', 2002], ['top.png', undefined]]);
    for (const i of rep.images.filter((e) => e.error)) assert.match(i.error!.message, /linked-out\/images is a symbolic link: SegLens does not write through links/);
    assert.match(r.stdout, /images\/a\.png FAILED 2002: .*images is a symbolic link/);
  });

  it('a file that appears between the check and the write is not replaced; the other images finish', async () => {
    const input = dataset('race-in', ['a.png', 'b.png', 'c.png']);
    const out = at('race-out');
    const socket = path.join(tempDir('seglens-proxy-'), 'proxy.sock');
    let planted = '';
    const server = await proxy(socket, (image) => {
      planted = path.join(out, path.basename(image).replace(/\.png$/, '.mask.png'));
      fs.mkdirSync(out, { recursive: true });
      fs.writeFileSync(planted, 'not a mask: the user put this here during the run');
    });
    try {
      const r = await runCli(['segment', input, '--mode', MODE, '--out', out, '--gt', 'none', '--report', at('race.json')], { ...env, SEGLENS_SOCKET: socket });
      assert.ok(planted, 'the proxy saw a segment answer');
      assert.equal(fs.readFileSync(planted, 'utf8'), 'not a mask: the user put this here during the run');
      assert.equal(r.code, 1, r.stderr);
      const rep = readJson<Report>(at('race.json'));
      const victim = path.basename(planted).replace('.mask.png', '.png');
      for (const i of rep.images) {
        if (i.path === victim) assert.deepEqual([i.error?.code, /refused to overwrite .*\.mask\.png \(use --overwrite\)/.test(i.error?.message ?? '')], [2001, true]);
        else assert.equal(i.error, undefined, i.path);
      }
      assert.deepEqual(listFiles(out), ['a.mask.png', 'b.mask.png', 'c.mask.png'], 'no temporary file left');
    } finally {
      server.close();
    }
  });
});

describe('names from files are neutralised where they land', () => {
  const names = ['\u001b]0;pwned\u0007title.png', '\u001b[31mred.png', '=SUM(1,2)+cmd.png', '+plus.png', '-minus.png', '@at.png', '\ttab.png'];
  let r: Awaited<ReturnType<typeof runCli>>;

  before(async () => {
    const input = dataset('names', names);
    fs.writeFileSync(at('names', '\u001b[2J\u001b[Hbroken.png'), 'not an image');
    r = await runCli(['segment', input, '--mode', MODE, '--out', at('names-out'), '--gt', 'none', '--report', at('names.csv')], env);
  });

  it('the CLI prints no raw control character: escape sequences in names come out escaped', () => {
    assert.equal(r.code, 1, r.stderr);
    const printed = r.stdout + r.stderr;
    assert.doesNotMatch(printed, RAW_CONTROL, JSON.stringify(printed));
    assert.ok(printed.includes('\\x1b]0;pwned\\x07title.png ok'), r.stdout);
    assert.ok(printed.includes('\\x1b[31mred.png ok'), r.stdout);
    assert.ok(printed.includes('\\x09tab.png ok'), r.stdout);
    assert.match(r.stdout, /\\x1b\[2J\\x1b\[Hbroken\.png FAILED 1002: .*\\x1b\[2J\\x1b\[Hbroken\.png/);
    assert.match(r.stderr, /failed: \\x1b\[2J\\x1b\[Hbroken\.png: /);
  });

  it('CSV cells that would start a formula get a leading quote', () => {
    const rows = fs.readFileSync(at('names.csv'), 'utf8').split('\n');
    const firstCells = rows.slice(1).map((l) => /^("(?:[^"]|"")*"|[^,]*)/.exec(l)![1]);
    for (const cell of [`"'=SUM(1,2)+cmd.png"`, `'+plus.png`, `'-minus.png`, `'@at.png`, `'\ttab.png`]) assert.ok(firstCells.includes(cell), `${cell} in ${JSON.stringify(firstCells)}`);
    assert.ok(rows.filter((l) => /^[=+\-@\t\r]/.test(l)).length === 0, 'no row starts with a formula character');
  });
});
