// eslint rule `seglens/import-layers`: the import invariants of docs/ARCHITECTURE.md, checked
// on every import of the TypeScript sources (tests are free to reach internals).
//  - Only daemon/api/ is imported from outside daemon/ (extension/, media/, bench/), except
//    bench/phases/steady.ts, whose baseline is the engine's own preprocessing.
//  - daemon/api/ imports nothing else of the daemon.
//  - Nothing in daemon/ or media/ imports `vscode`; nothing in daemon/ imports the extension or
//    the webview.
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const posix = (p) => p.split(path.sep).join('/');
const under = (p, dir) => p.startsWith(dir + '/');
const apiOnlyExceptions = new Set(['bench/phases/steady.ts']);

/** Why `importer` may not import `spec` (both repo-relative for relative specifiers), or undefined. */
function violation(importer, spec) {
  if (spec === 'vscode' && (under(importer, 'daemon') || under(importer, 'media'))) return `${importer.split('/')[0]}/ runs outside VS Code: it may not import 'vscode'`;
  if (!spec.startsWith('.')) return undefined;
  const target = posix(path.relative(root, path.resolve(root, path.dirname(importer), spec)));
  const outsideDaemon = ['extension', 'media', 'bench'].some((d) => under(importer, d));
  if (outsideDaemon && under(target, 'daemon') && !under(target, 'daemon/api') && !apiOnlyExceptions.has(importer)) {
    return `only daemon/api/ is imported from outside daemon/ (${target} is daemon-internal)`;
  }
  if (under(importer, 'daemon/api') && under(target, 'daemon') && !under(target, 'daemon/api')) return `daemon/api/ imports nothing else of the daemon (${target})`;
  if (under(importer, 'daemon') && (under(target, 'extension') || under(target, 'media'))) return `daemon/ may not import ${target}: imports go down the layers`;
  return undefined;
}

const importLayers = {
  meta: { type: 'problem', schema: [], docs: { description: 'import invariants of docs/ARCHITECTURE.md' } },
  create(context) {
    const importer = posix(path.relative(root, context.filename));
    if (under(importer, 'test')) return {};
    const check = (node) => {
      if (!node.source || typeof node.source.value !== 'string') return;
      const why = violation(importer, node.source.value);
      if (why) context.report({ node: node.source, message: why });
    };
    return { ImportDeclaration: check, ExportNamedDeclaration: check, ExportAllDeclaration: check, ImportExpression: check };
  },
};

export default { rules: { 'import-layers': importLayers } };
