// The engine's worker script for tests that drive EngineProxy directly: $SEGLENS_ENGINE_WORKER,
// else daemon/workers/engineProcess.ts bundled beside the calling test (dist/engineWorker.js if esbuild
// cannot be loaded), so the test runs the worker of the source it was bundled from.
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { repoRoot } from './repo';

export function workerScript(besideDir: string): string {
  if (process.env.SEGLENS_ENGINE_WORKER) return process.env.SEGLENS_ENGINE_WORKER;
  const out = path.join(besideDir, 'engineWorker.js');
  try {
    // esbuild from the repository, loaded at run time (it cannot be bundled into a test).
    const esbuild = createRequire(path.join(repoRoot, 'package.json'))('esbuild') as typeof import('esbuild');
    esbuild.buildSync({
      entryPoints: [path.join(repoRoot, 'daemon', 'workers', 'engineProcess.ts')],
      outfile: out,
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      external: ['onnxruntime-node', 'sharp'],
      logLevel: 'warning',
    });
    return out;
  } catch (e) {
    const dist = path.join(repoRoot, 'dist', 'engineWorker.js');
    if (fs.existsSync(dist)) return dist;
    throw e;
  }
}
