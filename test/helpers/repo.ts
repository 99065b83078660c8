// Paths of the repository under test, wherever the bundled test file runs from.
import * as fs from 'node:fs';
import * as path from 'node:path';

function findRoot(): string {
  if (process.env.SEGLENS_ROOT) return process.env.SEGLENS_ROOT;
  let dir = __dirname;
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg) && JSON.parse(fs.readFileSync(pkg, 'utf8')).name === 'seglens') return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new Error('cannot find the seglens repository root');
    dir = up;
  }
}

export const repoRoot = findRoot();
export const daemonJs = path.join(repoRoot, 'dist', 'daemon.js');
export const modelsDir = path.join(repoRoot, 'models');
export const samplesDir = path.join(repoRoot, 'media', 'samples');

/** The bundled sample photos (real photos, see media/samples/README.md). */
export function samplePhotos(): string[] {
  return fs
    .readdirSync(samplesDir)
    .filter((f) => /\.(jpe?g|png)$/i.test(f))
    .sort()
    .map((f) => path.join(samplesDir, f));
}
