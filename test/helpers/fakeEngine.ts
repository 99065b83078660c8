// An Engine that counts what it is asked to do and can be held mid-call, for the registry's
// unit tests (the integration tests use the real worker engine and models).
import { Engine, ImageInput, LoadInfo, SegmentOutput } from '../../daemon/engine/engine';
import { SegLensError } from '../../daemon/api/errors';
import { ModeDef, ModelRef } from '../../daemon/models/modeDef';

export class FakeEngine implements Engine {
  loads: string[] = [];
  unloads: string[] = [];
  warmups: { mode: string; iterations: number }[] = [];
  segments: string[] = [];
  /** Inference times the next segments report, in order (then 1 ms). */
  inferenceMs: number[] = [];
  /** Model keys whose load fails. */
  failing = new Set<string>();
  providers = async () => ['cpu'];
  readonly provider = 'cpu';
  private gates: Promise<void>[] = [];
  private openGate: (() => void) | undefined;

  /** Holds every following load/warm-up until `release()`. */
  hold(): void {
    this.gates.push(new Promise<void>((r) => (this.openGate = r)));
  }
  release(): void {
    this.openGate?.();
    this.gates = [];
  }
  private async gate(): Promise<void> {
    await Promise.all(this.gates);
    await new Promise((r) => setImmediate(r));
  }

  async load(model: ModelRef): Promise<LoadInfo> {
    this.loads.push(model.key);
    await this.gate();
    if (this.failing.has(model.key)) throw new SegLensError(1004, `cannot load ${model.file}`);
    return { loadMs: 5, provider: 'cpu' };
  }
  async unload(key: string): Promise<void> {
    this.unloads.push(key);
  }
  async warmup(mode: ModeDef, iterations: number): Promise<{ durationMs: number }> {
    this.warmups.push({ mode: mode.id, iterations });
    await this.gate();
    return { durationMs: 7 };
  }
  async segment(mode: ModeDef, _image: ImageInput): Promise<SegmentOutput> {
    this.segments.push(mode.id);
    const inferenceMs = this.inferenceMs.shift() ?? 1;
    return { width: 1, height: 1, maskPng: new Uint8Array(), classes: [], timings: { decodeMs: 0, preprocessMs: 0, inferenceMs, postprocessMs: 0 } };
  }
  async close(): Promise<void> {}
}

/** A minimal binary mode on model `key`. */
export function fakeMode(id: string, key = 'm1'): ModeDef {
  return {
    id,
    label: id,
    description: id,
    task: 'binary',
    inputSize: [64, 64],
    labels: ['background', 'foreground'],
    colors: [
      [0, 0, 0],
      [255, 255, 255],
    ],
    model: { key, file: `/models/${key}.onnx` },
    inputName: 'input',
    outputName: 'output',
    layout: 'NCHW',
    colorOrder: 'RGB',
    scale: 1,
    mean: [0, 0, 0],
    std: [1, 1, 1],
    output: 'sigmoid',
    tta: 'none',
    warmupIterations: 3,
  };
}
