// What happens to loaded models over time: a per-mode keep-alive (a mode some client has
// selected is kept), a budget of loaded model files and of memory with least-recently-used
// eviction of idle models, and an approximate memory figure per model for `status`.
import { Registry } from './registry';

export interface LifecycleOptions {
  /** A loaded mode nobody selected is unloaded this long after its last use. 0 = never. */
  keepAliveMs: number;
  /** At most this many model files loaded at once (0 = no limit). */
  maxLoadedModels: number;
  /** Evict idle models while the process RSS is over this (0 = no limit). */
  maxRssBytes: number;
  now?: () => number;
  rss?: () => number;
  log?: (level: 'info' | 'warn' | 'debug', message: string) => void;
  onEvicted?: (mode: string, reason: 'idle' | 'budget') => void;
}

export interface ModelMemory {
  key: string;
  file: string;
  modes: string[];
  /** RSS growth seen while this model loaded and warmed up: an estimate, not an accounting. */
  approxBytes: number;
}

export class Lifecycle {
  private readonly lastUsed = new Map<string, number>();
  /** The mode each connected client selected (by its last use or an explicit select). */
  private readonly selections = new Map<object, string>();
  private readonly approxBytes = new Map<string, number>();
  private lastRss: number;
  private readonly now: () => number;
  private readonly rss: () => number;

  constructor(
    private readonly registry: Registry,
    private readonly opts: LifecycleOptions,
  ) {
    this.now = opts.now ?? Date.now;
    this.rss = opts.rss ?? (() => process.memoryUsage.rss());
    this.lastRss = this.rss();
  }

  /** A request used `mode`; `client` (when given) now has it selected. */
  used(mode: string, client?: object): void {
    this.lastUsed.set(mode, this.now());
    if (client) this.selections.set(client, mode);
  }

  select(client: object, mode: string): void {
    this.selections.set(client, mode);
    this.lastUsed.set(mode, this.now());
  }

  clientGone(client: object): void {
    const mode = this.selections.get(client);
    this.selections.delete(client);
    // Its keep-alive starts when the last client holding it leaves.
    if (mode !== undefined && !this.isSelected(mode)) this.lastUsed.set(mode, this.now());
  }

  isSelected(mode: string): boolean {
    for (const m of this.selections.values()) if (m === mode) return true;
    return false;
  }

  /** When the mode will be unloaded if nobody uses it (undefined: not loaded, kept, or no keep-alive). */
  expiresAt(mode: string): number | undefined {
    if (!this.opts.keepAliveMs || this.isSelected(mode)) return undefined;
    if (!this.registry.status(mode).loaded) return undefined;
    return (this.lastUsed.get(mode) ?? this.now()) + this.opts.keepAliveMs;
  }

  /** Attributes the RSS growth since the last event to `key` (called after loads and warm-ups). */
  noteGrowth(key: string): void {
    const rss = this.rss();
    const grew = rss - this.lastRss;
    this.lastRss = rss;
    if (grew > 0) this.approxBytes.set(key, (this.approxBytes.get(key) ?? 0) + grew);
  }

  models(): ModelMemory[] {
    return this.registry.loadedModels().map((m) => ({ key: m.key, file: m.file, modes: m.modes, approxBytes: this.approxBytes.get(m.key) ?? 0 }));
  }

  /** Unloads loaded modes whose keep-alive has run out. Returns them. */
  async sweep(): Promise<string[]> {
    if (!this.opts.keepAliveMs) return [];
    const now = this.now();
    const expired: string[] = [];
    for (const m of this.registry.loadedModels()) {
      if (m.busy) continue;
      for (const mode of m.modes) {
        const at = this.expiresAt(mode);
        if (at !== undefined && at <= now) expired.push(mode);
      }
    }
    for (const mode of expired) await this.evict(mode, 'idle', `not used for ${Math.round(this.opts.keepAliveMs / 60000)} min`);
    return expired;
  }

  /** Evicts least recently used idle models (never `keep`) while over a budget. Returns the modes unloaded. */
  async enforceBudget(keep?: string): Promise<string[]> {
    const evicted: string[] = [];
    for (;;) {
      const loaded = this.registry.loadedModels();
      const overCount = this.opts.maxLoadedModels > 0 && loaded.length > this.opts.maxLoadedModels;
      const overRss = this.opts.maxRssBytes > 0 && this.rss() > this.opts.maxRssBytes;
      if (!overCount && !overRss) return evicted;
      const lastUse = (modes: string[]) => Math.max(...modes.map((m) => this.lastUsed.get(m) ?? 0));
      const candidates = loaded
        .filter((m) => m.key !== keep && !m.busy)
        // Unselected before selected, then least recently used first.
        .sort((a, b) => Number(a.modes.some((x) => this.isSelected(x))) - Number(b.modes.some((x) => this.isSelected(x))) || lastUse(a.modes) - lastUse(b.modes));
      const victim = candidates[0];
      if (!victim) {
        this.opts.log?.('warn', `over the memory budget but no idle model can be evicted (${loaded.length} loaded)`);
        return evicted;
      }
      const why = overCount ? `more than ${this.opts.maxLoadedModels} models loaded` : `RSS over ${Math.round(this.opts.maxRssBytes / 1048576)} MiB`;
      for (const mode of victim.modes) {
        await this.evict(mode, 'budget', why);
        evicted.push(mode);
      }
      this.approxBytes.delete(victim.key);
      this.lastRss = this.rss();
    }
  }

  private async evict(mode: string, reason: 'idle' | 'budget', why: string): Promise<void> {
    const unloaded = await this.registry.unload(mode);
    if (unloaded.length === 0) return;
    this.opts.log?.('info', `unloaded ${mode}: ${why}`);
    this.opts.onEvicted?.(mode, reason);
    if (!this.registry.loadedModels().some((m) => m.key === this.registry.def(mode).model.key)) {
      this.approxBytes.delete(this.registry.def(mode).model.key);
    }
  }
}
