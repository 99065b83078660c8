// Bench settings: paths, the modes each figure uses, command-line options, progress lines.
import * as path from 'node:path';
import { PROVIDER_CHOICES, ProviderChoice } from '../daemon/api/constants';



export const ROOT = path.resolve(__dirname, '..');
export const DAEMON_JS = path.join(ROOT, 'dist', 'daemon.js');
export const MODELS_DIR = path.join(ROOT, 'models');
export const SAMPLES_DIR = path.join(ROOT, 'media', 'samples');
export const REFERENCE_DIR = path.join(ROOT, 'bench', 'reference');
export const REFERENCE_PKG = '@imgly/background-removal-node';
export const MAX_PIXELS = 64_000_000;

/** Modes used per part (said in each figure's detail). */
export const MODES = {
  ready: 'fast', // P1, P2: the cheapest cold load + warm-up
  preview: 'balanced', // P5: the extension's default mode
  steady: 'accurate', // P3, P4: the reference ISNet pipeline (1024x1024)
  quick: 'fast', // P6 numerator, latency/throughput, RSS run
  all: ['fast', 'balanced', 'accurate', 'sota'], // P7
  folder: 'text', // P10's 1,000 images and the RSS bound: the quickest built-in model (a cached answer costs the same whatever mode made it)
};

export interface Settings {
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
  /** Run only the phases that give these keys (--only P9,P11): for work on one figure. */
  only?: Set<string>;
  /** The daemons' and the bare sessions' execution provider (--provider; default: the daemon's, auto). */
  provider?: ProviderChoice;
}

/** Whether a phase giving any of `keys` runs. */
export function wanted(s: Settings, ...keys: string[]): boolean {
  return !s.only || keys.some((k) => s.only!.has(k));
}

export function parseArgs(argv: string[]): Settings {
  let quick = false;
  let out = path.join(ROOT, 'bench', 'results.json');
  let reference = true;
  let smoke = false;
  let only: Set<string> | undefined;
  let provider: ProviderChoice | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') quick = true;
    else if (a === '--out') {
      const v = argv[++i];
      if (!v) fail('--out needs a file name');
      out = path.resolve(v);
    } else if (a === '--no-reference') reference = false;
    else if (a === '--smoke') smoke = true;
    else if (a === '--only') {
      const v = argv[++i];
      if (!v) fail('--only needs keys, e.g. --only P9,P11');
      only = new Set(v.split(',').map((k) => k.trim()));
    } else if (a === '--provider') {
      const v = argv[++i];
      if (!(PROVIDER_CHOICES as readonly string[]).includes(v)) fail(`--provider takes ${PROVIDER_CHOICES.join(', ')}`);
      provider = v as ProviderChoice;
    } else if (a === '--steady-mode') {
      const v = argv[++i];
      if (!v) fail('--steady-mode needs a built-in mode');
      // P3's mode and P6's numerator both (a software GPU cannot run ISNet at 1024 in a bench's time).
      MODES.steady = v;
      MODES.quick = v;
    }
    else if (a === '--help' || a === '-h') {
      process.stdout.write(
        'usage: npm run bench -- [--quick] [--out FILE] [--no-reference]\n' +
          '  --quick         3 runs instead of 5, 3 requests per client, a 50-request RSS run (about 5 minutes on an idle 2-core machine)\n' +
          '  --out FILE      where to write the JSON (default bench/results.json)\n' +
          '  --no-reference  skip the @imgly/background-removal-node reference (P4 is then null)\n' +
          '  --smoke         one run of everything on two photos: checks the plumbing, the figures mean nothing\n' +
          '  --only KEYS     only the phases giving these keys (e.g. P9,P11; P3/P4/P6, P5, P1/P2/P8/latency/rssRun share one)\n' +
          `  --provider P    the daemons' and bare sessions' execution provider (${PROVIDER_CHOICES.join(', ')}); the machine line names it and the adapter\n` +
          "  --steady-mode M P3's mode (default accurate) and P6's numerator: e.g. text on a software GPU (P6 is then 1 by construction)\n",
      );
      process.exit(0);
    } else fail(`unknown option ${a} (try --help)`);
  }
  if (provider) setDaemonProvider(provider);
  if (smoke) return { quick: true, out, reference, runs: 1, races: 1, restartPairs: 1, perClient: 1, levels: [1, 2], rssRequests: 4, rssEvery: 2, photoLimit: 2, only, provider };
  return quick
    ? { quick, out, reference, runs: 3, races: 3, restartPairs: 3, perClient: 3, levels: [1, 2, 4, 8], rssRequests: 50, rssEvery: 5, only, provider }
    : { quick, out, reference, runs: 5, races: 5, restartPairs: 5, perClient: 5, levels: [1, 2, 4, 8], rssRequests: 200, rssEvery: 10, only, provider };
}

/** The provider every bench daemon runs with (--provider), read by daemon.ts. */
export let daemonProvider: ProviderChoice | undefined;
function setDaemonProvider(p: ProviderChoice): void {
  daemonProvider = p;
}

export function fail(message: string): never {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(2);
}

export const t0Bench = performance.now();
export function progress(message: string): void {
  const s = ((performance.now() - t0Bench) / 1000).toFixed(0).padStart(4);
  process.stderr.write(`[bench ${s}s] ${message}\n`);
}

