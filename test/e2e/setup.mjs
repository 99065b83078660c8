// Installs the tooling for the real-VS-Code tests when it is missing: Debian's chromium,
// libkrb5-dev (code-server's native build) and ripgrep, then `npm ci` in test/e2e/tooling
// (code-server 4.100.3, playwright-core, mocha; ~300 MB, kept apart from the root install).
//
//   node test/e2e/setup.mjs          install what is missing
//   node test/e2e/setup.mjs --check  only say what is missing (exit 1 when something is)
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, copyFileSync, rmSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { toolingStatus, TOOLING_DIR, aptMissing } from './toolingStatus.mjs';

// @vscode/ripgrep (a dependency of code-server's VS Code) downloads its binary from GitHub in its
// postinstall, which cannot work here. Its lib/download.js first looks for
//   path.join(os.tmpdir(), `vscode-ripgrep-cache-${its version}`, `ripgrep-${VERSION}-${target}.tar.gz`)
// and untars it with `tar xvf <file> -C bin/`, expecting `rg` inside. Values read from
// @vscode/ripgrep@1.15.11's lib/postinstall.js (VERSION 'v13.0.0-10', musl targets on Linux).
const RIPGREP_PACKAGE_VERSION = '1.15.11';
const RIPGREP_RELEASE = 'v13.0.0-10';
const RIPGREP_TARGETS = { x64: 'x86_64-unknown-linux-musl', arm64: 'aarch64-unknown-linux-musl' };

function log(msg) {
  process.stdout.write(`[e2e setup] ${msg}\n`);
}

function run(cmd, args, opts = {}) {
  log(`$ ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { stdio: 'inherit', ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status ?? r.signal})`);
}

function asRoot(cmd, args) {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    run('sudo', ['-n', cmd, ...args], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  } else {
    run(cmd, args, { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  }
}

function installApt(missing) {
  log(`apt packages missing: ${missing.join(' ')}`);
  // Another process may hold the dpkg lock for a while: wait for it rather than fail.
  asRoot('apt-get', ['-o', 'DPkg::Lock::Timeout=600', 'update']);
  asRoot('apt-get', ['-o', 'DPkg::Lock::Timeout=600', 'install', '-y', '--no-install-recommends', ...missing]);
}

/** Seeds @vscode/ripgrep's download cache with Debian's rg, in `tmpDir`. */
function seedRipgrepCache(tmpDir) {
  const target = RIPGREP_TARGETS[os.arch()];
  if (!target) throw new Error(`no ripgrep target known for arch ${os.arch()}`);
  const rg = '/usr/bin/rg';
  if (!existsSync(rg)) throw new Error(`${rg} is missing (apt package ripgrep)`);
  const cacheDir = path.join(tmpDir, `vscode-ripgrep-cache-${RIPGREP_PACKAGE_VERSION}`);
  const tarball = path.join(cacheDir, `ripgrep-${RIPGREP_RELEASE}-${target}.tar.gz`);
  mkdirSync(cacheDir, { recursive: true });
  const stage = mkdtempSync(path.join(tmpDir, 'rg-stage-'));
  try {
    copyFileSync(rg, path.join(stage, 'rg'));
    execFileSync('tar', ['czf', tarball, '-C', stage, 'rg']);
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
  log(`seeded ${tarball} with ${rg}`);
}

function nodeDir() {
  if (process.env.npm_config_nodedir) return { npm_config_nodedir: process.env.npm_config_nodedir };
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  return existsSync(path.join(prefix, 'include', 'node', 'node_version.h')) ? { npm_config_nodedir: prefix } : {};
}

function npmCi() {
  // TMPDIR is fixed for the whole install so the ripgrep postinstall finds the seeded cache.
  const tmpDir = mkdtempSync(path.join(os.tmpdir(), 'seglens-e2e-setup-'));
  try {
    seedRipgrepCache(tmpDir);
    // Only the tooling folder's own .npmrc applies: `npm ci` runs with the tooling folder as its
    // prefix, so the root .npmrc (project config) is not read; user/global config still is.
    // Under `npm run test:vscode` the environment carries the root project's npm config
    // (npm_config_local_prefix=<repo>, the root .npmrc's keys...): drop all of it.
    const inherited = { ...process.env };
    for (const k of Object.keys(inherited)) {
      if (/^npm_/i.test(k) || k === 'INIT_CWD' || k === 'NODE_OPTIONS') delete inherited[k];
    }
    const env = {
      ...inherited,
      TMPDIR: tmpDir,
      npm_config_unsafe_perm: 'true', // code-server's postinstall refuses root otherwise
      npm_config_yes: 'true', // node-pty's postinstall runs `npx node-gyp`
      // node-pty and argon2 compile against Node's headers: use the installed ones (node-gyp
      // would otherwise download them, which cannot work here).
      ...nodeDir(),
      npm_config_audit: 'false',
      npm_config_fund: 'false',
      PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: '1', // playwright-core downloads nothing, but be sure
      PLAYWRIGHT_BROWSERS_PATH: '0',
    };
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    run(npm, ['ci', '--no-audit', '--no-fund'], { cwd: TOOLING_DIR, env });
    // The stamp says which lockfile this install came from (toolingStatus compares them).
    writeFileSync(path.join(TOOLING_DIR, 'node_modules', '.seglens-e2e-installed'), readFileSync(path.join(TOOLING_DIR, 'package-lock.json')));
  } finally {
    rmSync(tmpDir, { recursive: true, force: true });
  }
}

/** Installs whatever is missing. Returns the seconds each step took. */
export function setupTooling() {
  const timings = {};
  let t = Date.now();
  const missing = aptMissing();
  if (missing.length) {
    installApt(missing);
    timings.apt = (Date.now() - t) / 1000;
  }
  t = Date.now();
  const s = toolingStatus();
  if (!s.npmReady) {
    npmCi();
    timings.npm = (Date.now() - t) / 1000;
  }
  const after = toolingStatus();
  if (!after.ready) throw new Error(`tooling still incomplete after setup: ${after.missing.join('; ')}`);
  return timings;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const check = process.argv.includes('--check');
  const s = toolingStatus();
  if (check) {
    console.log(s.ready ? 'e2e tooling: ready' : `e2e tooling missing: ${s.missing.join('; ')}`);
    process.exit(s.ready ? 0 : 1);
  }
  const t0 = Date.now();
  try {
    const timings = setupTooling();
    log(`ready in ${((Date.now() - t0) / 1000).toFixed(1)} s ${JSON.stringify(timings)}`);
  } catch (e) {
    log(`FAILED: ${e.message}`);
    process.exit(1);
  }
}

