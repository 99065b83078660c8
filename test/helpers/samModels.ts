// Segment Anything shaped models built by the tests (issue 25): an image encoder and a prompt
// decoder with the exact ONNX contract of segment-anything's export_onnx_model.py, whose
// outputs are known functions of their inputs (samReference.ts computes them independently).
//
// The encoder: [1,3,S,S] → image_embeddings [1,256,S/16,S/16]. A 16x16 stride-16 patch
// convolution then `layers` 3x3 convolutions 256→256 (the realistic cost: about 0.25 s each
// here). Channel 0 stays the mean of the normalised red channel over each 16x16 patch (the
// later convolutions pass it through), so a decoder can show where the image was put.
//
// The decoder: every output pixel (X, Y) of the original image is mapped to the encoder's frame
// as (X * neww / W, Y * newh / H), with segment-anything's rounded resize (neww, newh) computed
// from orig_im_size; a mask candidate k is then
//   (the discs of radius radii[k] around the positive points ∪ the box when there is no
//    positive point ∪ the previous mask (mask_input > 0, when has_mask_input))
//   \ the discs of radius radii[k] around the negative points, inside the box when there is one;
// a last `probe` candidate, when asked, is "embedding channel 0 > 0 at the pixel's patch" (the
// normalised red over the patch is positive). iou_predictions are the constants given. The same
// function on the 256x256 grid (u = 4j, v = 4i) gives low_res_masks. Logits are +1 / -1.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { onnx } from 'onnx-proto';
import type { UserModeDefinition } from '../../daemon/api/protocol';
import { valueInfo } from './buildModels';
import { random } from './instanceModels';

const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT64 = onnx.TensorProto.DataType.INT64;
const A = onnx.AttributeProto.AttributeType;

type Attr = number | number[] | onnx.ITensorProto;
function n(op: string, input: string[], output: string, attrs: Record<string, Attr> = {}): onnx.INodeProto {
  const attribute = Object.entries(attrs).map(([name, v]): onnx.IAttributeProto => {
    if (typeof v === 'number') return { name, type: A.INT, i: v };
    if (Array.isArray(v)) return { name, type: A.INTS, ints: v };
    return { name, type: A.TENSOR, t: v };
  });
  return { opType: op, input, output: [output], name: `${op}_${output}`, attribute };
}
const floats = (name: string, dims: number[], values: ArrayLike<number>): onnx.ITensorProto => ({
  name,
  dataType: FLOAT,
  dims,
  rawData: new Uint8Array(Float32Array.from(values).buffer),
});
const ints = (name: string, dims: number[], values: number[]): onnx.ITensorProto => ({ name, dataType: INT64, dims, int64Data: values });

function encodeModel(graph: onnx.IGraphProto): Uint8Array {
  return onnx.ModelProto.encode(
    onnx.ModelProto.create({ irVersion: 8, producerName: 'seglens-tests', producerVersion: '1', opsetImport: [{ domain: '', version: 17 }], graph }),
  ).finish();
}

export interface SamEncoderOptions {
  /** The input side (default 1024: embeddings 64x64). */
  size?: number;
  /** 3x3 convolutions after the patch convolution (default 2: with the patch one, at least 0.5 s here). */
  layers?: number;
  /** Embedding channels (default 256). */
  channels?: number;
  /** Names (defaults 'image' and 'image_embeddings'). */
  inputName?: string;
  outputName?: string;
}

export function samEncoderModel(o: SamEncoderOptions = {}): Uint8Array {
  const S = o.size ?? 1024;
  const C = o.channels ?? 256;
  const layers = o.layers ?? 2;
  const input = o.inputName ?? 'image';
  const output = o.outputName ?? 'image_embeddings';
  const rnd = random(25);
  const init: onnx.ITensorProto[] = [];
  const node: onnx.INodeProto[] = [];
  // Patch convolution: channel 0 = the mean of input channel 0 over the patch.
  const patch = new Float32Array(C * 3 * 256);
  for (let i = 0; i < 256; i++) patch[i] = 1 / 256;
  for (let i = 3 * 256; i < patch.length; i++) patch[i] = (rnd() - 0.5) * 2 * Math.sqrt(3 / 768);
  init.push(floats('patch_w', [C, 3, 16, 16], patch));
  node.push(n('Conv', [input, 'patch_w'], 'x0', { kernel_shape: [16, 16], strides: [16, 16] }));
  for (let l = 0; l < layers; l++) {
    const w = new Float32Array(C * C * 9);
    for (let i = 0; i < w.length; i++) w[i] = (rnd() - 0.5) * 2 * Math.sqrt(3 / (9 * C));
    // Output channel 0 is input channel 0 (centre tap 1, nothing else).
    w.fill(0, 0, C * 9);
    w[4] = 1;
    init.push(floats(`conv${l}_w`, [C, C, 3, 3], w));
    node.push(n('Conv', [`x${l}`, `conv${l}_w`], l === layers - 1 ? output : `x${l + 1}`, { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }));
  }
  if (layers === 0) node.push(n('Identity', ['x0'], output));
  return encodeModel({ name: 'sam_encoder', node, initializer: init, input: [valueInfo(input, [1, 3, S, S])], output: [valueInfo(output, [1, C, S / 16, S / 16])] });
}

export interface SamDecoderOptions {
  /** The encoder's input side (default 1024). */
  size?: number;
  /** Disc radius of each disc candidate, in the encoder's frame (default [60, 120]). */
  radii?: number[];
  /** iou_predictions, one per candidate (with `probe`, one more for it last). Default [0.6, 0.9] (+ 0.2). */
  ious?: number[];
  /** A last candidate showing the embedding's channel 0 (default true). */
  probe?: boolean;
  channels?: number;
}

/** The decoder's output candidates and their iou_predictions. */
export function decoderCandidates(o: SamDecoderOptions = {}): { radii: number[]; ious: number[]; probe: boolean } {
  const radii = o.radii ?? [60, 120];
  const probe = o.probe ?? true;
  const ious = o.ious ?? [...[0.6, 0.9, 0.75].slice(0, radii.length), ...(probe ? [0.2] : [])];
  return { radii, ious, probe };
}

export function samDecoderModel(o: SamDecoderOptions = {}): Uint8Array {
  const S = o.size ?? 1024;
  const E = S / 16;
  const C = o.channels ?? 256;
  const { radii, ious, probe } = decoderCandidates(o);
  const K = radii.length + (probe ? 1 : 0);
  const node: onnx.INodeProto[] = [];
  const init: onnx.ITensorProto[] = [
    floats('c0', [], [0]),
    floats('c1', [], [1]),
    floats('c2', [], [2]),
    floats('c3', [], [3]),
    floats('c4', [], [4]),
    floats('c16', [], [16]),
    floats('cS', [], [S]),
    floats('chalf', [], [0.5]),
    floats('cmax_low', [], [S / 4 - 1]),
    floats('cmax_emb', [], [E - 1]),
    floats('r2', [radii.length, 1, 1, 1], radii.map((r) => r * r)),
    floats('ious', [1, K], ious),
    ints('i0', [1], [0]),
    ints('i1', [1], [1]),
    ints('i2', [1], [2]),
    ints('ax0', [1], [0]),
    ints('shape_low', [2], [S / 4, S / 4]),
    ints('shape_emb', [2], [E, E]),
  ];
  const add = (...nodes: onnx.INodeProto[]) => node.push(...nodes);
  // Points: cx, cy [N]; labels [N] → isPos, isNeg, isB2, isB3 as floats.
  add(
    n('Gather', ['point_coords', 'i0'], 'pc', { axis: 0 }), // [1,N,2]
    n('Squeeze', ['pc', 'ax0'], 'pc2'), // [N,2]
    n('Gather', ['pc2', 'i0'], 'cx_', { axis: 1 }), // [N,1]
    n('Gather', ['pc2', 'i1'], 'cy_', { axis: 1 }),
    n('Squeeze', ['point_labels', 'ax0'], 'lab'), // [N]
  );
  const labelIs = (v: string, out: string) => add(n('Equal', ['lab', v], `${out}_b`), n('Cast', [`${out}_b`], out, { to: FLOAT }));
  labelIs('c1', 'isPos');
  labelIs('c0', 'isNeg');
  labelIs('c2', 'isB2');
  labelIs('c3', 'isB3');
  add(
    n('ReduceMax', ['isPos'], 'anyPos', { keepdims: 0 }),
    n('ReduceMax', ['isB2'], 'hasBox', { keepdims: 0 }),
    n('Sub', ['c1', 'anyPos'], 'noPos'),
    n('Sub', ['c1', 'hasBox'], 'noBox'),
    n('Reshape', ['cx_', 'shape_n'], 'cx'),
    n('Reshape', ['cy_', 'shape_n'], 'cy'),
  );
  init.push(ints('shape_n', [1], [-1]));
  // The box corners (0 when absent).
  const cornerOf = (coord: string, is: string, out: string) => add(n('Mul', [coord, is], `${out}_m`), n('ReduceSum', [`${out}_m`], out, { keepdims: 0 }));
  cornerOf('cx', 'isB2', 'bx1');
  cornerOf('cy', 'isB2', 'by1');
  cornerOf('cx', 'isB3', 'bx2');
  cornerOf('cy', 'isB3', 'by2');
  // orig_im_size → the rounded resize of segment-anything's ResizeLongestSide.
  add(
    n('Gather', ['orig_im_size', 'i0'], 'Hs'), // [1]
    n('Gather', ['orig_im_size', 'i1'], 'Ws'),
    n('Max', ['Hs', 'Ws'], 'long'),
    n('Div', ['cS', 'long'], 'scale'),
    n('Mul', ['Hs', 'scale'], 'nh_'),
    n('Add', ['nh_', 'chalf'], 'nh__'),
    n('Floor', ['nh__'], 'newh'),
    n('Mul', ['Ws', 'scale'], 'nw_'),
    n('Add', ['nw_', 'chalf'], 'nw__'),
    n('Floor', ['nw__'], 'neww'),
    n('Div', ['newh', 'Hs'], 'sy'),
    n('Div', ['neww', 'Ws'], 'sx'),
    n('Squeeze', ['Hs', 'ax0'], 'H0'),
    n('Squeeze', ['Ws', 'ax0'], 'W0'),
    // Pixel grids of the original image, in the encoder's frame.
    n('Range', ['c0', 'H0', 'c1'], 'ys'),
    n('Range', ['c0', 'W0', 'c1'], 'xs'),
    n('Mul', ['ys', 'sy'], 'v_full'),
    n('Mul', ['xs', 'sx'], 'u_full'),
    // The low-res grid: u = 4j, v = 4i.
    n('Range', ['c0', 'cSq', 'c1'], 'lows'),
    n('Mul', ['lows', 'c4'], 'uv_low'),
    // mask_input [256,256] and embedding channel 0 [E,E].
    n('Reshape', ['mask_input', 'shape_low'], 'prev2d'),
    n('Gather', ['image_embeddings', 'i0'], 'emb_c', { axis: 1 }), // [1,1,E,E]
    n('Reshape', ['emb_c', 'shape_emb'], 'emb0'),
  );
  init.push(floats('cSq', [], [S / 4]));

  /** Emits the K candidates' logits [K,h,w] on the grid (u [w], v [h]) as `${p}_logits`. */
  const grid = (p: string, u: string, v: string) => {
    const t = (s: string) => `${p}_${s}`;
    // Sample a 2D map at (floor(v/div), floor(u/div)), clipped to [0, max].
    const sample = (map: string, div: string, max: string, out: string) =>
      add(
        n('Div', [v, div], t(`${out}_r`)),
        n('Floor', [t(`${out}_r`)], t(`${out}_rf`)),
        n('Clip', [t(`${out}_rf`), 'c0', max], t(`${out}_rc`)),
        n('Cast', [t(`${out}_rc`)], t(`${out}_ri`), { to: INT64 }),
        n('Div', [u, div], t(`${out}_c`)),
        n('Floor', [t(`${out}_c`)], t(`${out}_cf`)),
        n('Clip', [t(`${out}_cf`), 'c0', max], t(`${out}_cc`)),
        n('Cast', [t(`${out}_cc`)], t(`${out}_ci`), { to: INT64 }),
        n('Gather', [map, t(`${out}_ri`)], t(`${out}_rows`), { axis: 0 }),
        n('Gather', [t(`${out}_rows`), t(`${out}_ci`)], t(out), { axis: 1 }),
      );
    add(
      // d2 [N,h,w]
      n('Unsqueeze', [u, 'ax0'], t('u1')), // [1,w]
      n('Unsqueeze', ['cx', 'i1'], t('cxc')), // [N,1]
      n('Sub', [t('u1'), t('cxc')], t('dx')),
      n('Mul', [t('dx'), t('dx')], t('dx2')), // [N,w]
      n('Unsqueeze', [v, 'ax0'], t('v1')),
      n('Unsqueeze', ['cy', 'i1'], t('cyc')),
      n('Sub', [t('v1'), t('cyc')], t('dy')),
      n('Mul', [t('dy'), t('dy')], t('dy2')), // [N,h]
      n('Unsqueeze', [t('dx2'), 'i1'], t('dx3')), // [N,1,w]
      n('Unsqueeze', [t('dy2'), 'i2'], t('dy3')), // [N,h,1]
      n('Add', [t('dx3'), t('dy3')], t('d2')), // [N,h,w]
      n('Unsqueeze', [t('d2'), 'ax0'], t('d2k')), // [1,N,h,w]
      n('Less', [t('d2k'), 'r2'], t('in_b')), // [Kd,N,h,w]
      n('Cast', [t('in_b')], t('in'), { to: FLOAT }),
      n('Reshape', ['isPos', 'shape_n11'], t('pos_w')), // [N,1,1]
      n('Reshape', ['isNeg', 'shape_n11'], t('neg_w')),
      n('Mul', [t('in'), t('pos_w')], t('inpos')),
      n('ReduceMax', [t('inpos')], t('pos'), { axes: [1], keepdims: 0 }), // [Kd,h,w]
      n('Mul', [t('in'), t('neg_w')], t('inneg')),
      n('ReduceMax', [t('inneg')], t('neg'), { axes: [1], keepdims: 0 }),
      // The box [h,w]
      n('GreaterOrEqual', [u, 'bx1'], t('ux1_b')),
      n('LessOrEqual', [u, 'bx2'], t('ux2_b')),
      n('And', [t('ux1_b'), t('ux2_b')], t('ubox_b')),
      n('Cast', [t('ubox_b')], t('ubox'), { to: FLOAT }),
      n('GreaterOrEqual', [v, 'by1'], t('vy1_b')),
      n('LessOrEqual', [v, 'by2'], t('vy2_b')),
      n('And', [t('vy1_b'), t('vy2_b')], t('vbox_b')),
      n('Cast', [t('vbox_b')], t('vbox'), { to: FLOAT }),
      n('Unsqueeze', [t('ubox'), 'ax0'], t('ubox2')), // [1,w]
      n('Unsqueeze', [t('vbox'), 'i1'], t('vbox2')), // [h,1]
      n('Mul', [t('ubox2'), t('vbox2')], t('inbox')), // [h,w]
      n('Mul', [t('inbox'), 'hasBox'], t('boxOnly')),
      n('Mul', [t('boxOnly'), 'noPos'], t('boxFill')), // the box, when no positive point
      n('Add', [t('boxOnly'), 'noBox'], t('boxGate')), // 1 outside any box rule
      // The previous mask, when fed.
    );
    sample('prev2d', 'c4', 'cmax_low', 'prev');
    add(
      n('Greater', [t('prev'), 'c0'], t('prevOn_b')),
      n('Cast', [t('prevOn_b')], t('prevOn_'), { to: FLOAT }),
      n('Mul', [t('prevOn_'), 'has_mask_input'], t('prevOn')),
      n('Max', [t('pos'), t('boxFill'), t('prevOn')], t('fg')),
      n('Sub', ['c1', t('neg')], t('notNeg')),
      n('Mul', [t('fg'), t('notNeg')], t('fg2')),
      n('Mul', [t('fg2'), t('boxGate')], t('discs')), // [Kd,h,w]
    );
    let cands = t('discs');
    if (probe) {
      sample('emb0', 'c16', 'cmax_emb', 'emb');
      add(
        n('Greater', [t('emb'), 'c0'], t('probe_b')),
        n('Cast', [t('probe_b')], t('probe_'), { to: FLOAT }),
        n('Unsqueeze', [t('probe_'), 'ax0'], t('probe')),
        n('Concat', [t('discs'), t('probe')], t('all'), { axis: 0 }),
      );
      cands = t('all');
    }
    add(n('Mul', [cands, 'c2'], t('x2')), n('Sub', [t('x2'), 'c1'], t('logits')));
  };
  init.push(ints('shape_n11', [3], [-1, 1, 1]));
  grid('full', 'u_full', 'v_full');
  grid('low', 'uv_low', 'uv_low');
  add(
    n('Unsqueeze', ['full_logits', 'ax0'], 'masks'),
    n('Unsqueeze', ['low_logits', 'ax0'], 'low_res_masks'),
    // iou_predictions: the constants (+ 0 x has_mask_input, so that it is computed).
    n('Mul', ['has_mask_input', 'c0'], 'zero'),
    n('Add', ['ious', 'zero'], 'iou_predictions'),
  );
  return encodeModel({
    name: 'sam_decoder',
    node,
    initializer: init,
    input: [
      valueInfo('image_embeddings', [1, C, E, E]),
      valueInfo('point_coords', [1, 'num_points', 2]),
      valueInfo('point_labels', [1, 'num_points']),
      valueInfo('mask_input', [1, 1, S / 4, S / 4]),
      valueInfo('has_mask_input', [1]),
      valueInfo('orig_im_size', [2]),
    ],
    output: [valueInfo('masks', [1, K, 'H', 'W']), valueInfo('iou_predictions', [1, K]), valueInfo('low_res_masks', [1, K, S / 4, S / 4])],
  });
}

export interface SamPair {
  encoder: string;
  decoder: string;
  /** A mode definition for the pair (task 'prompt', outputFormat 'sam'). */
  definition: UserModeDefinition;
}

/**
 * Writes a SAM-shaped encoder + decoder pair into `dir` (encoder.onnx, decoder.onnx, or with
 * `prefix`) and returns their paths with a mode definition `id` for them.
 */
export function writeSamPair(dir: string, id = 'test-sam', o: { encoder?: SamEncoderOptions; decoder?: SamDecoderOptions; prefix?: string } = {}): SamPair {
  fs.mkdirSync(dir, { recursive: true });
  const encoder = path.join(dir, `${o.prefix ?? ''}encoder.onnx`);
  const decoder = path.join(dir, `${o.prefix ?? ''}decoder.onnx`);
  fs.writeFileSync(encoder, samEncoderModel(o.encoder));
  fs.writeFileSync(decoder, samDecoderModel(o.decoder));
  const definition: UserModeDefinition = { id, label: `Test SAM (${id})`, task: 'prompt', outputFormat: 'sam', encoder, model: decoder };
  const size = o.encoder?.size ?? o.decoder?.size;
  if (size !== undefined && size !== 1024) definition.encoderSize = size;
  return { encoder, decoder, definition };
}
