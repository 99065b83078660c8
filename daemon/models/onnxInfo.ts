// Reads what an ONNX file declares (graph inputs and outputs with their element types and
// shapes, opset, producer, metadata, and the operator that produces each output) WITHOUT
// creating an inference session and without reading the weights: the protobuf is walked
// field by field straight from the file, skipping the initializers' bytes, and only the small
// messages (value infos, opset ids, metadata entries) are decoded, with onnx-proto. A 2 GB
// model costs a few hundred small reads, not 2 GB of memory.
import { constants as fsConstants, promises as fsp } from 'node:fs';
import { onnx } from 'onnx-proto';

/** One graph input or output. `shape`: a number per fixed axis, the symbol name of a
 * symbolic axis, null for an axis of unknown size; `null` when the rank itself is unknown. */
export interface TensorInfo {
  name: string;
  /** 'float32', 'float16', 'uint8', 'int64'... as ONNX Runtime names them; 'sequence', 'map' or 'unknown' otherwise. */
  type: string;
  shape: (number | string | null)[] | null;
}

export interface OnnxSummary {
  inputs: TensorInfo[];
  outputs: TensorInfo[];
  irVersion?: number;
  /** Version of the default ('' / 'ai.onnx') operator set. */
  opset?: number;
  producer?: string;
  producerVersion?: string;
  metadata: Record<string, string>;
  /** Operator type of the node producing each graph output ('Sigmoid', 'Softmax', 'Conv'...),
   * looking through operators that keep the values' meaning (Cast, Identity, Reshape, Resize...). */
  outputOps: Record<string, string>;
  fileBytes: number;
}

export class OnnxFormatError extends Error {}

/** Operators that move or convert values without changing what they mean (a probability stays one). */
const PASS_THROUGH = new Set(['Cast', 'Identity', 'Reshape', 'Squeeze', 'Unsqueeze', 'Transpose', 'Resize', 'Upsample', 'Flatten', 'Slice', 'Expand']);

const ELEM_TYPES: Record<number, string> = {
  1: 'float32',
  2: 'uint8',
  3: 'int8',
  4: 'uint16',
  5: 'int16',
  6: 'int32',
  7: 'int64',
  8: 'string',
  9: 'bool',
  10: 'float16',
  11: 'float64',
  12: 'uint32',
  13: 'uint64',
  14: 'complex64',
  15: 'complex128',
  16: 'bfloat16',
};

type Long = { toNumber(): number };
const toNum = (v: number | Long | null | undefined): number | undefined =>
  v === null || v === undefined ? undefined : typeof v === 'number' ? v : v.toNumber();

/** Random access to a file through one window buffer (most reads are sequential). */
class FileReader {
  private win = Buffer.alloc(0);
  private winStart = 0;
  reads = 0;
  constructor(
    private readonly fh: fsp.FileHandle,
    readonly size: number,
    private readonly chunk = 1 << 20,
  ) {}

  async bytes(pos: number, len: number): Promise<Buffer> {
    if (pos < 0 || len < 0 || pos + len > this.size) throw new OnnxFormatError(`truncated: ${len} bytes at offset ${pos} run past the end of the file (${this.size} bytes)`);
    if (pos >= this.winStart && pos + len <= this.winStart + this.win.length) return this.win.subarray(pos - this.winStart, pos - this.winStart + len);
    const want = Math.min(Math.max(len, this.chunk), this.size - pos);
    const buf = Buffer.alloc(want);
    let got = 0;
    while (got < want) {
      const { bytesRead } = await this.fh.read(buf, got, want - got, pos + got);
      this.reads++;
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    if (got < len) throw new OnnxFormatError(`could not read ${len} bytes at offset ${pos}`);
    this.win = buf.subarray(0, got);
    this.winStart = pos;
    return this.win.subarray(0, len);
  }

  /** A base-128 varint at `pos` (values up to 2^53 are exact). */
  async varint(pos: number): Promise<{ value: number; next: number }> {
    const b = await this.bytes(pos, Math.min(10, this.size - pos));
    let value = 0;
    let mul = 1;
    for (let i = 0; i < b.length; i++) {
      value += (b[i] & 0x7f) * mul;
      if ((b[i] & 0x80) === 0) return { value, next: pos + i + 1 };
      mul *= 128;
    }
    throw new OnnxFormatError(`bad varint at offset ${pos}`);
  }
}

interface Field {
  field: number;
  wire: number;
  /** Varint value (wire 0). */
  value: number;
  /** Byte range of a length-delimited value (wire 2). */
  start: number;
  end: number;
}

/** Walks the fields of the message in [start, end), calling `fn` for each. */
async function walk(r: FileReader, start: number, end: number, fn: (f: Field) => Promise<void> | void): Promise<void> {
  let pos = start;
  while (pos < end) {
    const tag = await r.varint(pos);
    pos = tag.next;
    const field = Math.floor(tag.value / 8);
    const wire = tag.value % 8;
    if (field === 0) throw new OnnxFormatError(`field number 0 at offset ${pos}`);
    let f: Field;
    switch (wire) {
      case 0: {
        const v = await r.varint(pos);
        f = { field, wire, value: v.value, start: pos, end: v.next };
        pos = v.next;
        break;
      }
      case 1:
        f = { field, wire, value: 0, start: pos, end: pos + 8 };
        pos += 8;
        break;
      case 5:
        f = { field, wire, value: 0, start: pos, end: pos + 4 };
        pos += 4;
        break;
      case 2: {
        const len = await r.varint(pos);
        f = { field, wire, value: len.value, start: len.next, end: len.next + len.value };
        pos = f.end;
        break;
      }
      default:
        throw new OnnxFormatError(`unsupported protobuf wire type ${wire} at offset ${pos}`);
    }
    if (pos > end) throw new OnnxFormatError(`a field at offset ${f.start} runs past the end of its message`);
    await fn(f);
  }
}

async function str(r: FileReader, f: Field): Promise<string> {
  return (await r.bytes(f.start, f.end - f.start)).toString('utf8');
}

/** Decoding a small message (value info, opset id...) with onnx-proto: at most 16 MiB. */
async function small(r: FileReader, f: Field, what: string): Promise<Uint8Array> {
  if (f.end - f.start > 16 << 20) throw new OnnxFormatError(`${what} is implausibly large (${f.end - f.start} bytes)`);
  return r.bytes(f.start, f.end - f.start);
}

export function tensorInfo(v: onnx.IValueInfoProto): TensorInfo {
  const name = v.name ?? '';
  const t = v.type;
  if (!t) return { name, type: 'unknown', shape: null };
  if (t.tensorType) {
    const tt = t.tensorType;
    const type = ELEM_TYPES[tt.elemType ?? 0] ?? `type${tt.elemType ?? '?'}`;
    // Decoded messages carry only the fields present as own properties (defaults sit on the
    // prototype): a dim with neither value nor param has an unknown size.
    const own = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);
    const shape = tt.shape
      ? (tt.shape.dim ?? []).map((d) => (d.dimParam ? d.dimParam : own(d, 'dimValue') ? (toNum(d.dimValue as number | Long | null) ?? null) : null))
      : null;
    return { name, type, shape };
  }
  if (t.sequenceType) return { name, type: 'sequence', shape: null };
  if (t.mapType) return { name, type: 'map', shape: null };
  return { name, type: 'unknown', shape: null };
}

/** Reads the summary of an ONNX file. Throws OnnxFormatError when it is not one, fs errors as they are. */
export async function readOnnxSummary(file: string): Promise<OnnxSummary> {
  // O_NONBLOCK: a FIFO opens at once (and is refused below) instead of blocking for a writer.
  const fh = await fsp.open(file, fsConstants.O_RDONLY | (fsConstants.O_NONBLOCK ?? 0));
  try {
    const st = await fh.stat();
    if (st.isDirectory()) throw new OnnxFormatError('a folder, not a file');
    if (!st.isFile()) throw new OnnxFormatError('not a regular file');
    if (st.size === 0) throw new OnnxFormatError('the file is empty');
    const r = new FileReader(fh, st.size);
    const out: OnnxSummary = { inputs: [], outputs: [], metadata: {}, outputOps: {}, fileBytes: st.size };
    let graph: Field | undefined;
    await walk(r, 0, st.size, async (f) => {
      if (f.field === 1 && f.wire === 0) out.irVersion = f.value;
      else if (f.field === 2 && f.wire === 2) out.producer = await str(r, f);
      else if (f.field === 3 && f.wire === 2) out.producerVersion = await str(r, f);
      else if (f.field === 7 && f.wire === 2) graph = f;
      else if (f.field === 8 && f.wire === 2) {
        const o = onnx.OperatorSetIdProto.decode(await small(r, f, 'an opset import'));
        if (!o.domain || o.domain === 'ai.onnx') out.opset = toNum(o.version as number | Long);
      } else if (f.field === 14 && f.wire === 2) {
        const e = onnx.StringStringEntryProto.decode(await small(r, f, 'a metadata entry'));
        if (e.key && Object.keys(out.metadata).length < 64) out.metadata[e.key] = (e.value ?? '').slice(0, 4096);
      }
    });
    if (out.irVersion === undefined || !graph) throw new OnnxFormatError('no ONNX model header (ir_version and graph)');

    const inputs: onnx.IValueInfoProto[] = [];
    const outputs: onnx.IValueInfoProto[] = [];
    const initializers = new Set<string>();
    const producers = new Map<string, { op: string; input?: string }>();
    const g = graph;
    await walk(r, g.start, g.end, async (f) => {
      if (f.wire !== 2) return;
      switch (f.field) {
        case 1: {
          // NodeProto: output = 2 (repeated string), op_type = 4; attributes (5) may be large: skipped.
          // input = 1 (the first one is the data input of the pass-through operators below).
          const outs: string[] = [];
          let op = '';
          let input: string | undefined;
          await walk(r, f.start, f.end, async (nf) => {
            if (nf.field === 2 && nf.wire === 2) outs.push(await str(r, nf));
            else if (nf.field === 4 && nf.wire === 2) op = await str(r, nf);
            else if (nf.field === 1 && nf.wire === 2 && input === undefined) input = await str(r, nf);
          });
          for (const o of outs) producers.set(o, { op, input });
          break;
        }
        case 5: // TensorProto initializer: name = 8; its data is skipped
          initializers.add(await tensorName(r, f));
          break;
        case 15: // SparseTensorProto: values = 1 (a TensorProto)
          await walk(r, f.start, f.end, async (sf) => {
            if (sf.field === 1 && sf.wire === 2) initializers.add(await tensorName(r, sf));
          });
          break;
        case 11:
          inputs.push(onnx.ValueInfoProto.decode(await small(r, f, 'a graph input')));
          break;
        case 12:
          outputs.push(onnx.ValueInfoProto.decode(await small(r, f, 'a graph output')));
          break;
      }
    });
    // Before IR 4, initializers were also listed as graph inputs: those are not inputs to feed.
    out.inputs = inputs.filter((v) => !initializers.has(v.name ?? '')).map(tensorInfo);
    out.outputs = outputs.map(tensorInfo);
    for (const o of out.outputs) {
      let p = producers.get(o.name);
      for (let hops = 0; p && PASS_THROUGH.has(p.op) && p.input && producers.has(p.input) && hops < 16; hops++) p = producers.get(p.input);
      if (p?.op) out.outputOps[o.name] = p.op;
    }
    if (out.inputs.length === 0 || out.outputs.length === 0) throw new OnnxFormatError('the graph declares no inputs or no outputs');
    return out;
  } finally {
    await fh.close();
  }
}

async function tensorName(r: FileReader, f: Field): Promise<string> {
  let name = '';
  await walk(r, f.start, f.end, async (tf) => {
    if (tf.field === 8 && tf.wire === 2) name = await str(r, tf);
  });
  return name;
}
