// A small Prometheus registry (text format 0.0.4): counters, gauges and histograms with
// labels. Enough for the names docs/protocol.md requires, without a dependency.
import type { JobPriority } from '../registry/jobQueue';

type Labels = Record<string, string>;

const escape = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
function labelText(labels: Labels, extra?: [string, string]): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${escape(v)}"`);
  if (extra) parts.push(`${extra[0]}="${escape(extra[1])}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}
const keyOf = (labels: Labels) => JSON.stringify(Object.entries(labels).sort());

abstract class Metric {
  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: 'counter' | 'gauge' | 'histogram',
  ) {}
  abstract lines(): string[];
  render(): string {
    return [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} ${this.type}`, ...this.lines()].join('\n');
  }
}

export class Counter extends Metric {
  private values = new Map<string, { labels: Labels; value: number }>();
  constructor(name: string, help: string) {
    super(name, help, 'counter');
  }
  inc(labels: Labels = {}, by = 1): void {
    const k = keyOf(labels);
    const cur = this.values.get(k);
    if (cur) cur.value += by;
    else this.values.set(k, { labels, value: by });
  }
  get(labels: Labels = {}): number {
    return this.values.get(keyOf(labels))?.value ?? 0;
  }
  lines(): string[] {
    return [...this.values.values()].map(({ labels, value }) => `${this.name}${labelText(labels)} ${value}`);
  }
}

export class Gauge extends Metric {
  private value = 0;
  constructor(
    name: string,
    help: string,
    private readonly read?: () => number,
  ) {
    super(name, help, 'gauge');
  }
  set(v: number): void {
    this.value = v;
  }
  lines(): string[] {
    return [`${this.name} ${this.read ? this.read() : this.value}`];
  }
}

/** A gauge read at render time, one series per label set. */
export class LabelledGauge extends Metric {
  constructor(
    name: string,
    help: string,
    private readonly read: () => [Labels, number][],
  ) {
    super(name, help, 'gauge');
  }
  lines(): string[] {
    return this.read().map(([labels, value]) => `${this.name}${labelText(labels)} ${value}`);
  }
}

export class Histogram extends Metric {
  private series = new Map<string, { labels: Labels; counts: number[]; sum: number; count: number }>();
  constructor(
    name: string,
    help: string,
    private readonly buckets: number[],
  ) {
    super(name, help, 'histogram');
  }
  observe(labels: Labels, value: number): void {
    const k = keyOf(labels);
    let s = this.series.get(k);
    if (!s) this.series.set(k, (s = { labels, counts: this.buckets.map(() => 0), sum: 0, count: 0 }));
    this.buckets.forEach((b, i) => {
      if (value <= b) s!.counts[i]++;
    });
    s.sum += value;
    s.count++;
  }
  lines(): string[] {
    const out: string[] = [];
    for (const { labels, counts, sum, count } of this.series.values()) {
      this.buckets.forEach((b, i) => out.push(`${this.name}_bucket${labelText(labels, ['le', String(b)])} ${counts[i]}`));
      out.push(`${this.name}_bucket${labelText(labels, ['le', '+Inf'])} ${count}`);
      out.push(`${this.name}_sum${labelText(labels)} ${sum}`);
      out.push(`${this.name}_count${labelText(labels)} ${count}`);
    }
    return out;
  }
}

const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** The daemon's metrics, by the names docs/protocol.md lists. */
export class DaemonMetrics {
  readonly modelLoads = new Counter('seglens_model_loads_total', 'ONNX Runtime sessions created, by the mode whose request caused it');
  readonly modelLoadSeconds = new Histogram('seglens_model_load_duration_seconds', 'Time to create a model session', SECONDS);
  readonly warmupRuns = new Counter('seglens_warmup_runs_total', 'Warm-ups run (one per warm-up, whatever its iterations)');
  readonly warmupSkipped = new Counter('seglens_warmup_skipped_total', 'ensureReady and non-forced warmup calls that found the mode warm');
  readonly warmupSeconds = new Histogram('seglens_warmup_duration_seconds', 'Duration of a warm-up', SECONDS);
  readonly inferenceSeconds = new Histogram('seglens_inference_duration_seconds', 'Model run time of a segment request', SECONDS);
  readonly requests = new Counter('seglens_requests_total', 'Requests answered, by method and outcome');
  readonly clients: Gauge;
  readonly clientReadySeconds = new Histogram('seglens_client_ready_seconds', "From a client's initialize to its first ensureReady answer", SECONDS);
  readonly queueRejected = new Counter('seglens_queue_rejected_total', 'Segment requests refused because the queue was full');
  readonly evictions = new Counter('seglens_evictions_total', 'Modes unloaded by the daemon itself, by reason (idle keep-alive, budget)');
  readonly rewarmDegraded = new Counter('seglens_rewarm_degraded_total', 'Forced warm-ups run because a warm mode had become slow');
  readonly optimizedCache = new Counter('seglens_optimized_cache_total', 'Model loads by what the optimised-graph cache did (hit, miss, rebuilt, off)');
  readonly resultCache = new Counter('seglens_result_cache_total', 'Segment requests with cache: true, by outcome (hit: answered from the result cache, miss: run and stored)');
  readonly optimizedCacheRemoved = new Counter('seglens_optimized_cache_removed_total', 'Optimised graphs removed from the cache folder (unused too long, or over its size budget)');
  readonly engineRestarts = new Counter('seglens_engine_restarts_total', 'Inference engines lost and replaced, by reason (crash: it died; watchdog: an inference ran far too long)');

  readonly embeddings = new Counter('seglens_embeddings_total', "Prompt modes' image embeddings had, by mode and outcome (computed: the encoder ran; cached: found in the embedding cache; joined: shared a run another request started)");
  readonly embeddingCacheBytes: Gauge;
  readonly queueWaiting: LabelledGauge;

  constructor(clientCount: () => number, embeddingBytes: () => number = () => 0, queueWaiting: () => Record<JobPriority, number> = () => ({ interactive: 0, batch: 0 })) {
    this.clients = new Gauge('seglens_clients', 'Open connections that completed initialize', clientCount);
    this.embeddingCacheBytes = new Gauge('seglens_embedding_cache_bytes', 'Bytes of the image embeddings (and the masks kept for previous) the embedding cache holds', embeddingBytes);
    this.queueWaiting = new LabelledGauge('seglens_queue_waiting', 'Engine jobs waiting for their turn now, by priority (interactive, batch)', () =>
      Object.entries(queueWaiting()).map(([priority, n]): [Labels, number] => [{ priority }, n]),
    );
  }

  render(): string {
    const all: Metric[] = [
      this.modelLoads,
      this.modelLoadSeconds,
      this.warmupRuns,
      this.warmupSkipped,
      this.warmupSeconds,
      this.inferenceSeconds,
      this.requests,
      this.clients,
      this.clientReadySeconds,
      this.queueRejected,
      this.evictions,
      this.rewarmDegraded,
      this.optimizedCache,
      this.optimizedCacheRemoved,
      this.resultCache,
      this.engineRestarts,
      this.embeddings,
      this.embeddingCacheBytes,
      this.queueWaiting,
    ];
    return all.map((m) => m.render()).join('\n') + '\n';
  }
}
