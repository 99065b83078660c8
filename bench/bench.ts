// `npm run bench -- [--quick] [--out FILE] [--no-reference]`: the SegLens benchmark (issues #6, #14).
//
// Talks to the real daemon (`node dist/daemon.js --listen ...`) through the protocol, one
// daemon at a time, and writes one JSON entry per figure, {value, goal, detail}, to
// bench/results.json (git-ignored) or FILE, then prints a markdown table. Every figure is a
// ratio of two things measured side by side in the same run, from medians: absolute times on
// a shared 2-core machine are noisy, ratios much less so. Nothing here asserts on time; this
// is a report, not a test.
//
// Phases, in order (see bench/README.md for what each figure means; each in bench/phases/):
//   1. machine and versions (machine.ts);
//   2. the reference, @imgly/background-removal-node 1.4.5, in a child process in
//      bench/reference (installed there with `npm ci` if missing), for the first half of the
//      runs; it exits before any daemon starts (phases/reference.ts);
//   3. the steady loop on a fresh daemon: P3 (warm accurate request vs bare session.run in
//      this process, interleaved), P4's numerator (the same accurate requests), P6 (fast vs
//      accurate inference); then the reference again for the second half of the runs
//      (phases/steady.ts);
//   4. P5: pairs of daemons on one fresh cache folder: the very first preview, then the first
//      preview after a restart (phases/restart.ts); P11: the very first preview against its
//      session creation + one steady inference (phases/firstPreview.ts);
//   5. one daemon on a fresh cache folder: P1 (cold vs second client's warm ensureReady), P2
//      (10 clients racing on a cold mode), latency and throughput at 1/2/4/8 clients (fast),
//      RSS across a 200-request run (fast), P8: status / warm ensureReady during a sota
//      inference (phases/ready.ts, phases/load.ts, phases/responsiveness.ts);
//   6. P12: a warm quarter-image region vs the whole image, balanced (phases/region.ts);
//   7. P13: an instance mode's yolo-seg postprocessing vs fast inference, in this process (phases/instancePost.ts);
//   8. P16: the int8 ISNet against the fp32 one, bare, no daemon (phases/precision.ts);
//   8b. P15: a warm seglens/prompt round trip on a cached embedding less a bare decoder run, vs
//      fast inference, with test-built SAM-shaped models (phases/promptRoundTrip.ts);
//   9. P7: a fresh daemon with the four ISNet modes warm (phases/allWarm.ts).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cleanupDaemons, RunningDaemon, startDaemon, tempDir } from './daemon';
import { machine, photos } from './machine';
import { measureAllWarm } from './phases/allWarm';
import { measureConcurrency, measureRssRun } from './phases/load';
import { measureRace, measureReady } from './phases/ready';
import { ensureReferenceInstalled, p4Figure, ReferenceResult, runReference } from './phases/reference';
import { measureFirstPreview } from './phases/firstPreview';
import { measureCachedFolder } from './phases/cachedFolder';
import { measureFolderThroughput } from './phases/folderThroughput';
import { measureRegion } from './phases/region';
import { measureInstancePost } from './phases/instancePost';
import { measureResponsiveness } from './phases/responsiveness';
import { measureRestart } from './phases/restart';
import { measurePrecision } from './phases/precision';
import { measurePromptRoundTrip } from './phases/promptRoundTrip';
import { measureSteady, SteadyResult } from './phases/steady';
import { details, type Figure, KEYS, table } from './report';
import { DAEMON_JS, fail, MODES, parseArgs, progress, REFERENCE_PKG, Settings, t0Bench, wanted } from './settings';
import { r1, stamp } from './stats';
import type { GpuAdapterInfo, GpuStatus } from '../daemon/api/protocol';

type Results = Record<string, unknown>;

/** Runs `body` on a fresh daemon (its own cache folder), printing the daemon's stderr on failure. */
async function withDaemon<T>(prefix: string, body: (d: RunningDaemon) => Promise<T>, extraArgs: string[] = []): Promise<T> {
  const d = await startDaemon(path.join(tempDir(prefix), 'cache'), extraArgs);
  try {
    return await body(d);
  } catch (e) {
    process.stderr.write(`daemon stderr (tail):\n${d.stderr().slice(-4000)}\n`);
    throw e;
  } finally {
    await d.stop();
  }
}

/** Phases 2-3: the reference in two halves around the steady loop (P3, P4, P6), each half in
 *  its own child process while no daemon runs, so that a drift in the machine's load hits both sides. */
async function steadyAndReference(s: Settings, list: string[], results: Results): Promise<void> {
  const runsBefore = Math.ceil(s.runs / 2);
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
  const steady: SteadyResult = await withDaemon('seglens-bench-steady-', async (d) => {
    const c = await d.connect('bench-info');
    const init = c.initializeResult!;
    (results.run as Results).daemon = { version: init.daemonVersion, provider: init.provider, providers: init.providers };
    noteProvider(results, init.gpu, s);
    c.dispose();
    progress(`steady loop: ${s.runs} runs x ${list.length} photos of ${MODES.steady} (daemon) / bare session.run / ${MODES.quick} (daemon)`);
    return measureSteady(d, s, list);
  });
  results.P3 = stamp(steady.p3);
  stamp(steady.p6);
  await reference(s.runs - runsBefore, 'second half');
  results.P4 =
    refHalves.length > 0
      ? await p4Figure(refHalves, steady, list, { referenceInstall, referenceLoad })
      : ({ value: null, goal: '<= 0.6', detail: { skipped: '--no-reference' } } satisfies Figure);
  results.P6 = steady.p6;
}

/** Phase 4: P5, with the daemon's default warm-up and, side by side, with one iteration. */
async function restartPairs(s: Settings, list: string[], results: Results): Promise<void> {
  progress(`P5: ${s.restartPairs} pairs of first previews (mode ${MODES.preview})`);
  const p5 = stamp(await measureRestart(s, list[0]));
  results.P5 = p5;
  progress(`P5: the same with --warmup-iterations 1`);
  const one = await measureRestart(s, list[0], ['--warmup-iterations', '1']);
  const od = one.detail as Record<string, unknown>;
  p5.detail.withOneWarmupIteration = {
    value: one.value,
    firstPreviewFromSpawnMs: od.firstPreviewFromSpawnMs,
    afterRestartFromSpawnMs: od.afterRestartFromSpawnMs,
    ratioWithoutWarmup: od.ratioWithoutWarmup,
  };
}

/** Phase 5: one daemon for readiness, races, load levels, RSS. */
async function mainDaemon(s: Settings, list: string[], results: Results): Promise<void> {
  await withDaemon('seglens-bench-main-', async (d) => {
    const ctl = await d.connect('bench-control');
    progress(`P1: ${s.runs} cold/warm ensureReady pairs (mode ${MODES.ready})`);
    results.P1 = stamp(await measureReady(d, s, ctl));
    progress(`P2: ${s.races} races of 10 clients (mode ${MODES.ready})`);
    results.P2 = stamp(await measureRace(d, s, ctl));
    progress(`latency and throughput at ${s.levels.join(', ')} clients (mode ${MODES.quick})`);
    results.latency = stamp(await measureConcurrency(d, s, list));
    progress(`RSS across ${s.rssRequests} requests (mode ${MODES.quick})`);
    results.rssRun = stamp(await measureRssRun(d, s, list));
    progress(`P8: status and warm ensureReady from a second client during ${s.runs} sota inferences`);
    results.P8 = stamp(await measureResponsiveness(d, s, list[0]));
    ctl.dispose();
  });
}

/** The provider asked for and the GPU adapter the daemon found, for the machine line. */
function noteProvider(results: Results, gpu: GpuStatus | undefined, s: Settings): void {
  const m = results.machine as Results;
  m.provider = s.provider ?? 'auto (the default)';
  m.adapter = gpu?.adapter ?? null;
  if (gpu?.unavailable.length) m.providersUnavailable = gpu.unavailable;
}

function providerLine(m: Results): string {
  const a = m.adapter as GpuAdapterInfo | null | undefined;
  const adapter = a ? `adapter ${a.vendor ? `${a.vendor} ${a.architecture}` : (a.driver ?? 'not named by ONNX Runtime')} (${a.backend}${a.driver ? `, ${a.driver}` : ''}, ${a.f16 ? 'f16' : 'no f16'})` : 'no GPU adapter';
  return `Provider ${String(m.provider ?? 'auto (the default)')}, ${adapter}. `;
}

/** Writes the JSON (keys in a fixed order) and prints the table and the machine line. */
function report(s: Settings, results: Results): void {
  const run = results.run as Results;
  run.durationS = Math.round((performance.now() - t0Bench) / 1000);
  run.loadAverageAtEnd = os.loadavg().map(r1);
  const ordered: Results = {};
  for (const k of KEYS) ordered[k] = results[k];
  fs.mkdirSync(path.dirname(s.out), { recursive: true });
  fs.writeFileSync(s.out, JSON.stringify(ordered, null, 2) + '\n');
  const m = results.machine as ReturnType<typeof machine>;
  process.stdout.write(
    `\n${table(ordered, s)}\n\n${details(ordered)}\n\n` +
      `Machine: ${m.cpu.model}, ${m.cpu.logicalCpus} logical CPUs (${m.cpu.simd.join(', ') || 'no AVX2'}), ${m.totalMemoryGB} GB, ` +
      `Node ${m.node}, onnxruntime-node ${m.onnxruntimeNode}, sharp ${m.sharp}. ` +
      providerLine(results.machine as Results) +
      `Load average ${m.loadAverageAtStart.join(' / ')} at the start, ${(run.loadAverageAtEnd as number[]).join(' / ')} at the end; ${run.durationS} s${s.quick ? ' (--quick)' : ''}.\n` +
      `JSON: ${path.relative(process.cwd(), s.out) || s.out}\n`,
  );
}

async function main(): Promise<void> {
  const s = parseArgs(process.argv.slice(2));
  if (!fs.existsSync(DAEMON_JS)) fail(`${DAEMON_JS} is missing: run 'npm run build' (npm run bench does)`);
  const list = photos().slice(0, s.photoLimit);
  const results: Results = {
    machine: machine(),
    run: { started: new Date().toISOString(), quick: s.quick, runs: s.runs, photos: list.map((p) => path.basename(p)), modes: MODES },
  };
  progress(`${s.quick ? 'quick' : 'full'} run: ${s.runs} runs over ${list.length} photos; results to ${s.out}`);
  if (wanted(s, 'P3', 'P4', 'P6')) await steadyAndReference(s, list, results);
  if (wanted(s, 'P5')) await restartPairs(s, list, results);
  if (wanted(s, 'P11')) {
    progress(`P11: ${s.restartPairs} very first previews on fresh daemons (mode ${MODES.preview}, VS Code's warm-up setting)`);
    results.P11 = stamp(await measureFirstPreview(s, list[0]));
  }
  if (wanted(s, 'P1', 'P2', 'P8', 'latency', 'rssRun')) await mainDaemon(s, list, results);
  if (wanted(s, 'P9')) {
    progress(`P9: folder throughput, batch path vs bare session.run (mode ${MODES.preview})`);
    results.P9 = stamp(await measureFolderThroughput(s));
  }
  if (wanted(s, 'P10')) {
    progress(`P10: 1,000 images through the batch path (mode ${MODES.folder}, RSS sampled), then reopened from the cache`);
    results.P10 = stamp(await measureCachedFolder(MODES.folder));
  }
  if (wanted(s, 'P12')) {
    progress(`P12: ${s.runs} interleaved pairs per photo, quarter-image region vs whole image (mode ${MODES.preview})`);
    results.P12 = stamp(await withDaemon('seglens-bench-region-', (d) => measureRegion(d, s, list)));
  }
  if (wanted(s, 'P13')) results.P13 = stamp(await measureInstancePost(s, list[0]));
  if (wanted(s, 'P16')) {
    progress(`P16: int8 vs fp32 ISNet, bare session.run (mode ${MODES.preview}), ${s.runs} runs over ${list.length} photos`);
    results.P16 = stamp(await measurePrecision(s, list));
  }
  if (wanted(s, 'P15')) {
    progress('P15: a prompt mode (test-built SAM-shaped pair) on a fresh daemon');
    results.P15 = stamp(await withDaemon('seglens-bench-prompt-', (d) => measurePromptRoundTrip(d, s, list[0])));
  }
  if (wanted(s, 'P7')) {
    progress(`P7: a fresh daemon with ${MODES.all.join(', ')} warm`);
    results.P7 = stamp(await measureAllWarm(list));
  }
  report(s, results);
}

process.on('SIGINT', () => {
  cleanupDaemons();
  process.exit(130);
});

main().then(
  () => {
    cleanupDaemons();
    process.exit(0);
  },
  (e) => {
    process.stderr.write(`bench failed: ${(e as Error).stack ?? e}\n`);
    cleanupDaemons();
    process.exit(1);
  },
);
