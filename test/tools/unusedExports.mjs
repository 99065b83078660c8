// `npm run lint`, second half: fails on an export that shipped code does not use, i.e. dead
// code kept alive by its `export` keyword, or by a test alone. eslint sees one file at a time
// and cannot tell, so this walks the whole program with the TypeScript checker: every
// identifier of every source file is resolved through its import and re-export chain, and each
// symbol it reaches is marked as used by shipped code or by a test (test/**).
//  - An export of a shipped file (daemon/, extension/, media/, bench/) must be used by shipped
//    code: in its own file or imported by another. Tests may import it too (they may reach
//    internals), but a function only a test calls is not part of the product: delete both, or
//    list it in testOnly below with the reason.
//  - An export of a test file (helpers) must be used somewhere.
//  - A re-export (`export { x } from './y'`) adds no code: it must be used somewhere, and x
//    itself is judged in y.
// Exports used only in their own file are not reported: the type or value is part of the file's
// contract (a parameter or result type of an exported function, a documented constant).
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Files whose exports are read by something other than a TypeScript import. */
const entryPoints = new Map([
  ['extension/extension.ts', 'VS Code calls activate/deactivate'],
  ['test/vscode/index.ts', 'the VS Code test host requires the bundle and calls run()'],
]);
/** `file:name` of shipped exports that only tests use, each with the reason it stays. */
const testOnly = new Map([
  ['daemon/api/modeSchema.ts:plainJsonSchema', "writes package.json's seglens.customModels schema (npm run gen:schema) and the drift test compares with it: build-time code beside the schema it serialises"],
]);

/** The three environments' projects (node, extension, webview) checked as one program. */
function loadProgram() {
  const files = new Set();
  let options;
  const host = { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => { throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n')); } };
  for (const config of ['tsconfig.json', 'extension/tsconfig.json', 'media/webview/tsconfig.json']) {
    const parsed = ts.getParsedCommandLineOfConfigFile(path.join(root, config), {}, host);
    for (const f of parsed.fileNames) files.add(f);
    options ??= parsed.options;
  }
  // Only symbols are resolved here (type errors are tsc's job), so one set of options will do.
  return ts.createProgram([...files], { ...options, lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'], types: ['node'], noEmit: true });
}

const rel = (file) => path.relative(root, file).split(path.sep).join('/');
const isOurs = (sf) => !sf.isDeclarationFile && !rel(sf.fileName).startsWith('..') && !sf.fileName.includes('/node_modules/');
const isTest = (file) => rel(file).startsWith('test/');
/** Names that declare, import or re-export a symbol: none of them is a use of it. */
function isNotAUse(node) {
  const p = node.parent;
  if (!p) return true;
  if (ts.isImportSpecifier(p) || ts.isExportSpecifier(p) || ts.isImportClause(p) || ts.isNamespaceImport(p)) return true;
  return 'name' in p && p.name === node && (ts.isDeclarationStatement(p) || ts.isVariableDeclaration(p));
}

/** Every symbol used (directly or through an import/re-export chain) by shipped code, by tests. */
function collectUses(checker, sources) {
  const byShipped = new Set();
  const byTest = new Set();
  for (const sf of sources) {
    const used = isTest(sf.fileName) ? byTest : byShipped;
    const mark = (symbol) => {
      for (let s = symbol, hops = 0; s && hops < 20; hops++) {
        used.add(s);
        if (!(s.flags & ts.SymbolFlags.Alias)) break;
        s = checker.getImmediateAliasedSymbol(s);
      }
    };
    const visit = (node) => {
      if ((ts.isIdentifier(node) || ts.isStringLiteral(node)) && !isNotAUse(node)) {
        mark(checker.getSymbolAtLocation(node));
        // `{ foo }` names the property; the value it reads is the variable `foo`.
        if (ts.isShorthandPropertyAssignment(node.parent)) mark(checker.getShorthandAssignmentValueSymbol(node.parent));
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
  return { byShipped, byTest };
}

function main() {
  const program = loadProgram();
  const checker = program.getTypeChecker();
  const sources = program.getSourceFiles().filter(isOurs);
  const { byShipped, byTest } = collectUses(checker, sources);

  const findings = [];
  for (const sf of sources) {
    if (entryPoints.has(rel(sf.fileName))) continue;
    const moduleSymbol = checker.getSymbolAtLocation(sf);
    if (!moduleSymbol) continue;
    const strict = !isTest(sf.fileName);
    for (const exported of checker.getExportsOfModule(moduleSymbol)) {
      const decl = exported.declarations?.[0];
      // `export *` lists another file's exports: that file answers for them.
      if (!decl || decl.getSourceFile() !== sf) continue;
      const where = `${rel(sf.fileName)}:${sf.getLineAndCharacterOfPosition(decl.getStart()).line + 1}  ${exported.name}`;
      const reExport = (exported.flags & ts.SymbolFlags.Alias) !== 0;
      if (byShipped.has(exported) || ((!strict || reExport) && byTest.has(exported))) continue;
      if (!byTest.has(exported)) findings.push(`${where}: used nowhere (delete it)`);
      else if (!testOnly.has(`${rel(sf.fileName)}:${exported.name}`)) findings.push(`${where}: used only by tests (delete it and its test, or allow it in test/tools/unusedExports.mjs with the reason)`);
    }
  }
  if (findings.length > 0) {
    console.error(`Unused exports:\n  ${findings.sort().join('\n  ')}`);
    process.exit(1);
  }
  console.log(`unusedExports: ${sources.length} files, every export is used`);
}

main();
