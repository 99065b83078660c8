// The embedding cache of prompt modes (issue 25): which image embeddings the engine keeps,
// keyed by the mode (its definition and model files) and the image's content (sha256), never by
// its path. Bounded by --embedding-cache-mb: past it, the least recently used embedding no
// request is using goes first. Single flight: requests racing on an image not yet embedded share
// one encoder run ('joined'); an interactive request that joins a batch run raises it to
// interactive priority (the gallery embeds ahead of the user, never ahead of a click). The data itself stays in the engine beside the sessions (the
// decoder reads it there); this side tells the engine what to drop.
import type { EmbeddingOutcome } from '../api/protocol';

export interface Embedded {
  width: number;
  height: number;
  encoderMs: number;
  bytes: number;
}

export interface CachedEmbedding extends Embedded {
  key: string;
  mode: string;
  /** Answers whose low-res masks the engine keeps for `previous` (oldest first): their bytes and best candidate. */
  tokens: Map<string, { bytes: number; best: number; candidates: number }>;
  /** Requests using it now: never evicted while > 0. */
  active: number;
}

export interface Lease {
  entry: CachedEmbedding;
  outcome: EmbeddingOutcome;
  /** The request is done with it (idempotent). */
  release(): void;
}

interface Flight {
  promise: Promise<CachedEmbedding>;
  joiners: number;
  /** Raises the run to interactive priority (from its starter's `Urgency`). */
  promote: () => void;
}

/** How urgent a request is, and how to raise the run it starts when an urgent one joins it. */
export interface Urgency {
  interactive: boolean;
  promote: () => void;
}

export class EmbeddingCache {
  /** In least recently used order (a use moves an entry last). */
  private readonly entries = new Map<string, CachedEmbedding>();
  private readonly flights = new Map<string, Flight>();
  private bytes = 0;

  constructor(
    private readonly budgetBytes: number,
    /** Frees embeddings in the engine. */
    private readonly drop: (keys: string[]) => void,
  ) {}

  /** Bytes of the embeddings and kept masks held. */
  get totalBytes(): number {
    return this.bytes;
  }

  /** Embeddings held for `mode`. */
  count(mode: string): number {
    let n = 0;
    for (const e of this.entries.values()) if (e.mode === mode) n++;
    return n;
  }

  /** The embedding of `key`: held ('cached'), being computed ('joined'), or computed now by `compute` ('computed'). */
  async acquire(key: string, mode: string, compute: () => Promise<Embedded>, urgency?: Urgency): Promise<Lease> {
    const held = this.entries.get(key);
    if (held) {
      this.touch(held);
      return this.lease(held, 'cached');
    }
    const flying = this.flights.get(key);
    if (flying) {
      flying.joiners++;
      if (urgency?.interactive) flying.promote();
      // The computing request pinned the entry for every joiner before resolving.
      return this.lease(await flying.promise, 'joined', false);
    }
    const flight: Flight = { joiners: 0, promote: urgency?.promote ?? (() => undefined), promise: this.compute(key, mode, compute, () => flight.joiners) };
    this.flights.set(key, flight);
    flight.promise.catch(() => undefined);
    return this.lease(await flight.promise, 'computed', false);
  }

  /** An answer on the embedding whose masks the engine now keeps; `dropped`: tokens it let go. */
  addToken(entry: CachedEmbedding, token: string, t: { bytes: number; best: number; candidates: number }, dropped: string[]): void {
    for (const d of dropped) this.removeToken(entry, d);
    if (!this.entries.has(entry.key)) return; // dropped meanwhile: its tokens went with it
    entry.tokens.set(token, t);
    this.bytes += t.bytes;
    this.evict();
  }

  /** Every embedding of `mode` (it was unloaded or redefined). */
  dropMode(mode: string): void {
    const keys = [...this.entries.values()].filter((e) => e.mode === mode).map((e) => e.key);
    for (const k of keys) this.remove(k);
    if (keys.length) this.drop(keys);
  }

  /** The engine lost everything it kept (it crashed): forget without telling it. */
  clear(): void {
    this.entries.clear();
    this.bytes = 0;
  }

  private async compute(key: string, mode: string, compute: () => Promise<Embedded>, joiners: () => number): Promise<CachedEmbedding> {
    try {
      const made = await compute();
      const entry: CachedEmbedding = { ...made, key, mode, tokens: new Map(), active: 1 + joiners() };
      this.entries.set(key, entry);
      this.bytes += made.bytes;
      this.evict();
      return entry;
    } finally {
      this.flights.delete(key);
    }
  }

  private lease(entry: CachedEmbedding, outcome: EmbeddingOutcome, pin = true): Lease {
    if (pin) entry.active++;
    let done = false;
    return {
      entry,
      outcome,
      release: () => {
        if (done) return;
        done = true;
        entry.active--;
        this.evict();
      },
    };
  }

  private touch(e: CachedEmbedding): void {
    this.entries.delete(e.key);
    this.entries.set(e.key, e);
  }

  /** Past the budget, drops the least recently used embeddings no request uses. */
  private evict(): void {
    if (this.bytes <= this.budgetBytes) return;
    const gone: string[] = [];
    for (const e of this.entries.values()) {
      if (this.bytes <= this.budgetBytes) break;
      if (e.active > 0) continue;
      this.remove(e.key);
      gone.push(e.key);
    }
    if (gone.length) this.drop(gone);
  }

  private remove(key: string): void {
    const e = this.entries.get(key);
    if (!e) return;
    this.entries.delete(key);
    this.bytes -= e.bytes;
    for (const t of e.tokens.values()) this.bytes -= t.bytes;
  }

  private removeToken(e: CachedEmbedding, token: string): void {
    const t = e.tokens.get(token);
    if (!t) return;
    e.tokens.delete(token);
    if (this.entries.has(e.key)) this.bytes -= t.bytes;
  }
}
