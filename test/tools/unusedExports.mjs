// `npm run lint`, second half: fails on an export that no other file imports and that its own
// file does not use either, i.e. dead code kept alive only by its `export` keyword. eslint sees
// one file at a time and cannot tell, so this walks the whole program with the TypeScript
// checker: every identifier of every source file is resolved through its import and re-export
// chain, and each symbol reached from a file other than its own counts as imported.
// Tests count as importers: they may import internals (docs/ARCHITECTURE.md).
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

// Files whose exports are read by something other than a TypeScript import.
const entryPoints = new Map([
  ['extension/extension.ts', 'VS Code calls activate/deactivate'],
  ['test/vscode/index.ts', 'the VS Code test host requires the bundle and calls run()'],
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

const isOurs = (sf) => !sf.isDeclarationFile && !path.relative(root, sf.fileName).startsWith('..') && !sf.fileName.includes('/node_modules/');
const fileOf = (decl) => decl.getSourceFile().fileName;
/** The identifier that names a declaration (`foo` in `function foo`), which is no use of it. */
const isDeclarationName = (node) => {
  const p = node.parent;
  return !!p && 'name' in p && p.name === node && (ts.isDeclarationStatement(p) || ts.isVariableDeclaration(p));
};

/** Symbols used from another file (through any import chain) and symbols used in their own file. */
function collectUses(checker, sources) {
  const importedElsewhere = new Set();
  const usedInFile = new Set();
  const record = (symbol, from, node) => {
    if (!isDeclarationName(node) && !ts.isExportSpecifier(node.parent)) usedInFile.add(symbol);
    for (let s = symbol, hops = 0; s && hops < 20; hops++) {
      if ((s.declarations ?? []).some((d) => fileOf(d) !== from)) importedElsewhere.add(s);
      if (!(s.flags & ts.SymbolFlags.Alias)) break;
      s = checker.getImmediateAliasedSymbol(s);
    }
  };
  for (const sf of sources) {
    const visit = (node) => {
      if (ts.isIdentifier(node) || ts.isStringLiteral(node)) {
        const symbol = checker.getSymbolAtLocation(node);
        if (symbol) record(symbol, sf.fileName, node);
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
  return { importedElsewhere, usedInFile };
}

function main() {
  const program = loadProgram();
  const checker = program.getTypeChecker();
  const sources = program.getSourceFiles().filter(isOurs);
  const { importedElsewhere, usedInFile } = collectUses(checker, sources);

  const findings = [];
  const seen = new Set();
  for (const sf of sources) {
    if (entryPoints.has(path.relative(root, sf.fileName))) continue;
    const moduleSymbol = checker.getSymbolAtLocation(sf);
    if (!moduleSymbol) continue;
    for (const exported of checker.getExportsOfModule(moduleSymbol)) {
      if (seen.has(exported) || importedElsewhere.has(exported) || usedInFile.has(exported)) continue;
      seen.add(exported);
      const decl = exported.declarations?.find((d) => fileOf(d) === sf.fileName) ?? exported.declarations?.[0];
      if (!decl) continue;
      const { line } = decl.getSourceFile().getLineAndCharacterOfPosition(decl.getStart());
      findings.push(`${path.relative(root, fileOf(decl))}:${line + 1}  ${exported.name}`);
    }
  }
  if (findings.length > 0) {
    console.error(`Exported, but no file imports it and its own file does not use it (delete it):\n  ${findings.sort().join('\n  ')}`);
    process.exit(1);
  }
  console.log(`unusedExports: ${sources.length} files, no dead export`);
}

main();
