// P11: the very first preview on a freshly spawned daemon, as VS Code asks for it
// (`--warmup-iterations 1`, a load-only ensureReady then segment, whose own run warms the mode), against what it cannot avoid: that
// run's session creation plus one steady inference of the mode. Also checks, with timings,
// that the daemon's warm-up (ensureReady) leaves the first full-size request within 10% of steady.
import * as path from 'node:path';
import type { RunningDaemon } from '../daemon';
import { metric, startDaemon, tempDir } from '../daemon';
import { type Figure, P11_GOAL } from '../report';
import { MODES, progress, Settings } from '../settings';
import { median, now, r1, r3, summary, timed } from '../stats';

/** The warm-up setting the VS Code extension starts the daemon with (seglens.warmup.iterations). */
export const VSCODE_DAEMON_ARGS = ['--warmup-iterations', '1'];

/** 'request': as the preview panel (load only, the first request warms the mode); 'warmup': a
 * full ensureReady first (the daemon's warm-up), to check that its first request is steady. */
type Flow = 'request' | 'warmup';

async function onePreview(d: RunningDaemon, mode: string, photo: string, steadyRuns: number, flow: Flow) {
  const [c, connectMs] = await timed(() => d.connect('bench-p11'));
  try {
    const t = now();
    const ready = await c.ensureReady(mode, flow === 'warmup');
    const first = await c.segment({ mode, image: { path: photo } });
    const previewMs = now() - t;
    const steady: number[] = [];
    for (let i = 0; i < steadyRuns; i++) steady.push((await c.segment({ mode, image: { path: photo } })).timings.inferenceMs);
    const st = (await c.status()).modes.find((m) => m.mode === mode);
    const { text } = await c.metrics();
    return {
      fromSpawnMs: d.startMs + connectMs + previewMs,
      daemonStartMs: d.startMs,
      connectMs,
      previewMs,
      loadMs: st?.loadMs ?? ready.loadMs,
      warmupMs: ready.warmupMs,
      firstInferenceMs: first.timings.inferenceMs,
      firstTotalMs: first.timings.totalMs,
      steadyInferenceMs: median(steady),
      warmups: { dummy: metric(text, 'seglens_warmup_runs_total', { mode, source: 'dummy' }), request: metric(text, 'seglens_warmup_runs_total', { mode, source: 'request' }) },
    };
  } finally {
    c.dispose();
  }
}

export async function measureFirstPreview(s: Settings, photo: string): Promise<Figure> {
  const mode = MODES.preview;
  const runs: Awaited<ReturnType<typeof onePreview>>[] = [];
  const warmed: Awaited<ReturnType<typeof onePreview>>[] = [];
  for (let i = 0; i < s.restartPairs; i++) {
    for (const flow of ['request', 'warmup'] as const) {
      const d = await startDaemon(path.join(tempDir('seglens-bench-p11-'), 'cache'), VSCODE_DAEMON_ARGS);
      try {
        (flow === 'request' ? runs : warmed).push(await onePreview(d, mode, photo, 3, flow));
      } finally {
        await d.stop();
      }
    }
    const x = runs[runs.length - 1];
    progress(`P11 run ${i + 1}/${s.restartPairs}: first mask ${x.fromSpawnMs.toFixed(0)} ms from spawn; load ${x.loadMs.toFixed(0)} ms + steady inference ${x.steadyInferenceMs.toFixed(0)} ms`);
  }
  const ratios = runs.map((x) => x.fromSpawnMs / (x.loadMs + x.steadyInferenceMs));
  const firstVsSteady = warmed.map((x) => x.firstInferenceMs / x.steadyInferenceMs);
  return {
    value: r3(median(ratios)),
    goal: P11_GOAL,
    detail: {
      mode,
      photo: path.basename(photo),
      daemonArgs: VSCODE_DAEMON_ARGS,
      measured:
        'per run, a daemon spawned on a fresh --cache-dir: numerator = spawn to the first mask (daemon start, connect + initialize, a load-only ensureReady, segment), as the VS Code preview asks for it; denominator = that run\'s session creation (ModeStatus.loadMs: the model load, mostly ONNX Runtime\'s session creation) + the median inferenceMs of 3 steady requests that follow; value = median of the per-run ratios',
      ratios: ratios.map(r3),
      firstMaskFromSpawnMs: summary(runs.map((x) => x.fromSpawnMs)),
      loadMs: summary(runs.map((x) => x.loadMs)),
      warmupMs: summary(runs.map((x) => x.warmupMs)),
      steadyInferenceMs: summary(runs.map((x) => x.steadyInferenceMs)),
      firstRequestInferenceMs: summary(runs.map((x) => x.firstInferenceMs)),
      firstFullSizeInferenceOverSteady: firstVsSteady.map(r3),
      firstRequestWithoutWarmupOverSteady: runs.map((x) => r3(x.firstInferenceMs / x.steadyInferenceMs)),
      warmAfterWarmup: firstVsSteady.every((x) => x <= 1.1),
      warmAfterWarmupMeasured: "on other fresh daemons (as many), a full ensureReady (the daemon's warm-up, at the shape daemon/engine/warmupShape.ts picks) then the first request: its inferenceMs within 10% of the steady median, in every run",
      warmupRuns: warmed.map((x) => ({ warmupMs: r1(x.warmupMs), firstInferenceMs: r1(x.firstInferenceMs), steadyInferenceMs: r1(x.steadyInferenceMs), warmups: x.warmups })),
      runs: runs.map((x) => ({ ...x, fromSpawnMs: r1(x.fromSpawnMs), previewMs: r1(x.previewMs), connectMs: r1(x.connectMs), daemonStartMs: r1(x.daemonStartMs) })),
    },
  };
}
