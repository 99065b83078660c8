// The rewritten ISNet model (symbolic height and width) against the original 1024x1024 graph,
// with ONNX Runtime on a real photo: same output at 1024, other multiples of 64 work, sizes
// that are not multiples of 64 are refused. Sessions are released as soon as they are done
// (the medium model takes 0.5-2 GB each).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { assembleIsnet, findPackageDir, packageRoot } from '../../daemon/models/sourcePackages';
import { defaultModelsDir, ensureModels } from '../../daemon/models/modelFiles';
import { ISNET_PACKAGE } from '../../daemon/models/modelSources';

const SAMPLE = path.join(packageRoot(), 'media', 'samples', 'astronaut.jpg');

const sessionOptions: ort.InferenceSession.SessionOptions = {
  graphOptimizationLevel: 'all',
  executionMode: 'sequential',
  intraOpNumThreads: 2,
  enableMemPattern: false,
};

/** The reference ISNet preprocessing: RGB, resize ignoring aspect, (v - 128) / 256, NCHW. */
async function isnetInput(file: string, width: number, height: number): Promise<ort.Tensor> {
  const { data, info } = await sharp(file).removeAlpha().toColourspace('srgb').resize(width, height, { fit: 'fill', kernel: 'linear' }).raw().toBuffer({ resolveWithObject: true });
  assert.equal(info.channels, 3);
  const plane = width * height;
  const out = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++) {
    out[i] = (data[3 * i] - 128) / 256;
    out[plane + i] = (data[3 * i + 1] - 128) / 256;
    out[2 * plane + i] = (data[3 * i + 2] - 128) / 256;
  }
  return new ort.Tensor('float32', out, [1, 3, height, width]);
}

async function runOutput(session: ort.InferenceSession, input: ort.Tensor): Promise<ort.Tensor> {
  const res = await session.run({ input }, ['output']);
  return res.output;
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function mean(a: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return s / a.length;
}

test('rewritten ISNet: same output as the original at 1024, any multiple of 64 works, 500 fails', async (t) => {
  const models = await ensureModels(defaultModelsDir());

  const input1024 = await isnetInput(SAMPLE, 1024, 1024);

  // Reference: the original fixed-size graph, assembled in memory from the package chunks.
  let reference: Float32Array;
  {
    const original = await ort.InferenceSession.create(assembleIsnet(findPackageDir(ISNET_PACKAGE)), sessionOptions);
    try {
      const out = await runOutput(original, input1024);
      assert.deepEqual(out.dims, [1, 1, 1024, 1024]);
      reference = (out.data as Float32Array).slice();
      out.dispose();
    } finally {
      await original.release();
    }
  }

  const session = await ort.InferenceSession.create(models.isnet.file, sessionOptions);
  try {
    await t.test('the graph declares symbolic height and width', () => {
      assert.deepEqual(session.inputNames, ['input']);
      assert.ok(session.outputNames.includes('output'));
      const shapeOf = (meta: readonly ort.InferenceSession.ValueMetadata[], name: string) => {
        const m = meta.find((v) => v.name === name);
        assert.ok(m && m.isTensor, `${name} is not a tensor`);
        return [...m.shape];
      };
      assert.deepEqual(shapeOf(session.inputMetadata, 'input'), [1, 3, 'height', 'width']);
      assert.deepEqual(shapeOf(session.outputMetadata, 'output'), [1, 1, 'height', 'width']);
    });

    await t.test('1024x1024 matches the original within 1e-3', async () => {
      const out = await runOutput(session, input1024);
      try {
        assert.deepEqual(out.dims, [1, 1, 1024, 1024]);
        const data = out.data as Float32Array;
        const diff = maxAbsDiff(data, reference);
        t.diagnostic(`max abs diff at 1024: ${diff.toExponential(2)}`);
        assert.ok(diff < 1e-3, `max abs diff ${diff} >= 1e-3`);
        // A real foreground was found: neither all background nor all foreground.
        const m = mean(data);
        assert.ok(m > 0.05 && m < 0.95, `mean alpha ${m}`);
      } finally {
        out.dispose();
      }
    });

    await t.test('768 wide x 512 high runs and gives a 512x768 matte', async () => {
      const out = await runOutput(session, await isnetInput(SAMPLE, 768, 512));
      try {
        assert.deepEqual(out.dims, [1, 1, 512, 768]);
        const data = out.data as Float32Array;
        let min = Infinity;
        let max = -Infinity;
        for (let i = 0; i < data.length; i++) {
          if (data[i] < min) min = data[i];
          if (data[i] > max) max = data[i];
        }
        assert.ok(min >= 0 && max <= 1, `values ${min}..${max} outside 0..1`);
        const m = mean(data);
        assert.ok(m > 0.05 && m < 0.95, `mean alpha ${m}`);
        // Roughly the same matte as at 1024 (downsample the reference by nearest neighbour).
        let agree = 0;
        for (let y = 0; y < 512; y++) {
          for (let x = 0; x < 768; x++) {
            const r = reference[Math.floor(((y + 0.5) * 1024) / 512) * 1024 + Math.floor(((x + 0.5) * 1024) / 768)];
            if (r >= 0.5 === data[y * 768 + x] >= 0.5) agree++;
          }
        }
        const ratio = agree / (512 * 768);
        t.diagnostic(`768x512 mask agrees with the 1024 mask on ${(ratio * 100).toFixed(1)}% of pixels`);
        assert.ok(ratio > 0.8, `only ${ratio} of pixels agree with the 1024 mask`);
      } finally {
        out.dispose();
      }
    });

    await t.test('500x500 (not a multiple of 64) is refused', async () => {
      await assert.rejects(runOutput(session, await isnetInput(SAMPLE, 500, 500)));
    });
  } finally {
    await session.release();
  }
});
