// eslint rule `seglens/import-layers`: the import invariants of docs/ARCHITECTURE.md, checked
// on every import of the TypeScript sources (tests are free to reach internals).
//  - Only daemon/api/ is imported from outside daemon/ (extension/, media/, bench/), except
//    bench/phases/steady.ts, whose baseline is the engine's own preprocessing, and
//    bench/phases/instancePost.ts, which times the engine's own instance postprocessing (P13), and
//    bench/phases/precision.ts (P16), which compares the int8 and fp32 models' masks the same way,
//    and bench/phases/promptRoundTrip.ts (P15), whose bare decoder run takes the engine's own prompt transform.
//  - daemon/api/ imports nothing else of the daemon.
//  - Nothing in daemon/ or media/ imports `vscode`; nothing in daemon/ imports the extension or
//    the webview.
//  - Inside daemon/, imports go down the layers (so no cycle between folders); tools/ are
//    clients that use api/, models/ and util/ only.
//  - The extension reaches the webview only through media/webview/shared/ (the messages both
//    sides speak), which imports neither side.
//  - No import cycle between files (importCycles.mjs), inside a folder or across folders.
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cycleThrough } from './importCycles.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const posix = (p) => p.split(path.sep).join('/');
const under = (p, dir) => p.startsWith(dir + '/');
const apiOnlyExceptions = new Set(['bench/phases/steady.ts', 'bench/phases/instancePost.ts', 'bench/phases/precision.ts', 'bench/phases/promptRoundTrip.ts']);
/** `importer -> target` pairs allowed against the rules, each with its reason. */
const allowed = new Map([
  ['extension/gallery/exportFiles.ts -> daemon/util/safeWrite', "one writer of files: the gallery's exports write as the CLI and the caches do (issue #20)"],
  ['extension/util/replaceFile.ts -> daemon/util/safeWrite', "one writer of files: the refine editor's ground truth and exports, whole or not at all, as the gallery's exports"],
  ['daemon/engine/gpu/agreement.ts -> daemon/eval/maskAgreement', "one mask-agreement metric: the GPU check's bar (issue #27) is the int8 bar's (issue #26), evaluation's metric; maskAgreement.ts imports nothing, so no cycle"],
]);
/** daemon/ folders by layer (ARCHITECTURE.md): a folder imports only from lower ranks. */
const daemonRank = { main: 6, workers: 6, process: 5, server: 4, transport: 4, eval: 3, registry: 3, results: 3, engine: 2, models: 1, api: 0, util: 0 };
const toolsMayUse = new Set(['api', 'models', 'util']);
/** The layer of a daemon/ path: its first folder, or `main` for daemon/main.ts and its peers. */
const layerOf = (p) => (p.split('/').length === 2 ? 'main' : p.split('/')[1]);

function daemonLayering(importer, target) {
  const from = layerOf(importer);
  const to = layerOf(target);
  if (from === to) return undefined;
  for (const l of [from, to]) {
    if (l !== 'tools' && !(l in daemonRank)) return `daemon/${l}/ has no layer: give it a rank in test/tools/importLayers.mjs and a line in docs/ARCHITECTURE.md`;
  }
  if (from === 'tools') return toolsMayUse.has(to) ? undefined : `daemon/tools/ are clients: they use ${[...toolsMayUse].join('/, ')}/ only, not ${to}/`;
  if (to === 'tools' || daemonRank[to] >= daemonRank[from]) return `daemon/${from === 'main' ? '*.ts' : from + '/'} may not import ${target}: imports go down the layers (docs/ARCHITECTURE.md)`;
  return undefined;
}

/** Why `importer` may not import `spec` (both repo-relative for relative specifiers), or undefined. */
function violation(importer, spec) {
  if (spec === 'vscode' && (under(importer, 'daemon') || under(importer, 'media'))) return `${importer.split('/')[0]}/ runs outside VS Code: it may not import 'vscode'`;
  if (!spec.startsWith('.')) return undefined;
  const target = posix(path.relative(root, path.resolve(root, path.dirname(importer), spec)));
  if (allowed.has(`${importer} -> ${target}`)) return undefined;
  const outsideDaemon = ['extension', 'media', 'bench'].some((d) => under(importer, d));
  if (outsideDaemon && under(target, 'daemon') && !under(target, 'daemon/api') && !apiOnlyExceptions.has(importer)) {
    return `only daemon/api/ is imported from outside daemon/ (${target} is daemon-internal)`;
  }
  if (under(importer, 'extension') && under(target, 'media') && !under(target, 'media/webview/shared')) return `the extension reaches the webview only through media/webview/shared/ (${target} is the pages' own)`;
  if (under(importer, 'media/webview/shared') && !under(target, 'media/webview/shared') && !under(target, 'daemon/api')) return `media/webview/shared/ is the contract both sides import: it imports only daemon/api/ (${target})`;
  if (under(importer, 'daemon/api') && under(target, 'daemon') && !under(target, 'daemon/api')) return `daemon/api/ imports nothing else of the daemon (${target})`;
  if (under(importer, 'daemon') && (under(target, 'extension') || under(target, 'media'))) return `daemon/ may not import ${target}: imports go down the layers`;
  if (under(importer, 'daemon') && under(target, 'daemon')) return daemonLayering(importer, target);
  return undefined;
}

const importLayers = {
  meta: { type: 'problem', schema: [], docs: { description: 'import invariants of docs/ARCHITECTURE.md' } },
  create(context) {
    const importer = posix(path.relative(root, context.filename));
    if (under(importer, 'test')) return {};
    const check = (node) => {
      if (!node.source || typeof node.source.value !== 'string') return;
      const why = violation(importer, node.source.value) ?? cycleThrough(context.filename, node.source.value);
      if (why) context.report({ node: node.source, message: why });
    };
    return { ImportDeclaration: check, ExportNamedDeclaration: check, ExportAllDeclaration: check, ImportExpression: check };
  },
};

export default { rules: { 'import-layers': importLayers } };
