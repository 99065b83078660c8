// `npm run bench -- [--quick] [--out FILE] [--no-reference]`: the SegLens benchmark (issue #6).
//
// Talks to the real daemon (`node dist/daemon.js --listen ...`) through the protocol, one
// daemon at a time, and writes one JSON entry per figure, {value, goal, detail}, to
// bench/results.json (git-ignored) or FILE, then prints a markdown table. Every figure is a
// ratio of two things measured side by side in the same run, from medians: absolute times on
// a shared 2-core machine are noisy, ratios much less so. Nothing here asserts on time; this
// is a report, not a test.
//
// Phases, in order (see bench/README.md for what each figure means):
//   1. machine and versions;
//   2. the reference, @imgly/background-removal-node 1.4.5, in a child process in
//      bench/reference (installed there with `npm ci` if missing), for the first half of the
//      runs; it exits before any daemon starts;
//   3. the steady loop on a fresh daemon: P3 (warm accurate request vs bare session.run in
//      this process, interleaved), P4's numerator (the same accurate requests), P6 (fast vs
//      accurate inference); then the reference again for the second half of the runs;
//   4. P5: pairs of daemons on one fresh cache folder: the very first preview, then the first
//      preview after a restart;
//   5. one daemon on a fresh cache folder: P1 (cold vs second client's warm ensureReady), P2
//      (10 clients racing on a cold mode), latency and throughput at 1/2/4/8 clients (fast),
//      RSS across a 200-request run (fast);
//   6. P7: a fresh daemon with the four ISNet modes warm.
import { ChildProcess, execFileSync, fork, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { builtinModes } from '../daemon/models/catalogue';
import { connectSocket, DaemonClient } from '../daemon/api/client';
import { toArgv } from '../daemon/api/daemonArgs';
import { decodeResized, decodeRgb, probeImage } from '../daemon/engine/pipeline/imageIO';
import { referenceResize } from '../daemon/engine/pipeline/resample';
import type { ModeDef } from '../daemon/models/modeDef';
import type * as P from '../daemon/api/protocol';
import { fillInputTensor, inputDims, normalisationTables } from '../daemon/engine/pipeline/tensor';

// ------------------------------------------------------------------------------- settings

const ROOT = path.resolve(__dirname, '..');
const DAEMON_JS = path.join(ROOT, 'dist', 'daemon.js');
const MODELS_DIR = path.join(ROOT, 'models');
const SAMPLES_DIR = path.join(ROOT, 'media', 'samples');
const REFERENCE_DIR = path.join(ROOT, 'bench', 'reference');
const REFERENCE_PKG = '@imgly/background-removal-node';
const MAX_PIXELS = 64_000_000;

/** Modes used per part (said in each figure's detail). */
const MODES = {
  ready: 'fast', // P1, P2: the cheapest cold load + warm-up
  preview: 'balanced', // P5: the extension's default mode
  steady: 'accurate', // P3, P4: the reference ISNet pipeline (1024x1024)
  quick: 'fast', // P6 numerator, latency/throughput, RSS run
  all: ['fast', 'balanced', 'accurate', 'sota'], // P7
};

interface Settings {
  quick: boolean;
  out: string;
  reference: boolean;
  /** Timed runs per measurement (each run covers every photo where photos apply). */
  runs: number;
  /** P2 races. */
  races: number;
  /** P5 restart pairs. */
  restartPairs: number;
  /** Requests per client at each concurrency level. */
  perClient: number;
  levels: number[];
  /** Requests in the RSS run. */
  rssRequests: number;
  rssEvery: number;
  /** Use only the first N photos (--smoke). */
  photoLimit?: number;
}

function parseArgs(argv: string[]): Settings {
  let quick = false;
  let out = path.join(ROOT, 'bench', 'results.json');
  let reference = true;
  let smoke = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') quick = true;
    else if (a === '--out') {
      const v = argv[++i];
      if (!v) fail('--out needs a file name');
      out = path.resolve(v);
    } else if (a === '--no-reference') reference = false;
    else if (a === '--smoke') smoke = true;
    else if (a === '--help' || a === '-h') {
      process.stdout.write(
        'usage: npm run bench -- [--quick] [--out FILE] [--no-reference]\n' +
          '  --quick         3 runs instead of 5, 3 requests per client, a 50-request RSS run (about 5 minutes on an idle 2-core machine)\n' +
          '  --out FILE      where to write the JSON (default bench/results.json)\n' +
          '  --no-reference  skip the @imgly/background-removal-node reference (P4 is then null)\n' +
          '  --smoke         one run of everything on two photos: checks the plumbing, the figures mean nothing\n',
      );
      process.exit(0);
    } else fail(`unknown option ${a} (try --help)`);
  }
  if (smoke) return { quick: true, out, reference, runs: 1, races: 1, restartPairs: 1, perClient: 1, levels: [1, 2], rssRequests: 4, rssEvery: 2, photoLimit: 2 };
  return quick
    ? { quick, out, reference, runs: 3, races: 3, restartPairs: 3, perClient: 3, levels: [1, 2, 4, 8], rssRequests: 50, rssEvery: 5 }
    : { quick, out, reference, runs: 5, races: 5, restartPairs: 5, perClient: 5, levels: [1, 2, 4, 8], rssRequests: 200, rssEvery: 10 };
}

function fail(message: string): never {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(2);
}

const t0Bench = performance.now();
function progress(message: string): void {
  const s = ((performance.now() - t0Bench) / 1000).toFixed(0).padStart(4);
  process.stderr.write(`[bench ${s}s] ${message}\n`);
}

// ------------------------------------------------------------------------------- statistics

function quantile(xs: number[], q: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}
const median = (xs: number[]) => quantile(xs, 0.5);
const r1 = (x: number) => Math.round(x * 10) / 10;
const r3 = (x: number) => Math.round(x * 1000) / 1000;
const r4 = (x: number) => Math.round(x * 10000) / 10000;
const mb = (bytes: number) => Math.round(bytes / 1048576);
const gb = (bytes: number) => Math.round((bytes / 1073741824) * 1000) / 1000;
const now = () => performance.now();

/** Adds the 1-minute load average when a figure was finished (the machine may be shared). */
function stamp<T extends { detail: Record<string, unknown> }>(f: T): T {
  f.detail.loadAverage1mWhenDone = r1(os.loadavg()[0]);
  return f;
}

function summary(xs: number[]) {
  return { n: xs.length, median: r1(median(xs)), p95: r1(quantile(xs, 0.95)), min: r1(Math.min(...xs)), max: r1(Math.max(...xs)) };
}

// ------------------------------------------------------------------------------- machine

function cpuInfo() {
  const text = fs.readFileSync('/proc/cpuinfo', 'utf8');
  const field = (name: string) => new RegExp(`^${name}\\s*:\\s*(.*)$`, 'm').exec(text)?.[1]?.trim();
  const flags = (field('flags') ?? '').split(/\s+/);
  const logical = text.split('\n').filter((l) => l.startsWith('processor')).length;
  return {
    model: field('model name') ?? os.cpus()[0]?.model ?? 'unknown',
    logicalCpus: logical || os.cpus().length,
    coresPerSocket: Number(field('cpu cores')) || undefined,
    availableParallelism: os.availableParallelism(),
    simd: ['avx2', 'avx512f', 'avx512_vnni', 'avx512_bf16', 'amx_tile'].filter((f) => flags.includes(f)),
  };
}

function readVersion(dir: string, name: string): string | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, 'node_modules', name, 'package.json'), 'utf8')).version;
  } catch {
    return undefined;
  }
}

function gitRevision(): string | undefined {
  try {
    const rev = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    const dirty = execFileSync('git', ['status', '--porcelain'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim() !== '';
    return dirty ? `${rev} (with uncommitted changes)` : rev;
  } catch {
    return undefined;
  }
}

function machine() {
  return {
    cpu: cpuInfo(),
    totalMemoryGB: gb(os.totalmem()),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    onnxruntimeNode: readVersion(ROOT, 'onnxruntime-node'),
    sharp: readVersion(ROOT, 'sharp'),
    libvips: sharp.versions.vips,
    gitRevision: gitRevision(),
    loadAverageAtStart: os.loadavg().map(r1),
  };
}

// ------------------------------------------------------------------------------- photos

function photos(): string[] {
  const files = fs
    .readdirSync(SAMPLES_DIR)
    .filter((f) => /\.jpe?g$/i.test(f))
    .sort()
    .map((f) => path.join(SAMPLES_DIR, f));
  if (files.length === 0) fail(`no sample photos (*.jpg) in ${SAMPLES_DIR}`);
  return files;
}

// ------------------------------------------------------------------------------- daemon

interface RunningDaemon {
  child: ChildProcess;
  pid: number;
  cacheDir: string;
  socketPath: string;
  /** From spawn to the socket accepting connections. */
  startMs: number;
  stderr(): string;
  connect(name: string): Promise<DaemonClient>;
  stop(): Promise<void>;
}

const tempDirs: string[] = [];
function tempDir(prefix: string): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.push(d);
  return d;
}
let liveDaemon: RunningDaemon | undefined;

async function startDaemon(cacheDir: string, extraArgs: string[] = []): Promise<RunningDaemon> {
  if (liveDaemon) throw new Error('bench: a daemon is already running (one at a time)');
  const base = tempDir('seglens-bench-run-');
  const socketPath = path.join(base, 'run', 'daemon.sock');
  const t0 = now();
  const child = spawn(process.execPath, [DAEMON_JS, ...toArgv({ listen: socketPath, cacheDir, logLevel: 'warn', idleExitSeconds: 3600 }), ...extraArgs], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (d) => {
    err += d;
    if (err.length > 200_000) err = err.slice(-100_000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`daemon exited with code ${child.exitCode}: ${err}`);
    if (fs.existsSync(socketPath)) {
      try {
        const c = await connectSocket(socketPath, 1000);
        c.dispose();
        break;
      } catch {
        /* not yet */
      }
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`daemon did not listen on ${socketPath} within 30 s: ${err}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  const startMs = now() - t0;
  const d: RunningDaemon = {
    child,
    pid: child.pid!,
    cacheDir,
    socketPath,
    startMs,
    stderr: () => err,
    async connect(name: string) {
      const c = await connectSocket(socketPath, 5000);
      await c.initialize({ clientName: name, clientVersion: 'bench' });
      return c;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        try {
          const c = await this.connect('bench-stop');
          await Promise.race([c.shutdown(), new Promise((r) => setTimeout(r, 5000))]).catch(() => undefined);
          c.dispose();
        } catch {
          child.kill('SIGTERM');
        }
        const t = setTimeout(() => child.kill('SIGKILL'), 20_000);
        await exited;
        clearTimeout(t);
      }
      liveDaemon = undefined;
    },
  };
  liveDaemon = d;
  return d;
}

/** RSS of a process from /proc (current and peak), in bytes. */
function procRss(pid: number): { rss: number; hwm: number } | undefined {
  try {
    const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(s)?.[1] ?? NaN) * 1024;
    return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
  } catch {
    return undefined;
  }
}

/** One sample of a Prometheus metric (summed over matching label sets; 0 when absent). */
function metric(text: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})? (\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const got: Record<string, string> = {};
    for (const kv of (m[3] ?? '').match(/[a-zA-Z_]\w*="(?:[^"\\]|\\.)*"/g) ?? []) {
      const i = kv.indexOf('=');
      got[kv.slice(0, i)] = kv.slice(i + 2, -1);
    }
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) total += Number(m[4]);
  }
  return total;
}

async function counters(c: DaemonClient, mode: string) {
  const { text } = await c.metrics();
  return {
    loads: metric(text, 'seglens_model_loads_total', { mode }),
    warmups: metric(text, 'seglens_warmup_runs_total', { mode }),
    skipped: metric(text, 'seglens_warmup_skipped_total', { mode }),
  };
}

async function timed<T>(f: () => Promise<T>): Promise<[T, number]> {
  const t = now();
  const v = await f();
  return [v, now() - t];
}

// ------------------------------------------------------------------------------- figures

interface Figure {
  value: number | null;
  goal: string;
  detail: Record<string, unknown>;
}

// ---- reference (P4 denominator)

interface ReferenceResult {
  requireMs: number;
  coldMs: number;
  samples: { run: number; photo: string; ms: number }[];
  peakRssBytes: number;
  outputType: string;
  outputs: Record<string, string>;
  versions: Record<string, string>;
  config: Record<string, string>;
}

function ensureReferenceInstalled(): { installed: 'present' | 'npm ci'; ms: number } {
  const t = now();
  if (fs.existsSync(path.join(REFERENCE_DIR, 'node_modules', REFERENCE_PKG, 'package.json'))) return { installed: 'present', ms: 0 };
  progress(`reference: installing ${REFERENCE_PKG} in bench/reference with npm ci (pinned by its package-lock.json)`);
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const r = spawnSync(npm, ['ci', '--no-audit', '--no-fund'], { cwd: REFERENCE_DIR, stdio: ['ignore', 2, 2], shell: process.platform === 'win32' });
  if (r.status !== 0) throw new Error(`npm ci in ${REFERENCE_DIR} failed (exit ${r.status})`);
  return { installed: 'npm ci', ms: now() - t };
}

function runReference(list: string[], runs: number): Promise<ReferenceResult> {
  return new Promise((resolve, reject) => {
    const child = fork(path.join(REFERENCE_DIR, 'run.cjs'), [JSON.stringify({ photos: list, runs })], {
      cwd: REFERENCE_DIR,
      execArgv: [],
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    let result: ReferenceResult | undefined;
    let error: string | undefined;
    child.on('message', (m: { type: string; message?: string } & Partial<ReferenceResult>) => {
      if (m.type === 'progress') progress(m.message ?? '');
      else if (m.type === 'result') result = m as unknown as ReferenceResult;
      else if (m.type === 'error') error = m.message;
    });
    child.on('exit', (code) => {
      if (result) resolve(result);
      else reject(new Error(`reference run failed (exit ${code}): ${error ?? 'no result'}`));
    });
  });
}

// ---- P5

async function firstPreview(d: RunningDaemon, mode: string, photo: string) {
  const [c, connectMs] = await timed(() => d.connect('bench-p5'));
  try {
    const t = now();
    const ready = await c.ensureReady(mode);
    const seg = await c.segment({ mode, image: { path: photo } });
    const ms = now() - t;
    // After the timing: the mode's own load and warm-up times (ensureReady answers 0 when it
    // joined a preload already under way) and what the optimised-graph cache did.
    const st = (await c.status()).modes.find((m) => m.mode === mode);
    const { text } = await c.metrics();
    const cache = Object.fromEntries(
      ['hit', 'miss', 'rebuilt', 'off'].map((o) => [o, metric(text, 'seglens_optimized_cache_total', { outcome: o })]).filter(([, n]) => (n as number) > 0),
    );
    return {
      ms,
      statusLoadMs: st?.loadMs,
      statusWarmupMs: st?.warmupMs,
      optimizedCache: cache,
      /** From spawning the daemon to the mask: start, connect + initialize, ensureReady + segment. */
      fromSpawnMs: d.startMs + connectMs + ms,
      connectMs,
      load: ready.load,
      warmup: ready.warmup,
      loadMs: ready.loadMs,
      warmupMs: ready.warmupMs,
      segmentTotalMs: seg.timings.totalMs,
    };
  } finally {
    c.dispose();
  }
}

function dirSize(dir: string): { files: number; bytes: number } {
  let files = 0;
  let bytes = 0;
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) {
        files++;
        bytes += fs.statSync(p).size;
      }
    }
  };
  try {
    walk(dir);
  } catch {
    /* missing */
  }
  return { files, bytes };
}

async function measureRestart(s: Settings, photo: string, extraArgs: string[] = []): Promise<Figure> {
  const mode = MODES.preview;
  const first: number[] = [];
  const restart: number[] = [];
  const firstPreviewOnly: number[] = [];
  const restartPreviewOnly: number[] = [];
  // Each side less its mode's warm-up time: what the ratio would be if a warm-up cost nothing.
  const firstNoWarmup: number[] = [];
  const restartNoWarmup: number[] = [];
  const pairs: Record<string, unknown>[] = [];
  const side = (d: RunningDaemon, x: Awaited<ReturnType<typeof firstPreview>>) => ({
    fromSpawnMs: r1(x.fromSpawnMs),
    daemonStartMs: r1(d.startMs),
    connectAndInitializeMs: r1(x.connectMs),
    previewMs: r1(x.ms),
    ensureReady: { load: x.load, warmup: x.warmup, loadMs: r1(x.loadMs), warmupMs: r1(x.warmupMs) },
    modeStatus: { loadMs: x.statusLoadMs === undefined ? undefined : r1(x.statusLoadMs), warmupMs: x.statusWarmupMs === undefined ? undefined : r1(x.statusWarmupMs) },
    optimizedCacheOutcomes: x.optimizedCache,
    segmentTotalMs: x.segmentTotalMs,
  });
  for (let i = 0; i < s.restartPairs; i++) {
    const cacheDir = path.join(tempDir('seglens-bench-p5-'), 'cache');
    const d1 = await startDaemon(cacheDir, extraArgs);
    const a = await firstPreview(d1, mode, photo);
    await d1.stop();
    const persisted = dirSize(cacheDir);
    let entries: string[] = [];
    try {
      entries = fs.readdirSync(cacheDir).sort();
    } catch {
      /* none */
    }
    const d2 = await startDaemon(cacheDir, extraArgs);
    const b = await firstPreview(d2, mode, photo);
    await d2.stop();
    first.push(a.fromSpawnMs);
    restart.push(b.fromSpawnMs);
    firstNoWarmup.push(a.fromSpawnMs - (a.statusWarmupMs ?? 0));
    restartNoWarmup.push(b.fromSpawnMs - (b.statusWarmupMs ?? 0));
    firstPreviewOnly.push(a.ms);
    restartPreviewOnly.push(b.ms);
    pairs.push({
      first: side(d1, a),
      afterRestart: side(d2, b),
      cacheFolderAfterFirstDaemon: { entries, files: persisted.files, MB: mb(persisted.bytes) },
    });
    progress(`P5 pair ${i + 1}/${s.restartPairs}: first ${a.fromSpawnMs.toFixed(0)} ms, after restart ${b.fromSpawnMs.toFixed(0)} ms (from spawn)`);
  }
  return {
    value: r3(median(restart) / median(first)),
    goal: '<= 0.7',
    detail: {
      mode,
      photo: path.basename(photo),
      measured:
        'time to the first mask: from spawning `dist/daemon.js --listen` to the answer of the first segment (daemon start, connect + initialize, ensureReady, segment), for a daemon on a fresh --cache-dir (the very first preview) and for a new daemon started on the same --cache-dir after the first was stopped (the restart). Counting from the spawn credits nothing the restarted daemon does on its own before the client asks (it may preload recent modes).',
      firstPreviewFromSpawnMs: summary(first),
      afterRestartFromSpawnMs: summary(restart),
      ratioOfPreviewOnly: r3(median(restartPreviewOnly) / median(firstPreviewOnly)),
      previewOnlyMeasured: 'ensureReady + segment as timed by the client once connected',
      warmupIterations: extraArgs.includes('--warmup-iterations') ? Number(extraArgs[extraArgs.indexOf('--warmup-iterations') + 1]) : 'the daemon default (3)',
      ratioWithoutWarmup: r3(median(restartNoWarmup) / median(firstNoWarmup)),
      ratioWithoutWarmupMeasured:
        'computed, not measured: each side less its mode\'s warm-up time (ModeStatus.warmupMs): the ratio no number of warm-up iterations can go below, since the restart saves only in the load',
      pairs,
    },
  };
}

// ---- P1, P2

async function measureReady(d: RunningDaemon, s: Settings, ctl: DaemonClient): Promise<Figure> {
  const mode = MODES.ready;
  const cold: number[] = [];
  const warm: number[] = [];
  const connect: number[] = [];
  const runs: Record<string, unknown>[] = [];
  for (let i = 0; i < s.runs; i++) {
    await ctl.unload(); // everything cold again (the first run starts on a fresh daemon)
    const a = await d.connect('bench-p1-first');
    const [ra, coldMs] = await timed(() => a.ensureReady(mode));
    const [b, connectMs] = await timed(() => d.connect('bench-p1-second'));
    const [rb, warmMs] = await timed(() => b.ensureReady(mode));
    a.dispose();
    b.dispose();
    if (ra.load !== 'ran' || rb.warmup !== 'skipped') progress(`P1 run ${i + 1}: unexpected outcomes first ${ra.load}/${ra.warmup}, second ${rb.load}/${rb.warmup}`);
    cold.push(coldMs);
    warm.push(warmMs);
    connect.push(connectMs);
    runs.push({
      coldMs: r1(coldMs),
      warmMs: r3(warmMs),
      first: { load: ra.load, warmup: ra.warmup, daemonElapsedMs: ra.elapsedMs, loadMs: ra.loadMs, warmupMs: ra.warmupMs },
      second: { load: rb.load, warmup: rb.warmup, daemonElapsedMs: rb.elapsedMs, connectAndInitializeMs: r1(connectMs) },
    });
  }
  progress(`P1: cold ensureReady median ${median(cold).toFixed(0)} ms, second client's ${median(warm).toFixed(2)} ms`);
  const warmMedian = median(warm);
  return {
    value: r4(warmMedian / median(cold)),
    goal: '<= 0.01 and the warm ensureReady under 50 ms',
    detail: {
      mode,
      measured: "client-side round trip of seglens/ensureReady: a first client on the cold mode (after unload), then a second, newly connected client on the now warm mode",
      coldEnsureReadyMs: summary(cold),
      secondClientEnsureReadyMs: { ...summary(warm), median: r3(warmMedian), max: r3(Math.max(...warm)) },
      secondClientConnectAndInitializeMs: summary(connect),
      warmUnder50ms: warmMedian < 50,
      met: warmMedian / median(cold) <= 0.01 && warmMedian < 50,
      runs,
    },
  };
}

async function measureRace(d: RunningDaemon, s: Settings, ctl: DaemonClient): Promise<Figure> {
  const mode = MODES.ready;
  const n = 10;
  const races: Record<string, unknown>[] = [];
  const warmupCounts: number[] = [];
  for (let i = 0; i < s.races; i++) {
    await ctl.unload();
    const clients = await Promise.all(Array.from({ length: n }, (_, k) => d.connect(`bench-p2-${k}`)));
    const before = await counters(ctl, mode);
    const [results, ms] = await timed(() => Promise.all(clients.map((c) => c.ensureReady(mode))));
    const after = await counters(ctl, mode);
    const status = await ctl.status();
    for (const c of clients) c.dispose();
    const tally = (k: 'load' | 'warmup') => results.reduce<Record<string, number>>((acc, r) => ((acc[r[k]] = (acc[r[k]] ?? 0) + 1), acc), {});
    const warmups = after.warmups - before.warmups;
    warmupCounts.push(warmups);
    races.push({
      warmupRuns: warmups,
      modelLoads: after.loads - before.loads,
      loadOutcomes: tally('load'),
      warmupOutcomes: tally('warmup'),
      statusWarmups: status.modes.find((m) => m.mode === mode)?.warmups,
      wallMs: r1(ms),
    });
  }
  const worst = warmupCounts.reduce((w, x) => (Math.abs(x - 1) > Math.abs(w - 1) ? x : w), warmupCounts[0]);
  progress(`P2: warm-up runs per race ${warmupCounts.join(', ')}`);
  return {
    value: worst,
    goal: 'exactly 1',
    detail: {
      mode,
      clients: n,
      measured: `seglens_warmup_runs_total{mode="${mode}"} before and after ${n} newly connected clients send ensureReady at once on the cold mode (after unload); value = the race farthest from 1`,
      races,
    },
  };
}

// ---- P3, P4 numerator, P6: the steady loop

interface SessionOptionsSource {
  options: ort.InferenceSession.SessionOptions;
  source: string;
  notes: string[];
}

/**
 * The engine's session options, read from daemon/engine/engineWorker.ts (its `base` object) so that
 * the bare session stays in step with the engine; the CPU provider as the engine's fallback
 * loop passes it. Falls back to a copy made when this was written, saying so.
 */
function engineSessionOptions(): SessionOptionsSource {
  const threads = os.availableParallelism();
  const copy: ort.InferenceSession.SessionOptions = {
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    enableMemPattern: false,
    enableCpuMemArena: true,
    logSeverityLevel: 3,
  };
  const notes: string[] = [];
  let options: Record<string, unknown> | undefined;
  let source = 'copy in bench/bench.ts';
  try {
    const src = fs.readFileSync(path.join(ROOT, 'daemon', 'engine', 'engineWorker.ts'), 'utf8');
    const m = /const base\b[^=]*=\s*\{([\s\S]*?)\n\s*\};/.exec(src);
    if (!m) throw new Error("no 'const base = {...}' in daemon/engine/engineWorker.ts");
    const parsed: Record<string, unknown> = {};
    for (const line of m[1].split('\n')) {
      const kv = /^\s*([A-Za-z_]\w*)\s*:\s*(.+?)\s*,?\s*(\/\/.*)?$/.exec(line);
      if (!kv) continue;
      const [, key, raw] = kv;
      if (raw === 'threads') parsed[key] = threads;
      else if (/^(true|false|-?\d+(\.\d+)?|'[^']*'|"[^"]*")$/.test(raw)) parsed[key] = JSON.parse(raw.replace(/^'|'$/g, '"'));
      else notes.push(`engine option ${key}: ${raw} is not a literal; left out of the bare session`);
    }
    if (Object.keys(parsed).length === 0) throw new Error('no options parsed');
    options = parsed;
    source = 'daemon/engine/engineWorker.ts (the engine\'s base session options)';
  } catch (e) {
    notes.push(`could not read the engine's options (${(e as Error).message}); used the copy in bench.ts`);
  }
  return { options: { ...(options ?? copy), executionProviders: ['cpu'] } as ort.InferenceSession.SessionOptions, source, notes };
}

async function preprocess(mode: ModeDef, photo: string): Promise<ort.Tensor> {
  // Exactly the engine's path (engineWorker.ts segment): read, header, decode (+ resize in the
  // same libvips pipeline for 'smooth' modes; full-size decode + the reference pipeline's
  // resize for 'reference' modes), then fill the tensor.
  const bytes = await fs.promises.readFile(photo);
  const header = await probeImage(bytes, MAX_PIXELS, photo);
  const [h, w] = mode.inputSize;
  let rgb: Uint8Array;
  if (mode.resample === 'reference') {
    const full = await decodeRgb(bytes, MAX_PIXELS, photo);
    rgb = referenceResize(full.data, full.width, full.height, 3, w, h, new Uint8Array(w * h * 3));
  } else {
    rgb = (await decodeResized(bytes, header, w, h, MAX_PIXELS, photo)).data;
  }
  const dims = inputDims(mode);
  const data = new Float32Array(dims.reduce((a, b) => a * b, 1));
  fillInputTensor(rgb, w, h, mode, data, false, normalisationTables(mode));
  return new ort.Tensor('float32', data, dims);
}

interface SteadyResult {
  p3: Figure;
  p6: Figure;
  /** Client round trips of warm `accurate` requests, per photo. */
  seglensAccurateMs: number[];
  seglensAccurateByPhoto: Record<string, number[]>;
  /** The last accurate mask per photo (base64 PNG). */
  masks: Record<string, string>;
  /** ensureReady + segment of accurate on the first photo, on the fresh daemon. */
  firstAccurateMs: number;
}

async function measureSteady(d: RunningDaemon, s: Settings, list: string[]): Promise<SteadyResult> {
  const accurate = MODES.steady;
  const fast = MODES.quick;
  const c = await d.connect('bench-steady');
  // Warm-up: ensureReady, then one real request per mode. The first accurate preview of this
  // fresh daemon (ensureReady + segment) is kept for P4's detail (the reference's first call).
  const [, firstAccurateMs] = await timed(async () => {
    await c.ensureReady(accurate);
    await c.segment({ mode: accurate, image: { path: list[0] } });
  });
  await c.ensureReady(fast);
  await c.segment({ mode: fast, image: { path: list[0] } });

  const def = builtinModes(MODELS_DIR).find((m) => m.id === accurate);
  if (!def) throw new Error(`no built-in mode ${accurate}`);
  const opt = engineSessionOptions();
  progress(`P3: bare session on ${path.relative(ROOT, def.model.file)} with ${JSON.stringify(opt.options)} (from ${opt.source})`);
  sharp.cache(false); // as the engine worker does
  const tensors = new Map<string, ort.Tensor>();
  for (const p of list) tensors.set(p, await preprocess(def, p));
  const [session, sessionMs] = await timed(() => ort.InferenceSession.create(def.model.file, opt.options));
  const bare = async (p: string) => {
    const t = now();
    const out = await session.run({ [def.inputName]: tensors.get(p)! }, [def.outputName]);
    const ms = now() - t;
    if (!out[def.outputName]) throw new Error('bare run gave no output');
    return ms;
  };
  await bare(list[0]); // warm-up: first run of the shape
  await bare(list[list.length > 1 ? 1 : 0]);

  const acc: { rtt: number; t: P.SegmentTimings }[] = [];
  const fst: { rtt: number; t: P.SegmentTimings }[] = [];
  const bareMs: number[] = [];
  const byPhoto: Record<string, number[]> = {};
  const masks: Record<string, string> = {};
  for (let r = 0; r < s.runs; r++) {
    for (const p of list) {
      const seg = async (mode: string) => {
        const [res, rtt] = await timed(() => c.segment({ mode, image: { path: p } }));
        if (!res.wasWarm) progress(`warning: ${mode} was not warm`);
        return { res, rtt };
      };
      // Alternate which side goes first, so neither always follows the other.
      const order = r % 2 === 0 ? ['daemon', 'bare'] : ['bare', 'daemon'];
      for (const side of order) {
        if (side === 'bare') bareMs.push(await bare(p));
        else {
          const a = await seg(accurate);
          acc.push({ rtt: a.rtt, t: a.res.timings });
          (byPhoto[path.basename(p)] ??= []).push(a.rtt);
          masks[p] = a.res.maskPng;
        }
      }
      const f = await seg(fast);
      fst.push({ rtt: f.rtt, t: f.res.timings });
    }
    progress(`steady loop run ${r + 1}/${s.runs}: accurate ${median(acc.map((x) => x.rtt)).toFixed(0)} ms, bare ${median(bareMs).toFixed(0)} ms, fast ${median(fst.map((x) => x.rtt)).toFixed(0)} ms (medians so far)`);
  }
  await session.release();
  c.dispose();

  const pick = (xs: { t: P.SegmentTimings }[], k: keyof P.SegmentTimings) => xs.map((x) => x.t[k]);
  const breakdown = (xs: { rtt: number; t: P.SegmentTimings }[]) => ({
    clientRoundTripMs: summary(xs.map((x) => x.rtt)),
    totalMs: summary(pick(xs, 'totalMs')),
    queueMs: r1(median(pick(xs, 'queueMs'))),
    decodeMs: r1(median(pick(xs, 'decodeMs'))),
    preprocessMs: r1(median(pick(xs, 'preprocessMs'))),
    inferenceMs: summary(pick(xs, 'inferenceMs')),
    postprocessMs: r1(median(pick(xs, 'postprocessMs'))),
    transportMs: r1(median(xs.map((x) => x.rtt - x.t.totalMs))),
  });
  const accRtt = acc.map((x) => x.rtt);
  const bareMed = median(bareMs);
  const p3: Figure = {
    value: r3(median(accRtt) / bareMed),
    goal: '<= 1.10',
    detail: {
      mode: accurate,
      inputSize: def.inputSize,
      photos: list.map((p) => path.basename(p)),
      measured:
        'numerator: client-side round trip of a warm seglens/segment (path in, base64 PNG mask out; decode, preprocess, inference, postprocess, PNG, JSON-RPC); denominator: session.run alone in the bench process on the same photo preprocessed by the engine\'s own functions (imageIO decode, the mode\'s resize: resample.referenceResize or libvips, tensor.fillInputTensor), same model file, same session options, fetching only the output the engine fetches. The two alternate, never at the same time, in one loop.',
      bareSessionRunMs: summary(bareMs),
      bareSessionCreateMs: r1(sessionMs),
      bareSessionOptions: opt.options,
      bareSessionOptionsFrom: opt.source,
      notes: opt.notes,
      seglens: breakdown(acc),
      ratioUsingDaemonTotalMs: r3(median(pick(acc, 'totalMs')) / bareMed),
      ratioEngineInferenceToBare: r3(median(pick(acc, 'inferenceMs')) / bareMed),
    },
  };
  const fastInf = median(pick(fst, 'inferenceMs'));
  const accInf = median(pick(acc, 'inferenceMs'));
  const p6: Figure = {
    value: r3(fastInf / accInf),
    goal: '<= 0.3',
    detail: {
      measured: "timings.inferenceMs reported by the daemon for warm requests, fast and accurate interleaved on the same photos",
      fast: { inputSize: builtinModes(MODELS_DIR).find((m) => m.id === fast)?.inputSize, ...breakdown(fst) },
      accurate: { inputSize: def.inputSize, inferenceMs: summary(pick(acc, 'inferenceMs')) },
      ratioOfClientRoundTrips: r3(median(fst.map((x) => x.rtt)) / median(accRtt)),
    },
  };
  return { p3, p6, seglensAccurateMs: accRtt, seglensAccurateByPhoto: byPhoto, masks, firstAccurateMs };
}

// ---- latency and throughput

async function measureConcurrency(d: RunningDaemon, s: Settings, list: string[]): Promise<Figure> {
  const mode = MODES.quick;
  const levels: Record<string, unknown>[] = [];
  const throughput: Record<number, number> = {};
  for (const n of s.levels) {
    const clients = await Promise.all(Array.from({ length: n }, (_, k) => d.connect(`bench-load-${n}-${k}`)));
    await clients[0].ensureReady(mode);
    const perClient: number[][] = clients.map(() => []);
    const queue: number[] = [];
    const t = now();
    await Promise.all(
      clients.map(async (c, k) => {
        for (let i = 0; i < s.perClient; i++) {
          const p = list[(k + i) % list.length];
          const [res, ms] = await timed(() => c.segment({ mode, image: { path: p } }));
          perClient[k].push(ms);
          queue.push(res.timings.queueMs);
        }
      }),
    );
    const wall = now() - t;
    for (const c of clients) c.dispose();
    const all = perClient.flat();
    throughput[n] = (all.length / wall) * 1000;
    levels.push({
      clients: n,
      requests: all.length,
      p50Ms: r1(median(all)),
      p95Ms: r1(quantile(all, 0.95)),
      throughputPerS: r3(throughput[n]),
      wallMs: r1(wall),
      daemonQueueMsMedian: r1(median(queue)),
      perClient: perClient.map((xs) => ({ p50Ms: r1(median(xs)), p95Ms: r1(quantile(xs, 0.95)) })),
    });
    progress(`load ${n} client(s): p50 ${median(all).toFixed(0)} ms, p95 ${quantile(all, 0.95).toFixed(0)} ms, ${throughput[n].toFixed(2)} req/s`);
  }
  const hi = Math.max(...s.levels);
  return {
    value: r3(throughput[hi] / throughput[1]),
    goal: 'report (throughput with 8 clients / with 1; the engine runs one inference at a time, so about 1 is expected)',
    detail: {
      mode,
      measured: `each client on its own connection sends ${s.perClient} seglens/segment requests one after another (photos in turn), all clients at once; latency = client-side round trip; p50/p95 over all requests of a level, and per client`,
      requestsPerClient: s.perClient,
      levels,
    },
  };
}

// ---- RSS across a run of requests

async function measureRssRun(d: RunningDaemon, s: Settings, list: string[]): Promise<Figure> {
  const mode = MODES.quick;
  const c = await d.connect('bench-rss');
  await c.ensureReady(mode);
  const samples: { request: number; rssMB: number; procRssMB?: number }[] = [];
  const sample = async (i: number) => {
    const st = await c.status();
    const pr = procRss(d.pid);
    samples.push({ request: i, rssMB: mb(st.rssBytes), procRssMB: pr ? mb(pr.rss) : undefined });
  };
  await sample(0);
  const lat: number[] = [];
  for (let i = 1; i <= s.rssRequests; i++) {
    const [, ms] = await timed(() => c.segment({ mode, image: { path: list[i % list.length] } }));
    lat.push(ms);
    if (i % s.rssEvery === 0 || i === s.rssRequests) await sample(i);
  }
  c.dispose();
  const rss = samples.map((x) => x.rssMB);
  const peak = procRss(d.pid);
  const afterFirstTenth = samples.find((x) => x.request >= s.rssRequests / 10) ?? samples[0];
  progress(`RSS run: ${rss[0]} MB at start, ${Math.max(...rss)} MB max, ${rss[rss.length - 1]} MB at the end of ${s.rssRequests} requests`);
  return {
    value: gb(Math.max(...rss) * 1048576),
    goal: 'report (peak daemon RSS in GB during the run; flat = no leak)',
    detail: {
      mode,
      requests: s.rssRequests,
      note: s.quick ? `--quick: ${s.rssRequests} requests instead of 200` : '200 requests',
      measured: 'one client sends the requests one after another (photos in turn); status.rssBytes (and /proc VmRSS) sampled every ' + s.rssEvery + ' requests; this daemon had already served P1, P2 and the load levels (mode fast only)',
      startMB: rss[0],
      endMB: rss[rss.length - 1],
      maxMB: Math.max(...rss),
      growthFromFirstTenthToEndMB: rss[rss.length - 1] - afterFirstTenth.rssMB,
      daemonPeakRssMB: peak ? mb(peak.hwm) : undefined,
      latencyMs: summary(lat),
      samples,
    },
  };
}

// ---- P7

async function measureAllWarm(list: string[]): Promise<Figure> {
  const cacheDir = path.join(tempDir('seglens-bench-p7-'), 'cache');
  const d = await startDaemon(cacheDir);
  try {
    const c = await d.connect('bench-p7');
    for (const m of MODES.all) await c.ensureReady(m);
    const warm = await c.status();
    const warmProc = procRss(d.pid);
    for (const m of MODES.all) await c.segment({ mode: m, image: { path: list[0] } });
    const used = await c.status();
    const usedProc = procRss(d.pid);
    c.dispose();
    const states = Object.fromEntries(used.modes.map((m) => [m.mode, m.state]));
    progress(`P7: RSS ${mb(warm.rssBytes)} MB with ${MODES.all.join(', ')} warm, ${mb(used.rssBytes)} MB after one request each`);
    return {
      value: gb(Math.max(warm.rssBytes, used.rssBytes)),
      goal: '<= 1.5',
      detail: {
        modes: MODES.all,
        measured:
          'a fresh daemon: ensureReady on each of the four ISNet modes in turn, then one request per mode on one photo; status.rssBytes after each step; value = the larger',
        rssWarmGB: gb(warm.rssBytes),
        rssAfterOneRequestEachGB: gb(used.rssBytes),
        procVmRssGB: { warm: warmProc ? gb(warmProc.rss) : undefined, afterRequests: usedProc ? gb(usedProc.rss) : undefined },
        peakVmHwmGB: usedProc ? gb(usedProc.hwm) : undefined,
        states,
      },
    };
  } finally {
    await d.stop();
  }
}

// ---- mask agreement (sanity: the reference and SegLens segment the same thing)

async function alphaOf(pngBase64: string, channel: 'alpha' | 'grey'): Promise<{ data: Buffer; w: number; h: number }> {
  const img = sharp(Buffer.from(pngBase64, 'base64'));
  const pipeline = channel === 'alpha' ? img.ensureAlpha().extractChannel(3) : img.toColourspace('b-w').extractChannel(0);
  const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
  return { data, w: info.width, h: info.height };
}

async function maskIoU(refPng: string, segPng: string): Promise<number | null> {
  const a = await alphaOf(refPng, 'alpha');
  const b = await alphaOf(segPng, 'grey');
  if (a.w !== b.w || a.h !== b.h) return null;
  let inter = 0;
  let union = 0;
  for (let i = 0; i < a.data.length; i++) {
    const x = a.data[i] >= 128;
    const y = b.data[i] >= 128;
    if (x && y) inter++;
    if (x || y) union++;
  }
  return union === 0 ? 1 : r3(inter / union);
}

// ------------------------------------------------------------------------------- report

const FIGURES: [string, string][] = [
  ['P1', "second client's ensureReady on a warm mode ÷ the cold ensureReady"],
  ['P2', 'warm-up runs when 10 clients race on a cold mode'],
  ['P3', 'warm segment request ÷ bare session.run (same tensor, same options)'],
  ['P4', 'SegLens accurate end to end ÷ @imgly/background-removal-node 1.4.5'],
  ['P5', 'first preview after a daemon restart ÷ the very first preview'],
  ['P6', 'fast ÷ accurate inference time'],
  ['P7', 'daemon RSS (GB) with the four ISNet modes warm'],
];

function met(key: string, f: Figure | undefined): string {
  if (!f || f.value === null) return 'not measured';
  const v = f.value;
  switch (key) {
    case 'P1':
      return f.detail.met ? 'yes' : 'no';
    case 'P2':
      return v === 1 ? 'yes' : 'no';
    case 'P3':
      return v <= 1.1 ? 'yes' : 'no';
    case 'P4':
      return v <= 0.6 ? 'yes' : 'no';
    case 'P5':
      return v <= 0.7 ? 'yes' : 'no';
    case 'P6':
      return v <= 0.3 ? 'yes' : 'no';
    case 'P7':
      return v <= 1.5 ? 'yes' : 'no';
    default:
      return '';
  }
}

function table(results: Record<string, unknown>, s: Settings): string {
  const lines: string[] = [];
  lines.push('| key | figure | value | goal | met |', '|---|---|---|---|---|');
  for (const [key, label] of FIGURES) {
    const f = results[key] as Figure | undefined;
    lines.push(`| ${key} | ${label} | ${f?.value ?? 'n/a'} | ${f?.goal ?? ''} | ${met(key, f)} |`);
  }
  const p5 = results.P5 as Figure | undefined;
  if (p5 && p5.value !== null) {
    const one = p5.detail.withOneWarmupIteration as { value: number; ratioWithoutWarmup: number } | undefined;
    lines.push(
      '',
      `P5 side by side: ${p5.value} with 3 warm-up iterations` +
        (one ? `, ${one.value} with 1 (\`--warmup-iterations 1\`)` : '') +
        `; ${p5.detail.ratioWithoutWarmup} if a warm-up cost nothing (computed from the same runs).`,
    );
  }
  const load = results.latency as Figure | undefined;
  if (load) {
    const d = load.detail as { mode: string; requestsPerClient: number; levels: { clients: number; requests: number; p50Ms: number; p95Ms: number; throughputPerS: number }[] };
    lines.push('', `Latency and throughput, mode \`${d.mode}\`, ${d.requestsPerClient} requests per client:`, '');
    lines.push('| clients | requests | p50 ms | p95 ms | throughput req/s |', '|---|---|---|---|---|');
    for (const l of d.levels) lines.push(`| ${l.clients} | ${l.requests} | ${l.p50Ms} | ${l.p95Ms} | ${l.throughputPerS} |`);
  }
  const rss = results.rssRun as Figure | undefined;
  if (rss) {
    const d = rss.detail as { mode: string; requests: number; startMB: number; maxMB: number; endMB: number; growthFromFirstTenthToEndMB: number };
    lines.push('', `RSS across ${d.requests} requests (mode \`${d.mode}\`${s.quick ? ', --quick' : ''}): ${d.startMB} MB at the start, ${d.maxMB} MB at most, ${d.endMB} MB at the end (${d.growthFromFirstTenthToEndMB >= 0 ? '+' : ''}${d.growthFromFirstTenthToEndMB} MB after the first tenth).`);
  }
  return lines.join('\n');
}

// ------------------------------------------------------------------------------- main

async function main(): Promise<void> {
  const s = parseArgs(process.argv.slice(2));
  if (!fs.existsSync(DAEMON_JS)) fail(`${DAEMON_JS} is missing: run 'npm run build' (npm run bench does)`);
  const list = photos().slice(0, s.photoLimit);
  const results: Record<string, unknown> = {
    machine: machine(),
    run: {
      started: new Date().toISOString(),
      quick: s.quick,
      runs: s.runs,
      photos: list.map((p) => path.basename(p)),
      modes: MODES,
    },
  };
  progress(`${s.quick ? 'quick' : 'full'} run: ${s.runs} runs over ${list.length} photos; results to ${s.out}`);

  // 2-3. The reference in two halves around the steady loop (P3, P4, P6), each half in its own
  // child process while no daemon runs, so that a drift in the machine's load hits both sides.
  const runsBefore = Math.ceil(s.runs / 2);
  const runsAfter = s.runs - runsBefore;
  const refHalves: ReferenceResult[] = [];
  let referenceInstall: ReturnType<typeof ensureReferenceInstalled> | undefined;
  const referenceLoad: number[] = [];
  const reference = async (runs: number, when: string) => {
    if (!s.reference || runs === 0) return;
    referenceInstall ??= ensureReferenceInstalled();
    progress(`reference (${when}): ${REFERENCE_PKG} in a child process, ${runs} run(s) over ${list.length} photos`);
    refHalves.push(await runReference(list, runs));
    referenceLoad.push(r1(os.loadavg()[0]));
  };
  await reference(runsBefore, 'first half');

  let steady: SteadyResult;
  {
    const d = await startDaemon(path.join(tempDir('seglens-bench-steady-'), 'cache'));
    try {
      const c = await d.connect('bench-info');
      const init = c.initializeResult!;
      (results.run as Record<string, unknown>).daemon = { version: init.daemonVersion, provider: init.provider, providers: init.providers };
      c.dispose();
      progress(`steady loop: ${s.runs} runs x ${list.length} photos of ${MODES.steady} (daemon) / bare session.run / ${MODES.quick} (daemon)`);
      steady = await measureSteady(d, s, list);
      results.P3 = stamp(steady.p3);
      stamp(steady.p6);
    } catch (e) {
      process.stderr.write(`daemon stderr (tail):\n${d.stderr().slice(-4000)}\n`);
      throw e;
    } finally {
      await d.stop();
    }
  }
  await reference(runsAfter, 'second half');

  // P4 from the reference and the steady loop.
  if (refHalves.length > 0) {
    const samples = refHalves.flatMap((h, i) => h.samples.map((x) => ({ ...x, half: i })));
    const refMs = samples.map((x) => x.ms);
    const outputs = Object.assign({}, ...refHalves.map((h) => h.outputs)) as Record<string, string>;
    const ious: Record<string, number | null> = {};
    for (const p of list) {
      if (outputs[p] && steady.masks[p]) ious[path.basename(p)] = await maskIoU(outputs[p], steady.masks[p]);
    }
    const byPhoto: Record<string, { seglensMs: number; referenceMs: number }> = {};
    for (const p of list) {
      const b = path.basename(p);
      byPhoto[b] = { seglensMs: r1(median(steady.seglensAccurateByPhoto[b] ?? [])), referenceMs: r1(median(samples.filter((x) => x.photo === b).map((x) => x.ms))) };
    }
    const ref0 = refHalves[0];
    results.P4 = {
      value: r3(median(steady.seglensAccurateMs) / median(refMs)),
      goal: '<= 0.6',
      detail: {
        measured:
          'numerator: client-side round trip of a warm SegLens accurate request (the steady loop of P3); denominator: one whole removeBackground(photoPath, config) call plus reading the result blob, after its first (model-loading) call, in a child process that ran alone (no daemon), half of the runs just before the SegLens loop and half just after it; same photos, same number of runs in all',
        seglensAccurateMs: summary(steady.seglensAccurateMs),
        referenceMs: summary(refMs),
        referenceMsPerHalf: refHalves.map((h) => summary(h.samples.map((x) => x.ms))),
        byPhoto,
        firstCall: {
          measured: `the reference's first call in each of its processes (reads the model, creates the session, runs) vs SegLens' first accurate preview on a fresh daemon (ensureReady, which loads and runs the mode's warm-up of ${builtinModes(MODELS_DIR).find((m) => m.id === MODES.steady)?.warmupIterations} dummy inferences, then segment), on ${path.basename(list[0])}`,
          referenceMs: refHalves.map((h) => r1(h.coldMs)),
          seglensMs: r1(steady.firstAccurateMs),
        },
        referenceRequireMs: r1(ref0.requireMs),
        referencePeakRssGB: gb(Math.max(...refHalves.map((h) => h.peakRssBytes))),
        referenceOutput: ref0.outputType,
        referenceConfig: ref0.config,
        referenceVersions: ref0.versions,
        referenceInstall,
        overridden: {
          sharp: '~0.32.4 (declared by @imgly/background-removal-node 1.4.5) -> 0.35.5 (the project\'s), via "overrides" in bench/reference/package.json',
          'onnxruntime-node': '~1.17.0 (declared) -> 1.30.0 (the project\'s), via "overrides"; its install script is skipped by bench/reference/.npmrc (onnxruntime-node-install=skip), as in the project',
          code: 'none: the package runs unmodified with these versions',
        },
        referenceSessionOptions: "its own: graphOptimizationLevel 'all', executionMode 'parallel', other options ONNX Runtime's defaults",
        maskIoUAtHalf: ious,
        maskNote: 'IoU of the masks thresholded at 128 (reference alpha vs SegLens accurate mask)',
        loadAverage1mWhenReferenceHalvesDone: referenceLoad,
        loadAverage1mWhenSeglensDone: steady.p3.detail.loadAverage1mWhenDone,
      },
    } satisfies Figure;
  } else {
    results.P4 = { value: null, goal: '<= 0.6', detail: { skipped: '--no-reference' } } satisfies Figure;
  }
  results.P6 = steady.p6;

  // 4. P5: restart pairs.
  progress(`P5: ${s.restartPairs} pairs of first previews (mode ${MODES.preview})`);
  const p5 = stamp(await measureRestart(s, list[0]));
  results.P5 = p5;
  // The same with the fewest warm-up iterations allowed (the lever left), side by side.
  progress(`P5: the same with --warmup-iterations 1`);
  const one = await measureRestart(s, list[0], ['--warmup-iterations', '1']);
  p5.detail.withOneWarmupIteration = {
    value: one.value,
    firstPreviewFromSpawnMs: (one.detail as Record<string, unknown>).firstPreviewFromSpawnMs,
    afterRestartFromSpawnMs: (one.detail as Record<string, unknown>).afterRestartFromSpawnMs,
    ratioWithoutWarmup: (one.detail as Record<string, unknown>).ratioWithoutWarmup,
  };

  // 5. The main daemon: readiness, races, load levels, RSS.
  const d = await startDaemon(path.join(tempDir('seglens-bench-main-'), 'cache'));
  try {
    const ctl = await d.connect('bench-control');
    progress(`P1: ${s.runs} cold/warm ensureReady pairs (mode ${MODES.ready})`);
    results.P1 = stamp(await measureReady(d, s, ctl));
    progress(`P2: ${s.races} races of 10 clients (mode ${MODES.ready})`);
    results.P2 = stamp(await measureRace(d, s, ctl));
    progress(`latency and throughput at ${s.levels.join(', ')} clients (mode ${MODES.quick})`);
    results.latency = stamp(await measureConcurrency(d, s, list));
    progress(`RSS across ${s.rssRequests} requests (mode ${MODES.quick})`);
    results.rssRun = stamp(await measureRssRun(d, s, list));
    ctl.dispose();
  } catch (e) {
    process.stderr.write(`daemon stderr (tail):\n${d.stderr().slice(-4000)}\n`);
    throw e;
  } finally {
    await d.stop();
  }

  // 6. P7 on a fresh daemon.
  progress(`P7: a fresh daemon with ${MODES.all.join(', ')} warm`);
  results.P7 = stamp(await measureAllWarm(list));

  const run = results.run as Record<string, unknown>;
  run.durationS = Math.round((performance.now() - t0Bench) / 1000);
  run.loadAverageAtEnd = os.loadavg().map(r1);

  const ordered: Record<string, unknown> = {};
  for (const k of ['P1', 'P2', 'P3', 'P4', 'P5', 'P6', 'P7', 'latency', 'rssRun', 'machine', 'run']) ordered[k] = results[k];
  fs.mkdirSync(path.dirname(s.out), { recursive: true });
  fs.writeFileSync(s.out, JSON.stringify(ordered, null, 2) + '\n');

  const m = results.machine as ReturnType<typeof machine>;
  process.stdout.write(
    `\n${table(ordered, s)}\n\n` +
      `Machine: ${m.cpu.model}, ${m.cpu.logicalCpus} logical CPUs (${m.cpu.simd.join(', ') || 'no AVX2'}), ${m.totalMemoryGB} GB, ` +
      `Node ${m.node}, onnxruntime-node ${m.onnxruntimeNode}, sharp ${m.sharp}. ` +
      `Load average ${m.loadAverageAtStart.join(' / ')} at the start, ${(run.loadAverageAtEnd as number[]).join(' / ')} at the end; ${run.durationS} s${s.quick ? ' (--quick)' : ''}.\n` +
      `JSON: ${path.relative(process.cwd(), s.out) || s.out}\n`,
  );
}

function cleanup(): void {
  if (liveDaemon && liveDaemon.child.exitCode === null) liveDaemon.child.kill('SIGKILL');
  for (const d of tempDirs) fs.rmSync(d, { recursive: true, force: true });
}

process.on('SIGINT', () => {
  cleanup();
  process.exit(130);
});

main().then(
  () => {
    cleanup();
    process.exit(0);
  },
  (e) => {
    process.stderr.write(`bench failed: ${(e as Error).stack ?? e}\n`);
    cleanup();
    process.exit(1);
  },
);
