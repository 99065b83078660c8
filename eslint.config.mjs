// Lint: typescript-eslint with type information, over every TypeScript source (daemon, extension,
// webview, bench, tests). Each file is checked against the tsconfig of its environment (the
// project service picks the nearest tsconfig.json: root for node, extension/, media/webview/).
// The rule set is small on purpose: rules that catch bugs the type checker does not
// (promises nobody waits for, promises where a void callback is expected, dead code).
// Unused exports are checked by test/tools/unusedExports.mjs (`npm run lint` runs both), the
// import layering by the local rule seglens/import-layers.
import tseslint from 'typescript-eslint';
import layers from './test/tools/importLayers.mjs';

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'node_modules/**', 'models/**', 'test/e2e/tooling/**', 'bench/reference/**', '**/*.js', '**/*.cjs'] },
  {
    files: ['**/*.ts'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { '@typescript-eslint': tseslint.plugin, seglens: layers },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // node:test's describe/it/test return a promise the runner itself awaits and reports.
      '@typescript-eslint/no-floating-promises': ['error', {
        allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite'] }],
      }],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
      // What may import what (docs/ARCHITECTURE.md, "Invariants"): test/tools/importLayers.mjs.
      'seglens/import-layers': 'error',
    },
  },
  // The build, packaging and test-runner scripts: plain JavaScript, no type information (checking
  // them with checkJs would need annotations throughout), so only the unused-names rule.
  {
    files: ['**/*.mjs'],
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: { 'no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }] },
  },
);
