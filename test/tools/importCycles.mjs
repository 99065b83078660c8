// Import cycles between source files, for the lint rule seglens/import-layers: an import is
// refused when its target, through the files it imports, comes back to the importer. A cycle
// hides which file is the contract and which the implementation (issue #21 found three), so none
// is allowed, type-only imports included. Files are read from disk as the search reaches them
// (kept while their mtime holds, so an editor's long-lived linter stays current).
import * as fs from 'node:fs';
import * as path from 'node:path';

const cache = new Map();
// Static imports and re-exports at the start of a line (not in comments), and dynamic imports.
const STATIC = /^\s*(?:import|export)\b[^;]*?\bfrom\s*['"]([^'"]+)['"]/gm;
const DYNAMIC = /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

/** The source file a relative specifier names, or undefined (a package, or not TypeScript). */
function resolve(fromFile, spec) {
  if (!spec.startsWith('.')) return undefined;
  const base = path.resolve(path.dirname(fromFile), spec).replace(/\.js$/, '');
  return [`${base}.ts`, path.join(base, 'index.ts')].find((f) => fs.existsSync(f));
}

function importsOf(file) {
  let mtime;
  try {
    mtime = fs.statSync(file).mtimeMs;
  } catch {
    return [];
  }
  const hit = cache.get(file);
  if (hit && hit.mtime === mtime) return hit.targets;
  const text = fs.readFileSync(file, 'utf8');
  const specs = [...text.matchAll(STATIC), ...text.matchAll(DYNAMIC)].map((m) => m[1]);
  const targets = [...new Set(specs.map((s) => resolve(file, s)).filter(Boolean))];
  cache.set(file, { mtime, targets });
  return targets;
}

/** The path from `start` back to `goal` through imports (files), or undefined. */
function pathBack(start, goal) {
  const seen = new Set([start]);
  const stack = [[start]];
  while (stack.length > 0) {
    const trail = stack.pop();
    for (const t of importsOf(trail[trail.length - 1])) {
      if (t === goal) return [...trail, t];
      if (!seen.has(t)) {
        seen.add(t);
        stack.push([...trail, t]);
      }
    }
  }
  return undefined;
}

/** Why importing `spec` from `file` (an absolute path) closes a cycle, or undefined. */
export function cycleThrough(file, spec) {
  const target = resolve(file, spec);
  if (!target) return undefined;
  const trail = pathBack(target, file);
  if (!trail) return undefined;
  const rel = (f) => path.relative(process.cwd(), f).split(path.sep).join('/');
  return `import cycle: ${[file, ...trail].map(rel).join(' -> ')}; move the shared contract into a file that imports neither`;
}
