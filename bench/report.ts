// The bench's figures and the markdown table it prints.
import type { Settings } from './settings';

// ------------------------------------------------------------------------------- figures

export interface Figure {
  value: number | null;
  goal: string;
  detail: Record<string, unknown>;
}


export const P3_GOAL = '<= 1.05';
export const P5_GOAL = 'none (printed for information; retired as a goal by issue #14)';
export const P8_GOAL = '< 150 ms';
export const P11_GOAL = '<= 1.25';
export const P12_GOAL = '<= 1.1';
export const P16_GOAL = '<= 0.66, with detail.iouMin >= 0.98';

/** Each key: its label and whether a figure meets its goal (undefined: no goal). */
export const FIGURES: [string, string, ((f: Figure, v: number) => boolean) | undefined][] = [
  ['P1', "second client's ensureReady on a warm mode ÷ the cold ensureReady", (f) => Boolean(f.detail.met)],
  ['P2', 'warm-up runs when 10 clients race on a cold mode', (_, v) => v === 1],
  ['P3', 'warm segment request ÷ bare session.run (same tensor, same options)', (_, v) => v <= 1.05],
  ['P4', 'SegLens accurate end to end ÷ @imgly/background-removal-node 1.4.5', (_, v) => v <= 0.6],
  ['P5', 'first preview after a daemon restart ÷ the very first preview', undefined],
  ['P6', 'fast ÷ accurate inference time', (_, v) => v <= 0.3],
  ['P7', 'daemon RSS (GB) with the four ISNet modes warm', (_, v) => v <= 1.5],
  ['P8', "worst status / warm ensureReady (ms) from a 2nd client during a 1st client's sota inference", (_, v) => v < 150],
  ['P11', 'very first preview from spawn ÷ (session creation + one steady inference)', (_, v) => v <= 1.25],
  ['P9', 'folder throughput: batch path images/s ÷ bare session.run loop (balanced, 24 photos)', (_, v) => v >= 0.95],
  ['P10', 'reopening a cached folder: 1,000 cached results + thumbnails ÷ one warm balanced inference', (_, v) => v <= 1.0],
  ['P12', 'warm segment of a quarter-image region ÷ warm segment of the whole image (balanced, interleaved)', (_, v) => v <= 1.1],
  ['P13', 'instance postprocessing of a yolo-seg output (8,400 candidates, 80 classes, 100 kept, 1920x1080) ÷ fast inference', (_, v) => v <= 0.05],
  ['P15', 'warm seglens/prompt round trip on a cached 1920x1080 embedding − bare decoder session.run, ÷ fast inference', (f, v) => v <= 0.05 && f.detail.encoderRunsFor10Clicks === 1],
  ['P16', 'int8 ÷ fp32 ISNet inference on the CPU (balanced, bare session.run, same photos, interleaved)', (f, v) => v <= 0.66 && (f.detail.iouMin as number) >= 0.98],
];

/** The keys of the JSON, in order. */
export const KEYS = [...FIGURES.map(([k]) => k), 'latency', 'rssRun', 'machine', 'run'];

function met(check: ((f: Figure, v: number) => boolean) | undefined, f: Figure | undefined): string {
  if (!f || f.value === null) return 'not measured';
  if (!check) return '-';
  return check(f, f.value) ? 'yes' : 'no';
}

/** Each figure's detail, one JSON line per key (long arrays of samples left to the JSON file). */
export function details(results: Record<string, unknown>): string {
  const lines = ['Details (full in the JSON):', ''];
  for (const [key] of FIGURES) {
    const f = results[key] as Figure | undefined;
    if (!f) continue;
    const short = JSON.stringify(f.detail, (k, v) => (['pairs', 'runs', 'races', 'samples', 'byPhoto', 'perClient'].includes(k) ? undefined : v));
    lines.push(`- ${key}: ${short.length > 1200 ? `${short.slice(0, 1200)}…` : short}`);
  }
  return lines.join('\n');
}

export function table(results: Record<string, unknown>, s: Settings): string {
  const lines: string[] = [];
  lines.push('| key | figure | value | goal | met |', '|---|---|---|---|---|');
  for (const [key, label, check] of FIGURES) {
    const f = results[key] as Figure | undefined;
    lines.push(`| ${key} | ${label} | ${f?.value ?? 'n/a'} | ${f?.goal ?? ''} | ${met(check, f)} |`);
  }
  const p5 = results.P5 as Figure | undefined;
  if (p5 && p5.value !== null) {
    const one = p5.detail.withOneWarmupIteration as { value: number; ratioWithoutWarmup: number } | undefined;
    lines.push(
      '',
      `P5 side by side: ${p5.value} with the daemon's default warm-up` +
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

