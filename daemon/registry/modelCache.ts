// One ONNX Runtime session per model file, shared by every mode that names it. Loads are
// single flight: modes racing on the same cold file share one load.
import { Engine, LoadInfo } from '../engine/engine';
import { ModelRef } from '../models/modeDef';
import { LoadOutcome } from '../api/protocol';

interface Slot {
  flight?: Promise<LoadInfo>;
  info?: LoadInfo;
  /** Modes currently holding the session. */
  users: Set<string>;
}

export interface CacheHooks {
  /** A real load happened (a session was created), caused by `mode`. */
  onLoaded?(mode: string, model: ModelRef, info: LoadInfo): void;
}

export class ModelCache {
  private readonly slots = new Map<string, Slot>();

  constructor(
    private readonly engine: Engine,
    private readonly hooks: CacheHooks = {},
  ) {}

  isLoaded(key: string): boolean {
    return this.slots.get(key)?.info !== undefined;
  }

  /** Makes the model's session exist for `mode`; says whether this call loaded it, found it, or joined a load. */
  async acquire(model: ModelRef, mode: string): Promise<{ outcome: LoadOutcome; info: LoadInfo }> {
    let slot = this.slots.get(model.key);
    if (!slot) this.slots.set(model.key, (slot = { users: new Set() }));
    if (slot.info) {
      slot.users.add(mode);
      return { outcome: 'cached', info: slot.info };
    }
    if (slot.flight) {
      const info = await slot.flight;
      slot.users.add(mode);
      return { outcome: 'joined', info };
    }
    const s = slot;
    s.flight = this.engine.load(model);
    try {
      s.info = await s.flight;
    } catch (e) {
      if (this.slots.get(model.key) === s && s.users.size === 0) this.slots.delete(model.key);
      throw e;
    } finally {
      s.flight = undefined;
    }
    s.users.add(mode);
    this.hooks.onLoaded?.(mode, model, s.info);
    return { outcome: 'ran', info: s.info };
  }

  /** The engine lost every session (its worker died): forget them without unloading. */
  forgetAll(): void {
    for (const [key, slot] of this.slots) if (!slot.flight) this.slots.delete(key);
  }

  /** `mode` no longer needs the session; it is freed once no mode does. */
  async release(key: string, mode: string): Promise<void> {
    const slot = this.slots.get(key);
    if (!slot) return;
    slot.users.delete(mode);
    if (slot.users.size === 0 && slot.info) {
      this.slots.delete(key);
      await this.engine.unload(key);
    }
  }
}
