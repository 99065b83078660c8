// P8: the daemon stays responsive during an inference: the worst time of `status` and of a
// warm `ensureReady` from a second client while a first client's `sota` inference runs
// (docs/protocol.md: the inference runs in the engine's worker thread, never on the main thread).
import type { RunningDaemon } from '../daemon';
import { type Figure, P8_GOAL } from '../report';
import { Settings } from '../settings';
import { r1, summary, timed } from '../stats';

const MODE = 'sota';

export async function measureResponsiveness(d: RunningDaemon, s: Settings, photo: string): Promise<Figure> {
  const busy = await d.connect('bench-p8-busy');
  const probe = await d.connect('bench-p8-probe');
  try {
    await busy.ensureReady(MODE);
    await busy.segment({ mode: MODE, image: { path: photo } });
    const statusMs: number[] = [];
    const readyMs: number[] = [];
    const inferenceMs: number[] = [];
    for (let i = 0; i < s.runs; i++) {
      let done = false;
      const running = busy.segment({ mode: MODE, image: { path: photo } }).finally(() => (done = true));
      await new Promise((r) => setTimeout(r, 100)); // let the inference start in the worker
      while (!done) {
        statusMs.push((await timed(() => probe.status()))[1]);
        const [r, ms] = await timed(() => probe.ensureReady(MODE));
        if (r.warmup !== 'skipped') throw new Error(`P8: ensureReady on the warm mode ran ${r.warmup}`);
        if (!done) readyMs.push(ms);
        await new Promise((r) => setTimeout(r, 25));
      }
      inferenceMs.push((await running).timings.inferenceMs);
    }
    const worst = Math.max(...statusMs, ...readyMs);
    return {
      value: r1(worst),
      goal: P8_GOAL,
      detail: {
        mode: MODE,
        measured: `client-side round trips from a second client, one after another every 25 ms, while the first client's ${MODE} segment runs (${s.runs} inferences); value = the worst of all status and warm ensureReady calls`,
        statusMs: summary(statusMs),
        warmEnsureReadyMs: summary(readyMs),
        inferenceMs: summary(inferenceMs),
      },
    };
  } finally {
    busy.dispose();
    probe.dispose();
  }
}
