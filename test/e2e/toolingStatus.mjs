// Is the tooling for the real-VS-Code tests (code-server + headless Chromium) installed?
// No side effects: safe to import from `npm test`.
//
//   import { e2eNotice } from './e2e/toolingStatus.mjs';
//   const n = e2eNotice();       // { ready, failed, message }
//   console.log(n.message);      // say plainly whether the real VS Code suites ran
//   if (n.failed) exitCode = 1;  // CI=true and the tooling is missing: a failure, not a skip
//
//   node test/e2e/toolingStatus.mjs   prints the same message; exit 1 when `failed`
import { existsSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
// SEGLENS_E2E_TOOLING_DIR: install/look elsewhere (a folder holding a copy of tooling/'s package files).
export const TOOLING_DIR = process.env.SEGLENS_E2E_TOOLING_DIR ? path.resolve(process.env.SEGLENS_E2E_TOOLING_DIR) : path.join(HERE, 'tooling');
export const CHROMIUM = process.env.SEGLENS_E2E_CHROMIUM || '/usr/bin/chromium';
export const APT_PACKAGES = ['chromium', 'libkrb5-dev', 'ripgrep'];
export const RUN_COMMAND = 'npm run test:vscode';

function isTrue(v) {
  return v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false';
}

/** Debian packages of APT_PACKAGES that are not installed ([] off Debian when chromium exists). */
export function aptMissing() {
  const missing = [];
  for (const p of APT_PACKAGES) {
    let ok = false;
    try {
      ok = execFileSync('dpkg-query', ['-W', '-f=${Status}', p], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).includes('install ok installed');
    } catch {
      ok = false;
    }
    if (!ok) missing.push(p);
  }
  return missing;
}

export function toolingStatus() {
  const missing = [];
  const apt = aptMissing();
  if (apt.length) missing.push(`Debian packages ${apt.join(', ')}`);
  if (!existsSync(CHROMIUM)) missing.push(`Chromium at ${CHROMIUM}`);
  const nm = path.join(TOOLING_DIR, 'node_modules');
  const where = path.relative(path.resolve(HERE, '..', '..'), nm) || nm;
  const need = [
    ['code-server', path.join(nm, 'code-server', 'out', 'node', 'entry.js')],
    ['code-server VS Code dependencies', path.join(nm, 'code-server', 'lib', 'vscode', 'node_modules', '@vscode', 'ripgrep', 'bin', 'rg')],
    ['playwright-core', path.join(nm, 'playwright-core', 'package.json')],
    ['mocha', path.join(nm, 'mocha', 'package.json')],
  ];
  let npmReady = true;
  for (const [name, file] of need) {
    if (!existsSync(file)) {
      npmReady = false;
      missing.push(`${name} (${where})`);
    }
  }
  // A stamp written by setup.mjs holds the lockfile it installed: a changed lockfile means reinstall.
  const stamp = path.join(nm, '.seglens-e2e-installed');
  if (npmReady) {
    const lock = readFileSync(path.join(TOOLING_DIR, 'package-lock.json'), 'utf8');
    if (!existsSync(stamp) || readFileSync(stamp, 'utf8') !== lock) {
      npmReady = false;
      missing.push(`${where} is older than its package-lock.json`);
    }
  }
  return { ready: missing.length === 0, npmReady, aptReady: apt.length === 0, missing };
}

/** What `npm test` should say about the real-VS-Code suites (it never runs them itself). */
export function e2eNotice(env = process.env) {
  const s = toolingStatus();
  const ci = isTrue(env.CI);
  if (s.ready) {
    return {
      ready: true,
      failed: false,
      message: `Real VS Code suites (code-server + headless Chromium) are not part of this run: run them with \`${RUN_COMMAND}\`.`,
    };
  }
  const what = `The real VS Code suites (extension integration inside code-server, end-to-end in headless Chromium) were NOT run: their tooling is missing (${s.missing.join('; ')}).`;
  const how = `Run \`${RUN_COMMAND}\`: it installs the tooling (apt chromium libkrb5-dev ripgrep, npm ci in test/e2e/tooling; about 2 minutes, as root) and runs them.`;
  return {
    ready: false,
    failed: ci,
    message: ci ? `FAILED (CI=true): ${what} ${how}` : `SKIPPED: ${what} ${how}`,
  };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const n = e2eNotice();
  console.log(n.message);
  process.exit(n.failed ? 1 : 0);
}

/**
 * For `npm test` (test/run.mjs calls it last): prints the notice. When it is a failure
 * (CI=true and the tooling is missing) it ends the process with exit code 1 unless
 * `exitOnFailure` is false. Returns the notice.
 */
export async function report({ exitOnFailure = true } = {}) {
  const n = e2eNotice();
  (n.failed ? console.error : console.log)(`\n${n.message}`);
  if (n.failed && exitOnFailure) process.exit(1);
  return n;
}
