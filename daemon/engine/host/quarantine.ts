// Inputs that took the engine down. An image that crashed the engine (or ran into the watchdog)
// twice is refused for a while (1008), so that a restored preview, re-sent on every reload,
// cannot crash it again and again. Keyed by content hash (inputGuard.ts): the same bytes under
// another path or as base64 are the same input.
import { promises as fsp } from 'node:fs';
import type { ImageInput } from '../engine';
import { inputHash } from './inputGuard';

export interface QuarantineOptions {
  /** Engine failures while the input ran before it is refused (default 2). */
  strikes?: number;
  /** How long it is refused (default 10 minutes). */
  forMs?: number;
  now?: () => number;
}

/** Inputs remembered at most (oldest forgotten first): a bound, whatever crashes. */
const MAX_ENTRIES = 1000;

export class Quarantine {
  private readonly entries = new Map<string, { strikes: number; until?: number }>();
  private readonly strikes: number;
  readonly forMs: number;
  private readonly now: () => number;

  constructor(opts: QuarantineOptions = {}) {
    this.strikes = opts.strikes ?? 2;
    this.forMs = opts.forMs ?? 10 * 60_000;
    this.now = opts.now ?? Date.now;
  }

  /** The input was running when the engine died; true when that puts it in quarantine. */
  strike(hash: string): boolean {
    const e = this.entries.get(hash) ?? { strikes: 0 };
    this.entries.delete(hash);
    this.entries.set(hash, e);
    if (this.entries.size > MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
    e.strikes++;
    if (e.strikes < this.strikes) return false;
    e.until = this.now() + this.forMs;
    return true;
  }

  /** Milliseconds the input is still refused (0: not refused). A quarantine that ran out is forgotten. */
  refusedFor(hash: string): number {
    const e = this.entries.get(hash);
    if (e?.until === undefined) return 0;
    const left = e.until - this.now();
    if (left > 0) return left;
    this.entries.delete(hash);
    return 0;
  }

  /** Any input refused now? (Only then are inputs hashed before they reach the engine.) */
  get active(): boolean {
    for (const e of this.entries.values()) if (e.until !== undefined && e.until > this.now()) return true;
    return false;
  }
}

/**
 * The content hash of an input, read on the daemon's side (only while some input is
 * quarantined). A path that is not a regular file within `maxBytes` is left to the engine,
 * which refuses it with its own error: no blocking read of a FIFO or device here.
 */
export async function hashOfInput(image: ImageInput, maxBytes: number): Promise<string | undefined> {
  if ('bytes' in image) return inputHash(image.bytes);
  try {
    const st = await fsp.stat(image.path);
    if (!st.isFile() || st.size > maxBytes) return undefined;
    return inputHash(await fsp.readFile(image.path));
  } catch {
    return undefined;
  }
}
