// `npm run test:vscode`: SegLens inside a real VS Code (code-server 4.100.3, VS Code 1.100.3)
// driven through Debian's headless Chromium by playwright-core.
//
//   1. setup     installs the tooling when missing (test/e2e/setup.mjs)
//   2. package   builds and packages the VSIX (`npm run package -- --out FILE`)
//   3. suites    the extension's mocha suites (dist/test/vscode/index.js) inside the real
//                extension host, through the web workbench's `payload` parameter
//   4. scenarios the user flows of scenarios.mjs against the installed VSIX: first those of one
//                shared session (`scenarios`), then, once that session and its daemon are
//                stopped, those that need a VS Code of their own (`ownServerScenarios`: what
//                happens as VS Code starts, Workspace Trust), each on its own code-server
//   5. cleanup   kills everything the run started (the detached daemon too) and checks that
//                no code-server, Chromium or daemon process of the run is left
//
// Options (after `--`): --only=suites,scenarios,1,3  run a subset (scenario numbers or names)
//                       --keep                       keep the run's temporary folder
//                       --dev                        scenarios on the working tree's extension
//                                                    (extensionDevelopmentPath), no VSIX
// Environment: SEGLENS_E2E_VSIX=FILE uses a VSIX already built instead of packaging.
// Artefacts: test-results/e2e/ (screenshots of each scenario; on failure the page console,
// code-server's log and the daemon's log). Closing line: `N passed, N failed`.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, cpSync, createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { toolingStatus } from './toolingStatus.mjs';
import { setupTooling } from './setup.mjs';
import { findRunProcesses, killEverything } from './lib/procs.mjs';

const HERE = path.dirname(new URL(import.meta.url).pathname);
const REPO = path.resolve(HERE, '..', '..');
// SEGLENS_E2E_RESULTS moves the artefacts (two runs at once must not share the folder).
const RESULTS = path.resolve(process.env.SEGLENS_E2E_RESULTS || path.join(REPO, 'test-results', 'e2e'));
const args = process.argv.slice(2);
const only = (args.find((a) => a.startsWith('--only=')) ?? '').slice('--only='.length).split(',').filter(Boolean);
const keep = args.includes('--keep');
const dev = args.includes('--dev');

const results = []; // { name, ok, seconds, error?, skipped? }
const t0 = Date.now();
// Short base folder: the daemon's Unix socket path lives under it (108-byte limit).
const base = mkdtempSync(path.join(existsSync('/tmp') ? '/tmp' : os.tmpdir(), 'sle2e-'));
const run = { id: randomBytes(6).toString('hex'), base };
// Everything the run writes goes under its folder (Playwright's Chromium profile, vsce's stage...).
mkdirSync(path.join(base, 'tmp'));
process.env.TMPDIR = path.join(base, 'tmp');
let H; // harness, imported once the tooling exists
let browser;
const servers = [];

function log(msg) {
  process.stdout.write(`${msg}\n`);
}

function wanted(...names) {
  return only.length === 0 || names.some((n) => only.includes(String(n)));
}

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms / 1000} s`)), ms))),
  ]);
}

async function step(name, fn, { timeoutMs = 600_000 } = {}) {
  const start = Date.now();
  log(`\n▶ ${name}`);
  try {
    const value = await withTimeout(Promise.resolve().then(fn), timeoutMs, name);
    const seconds = (Date.now() - start) / 1000;
    results.push({ name, ok: true, seconds });
    log(`✔ ${name} (${seconds.toFixed(1)} s)`);
    return value;
  } catch (e) {
    const seconds = (Date.now() - start) / 1000;
    results.push({ name, ok: false, seconds, error: e?.stack ?? String(e) });
    log(`✘ ${name} (${seconds.toFixed(1)} s)\n  ${String(e?.message ?? e).split('\n').join('\n  ')}`);
    return undefined;
  }
}

function notRun(name, why) {
  results.push({ name, ok: false, seconds: 0, error: `not run: ${why}` });
  log(`✘ ${name}: not run (${why})`);
}

/** Runs a command with its output in `logFile` (its tail is shown when it fails). */
function sh(cmd, cmdArgs, { cwd = REPO, logFile, env = process.env } = {}) {
  return new Promise((resolve, reject) => {
    const out = createWriteStream(logFile, { flags: 'a' });
    const child = spawn(cmd, cmdArgs, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.pipe(out, { end: false });
    child.stderr.pipe(out, { end: false });
    child.on('error', reject);
    child.on('close', (code) => {
      out.end(() => {
        if (code === 0) return resolve();
        const tail = readFileSync(logFile, 'utf8').split('\n').slice(-25).join('\n');
        reject(new Error(`${cmd} ${cmdArgs.join(' ')} exited with ${code}; ${path.relative(REPO, logFile)}:\n${tail}`));
      });
    });
  });
}

const WORKBENCH_NOISE = /^(Resolving connection token|Resolved connection token|Creating a socket|\[Service Worker\]|Updating additional builtin|ChatSessionStore|.*ENOTFOUND open-vsx|\s+at .*\/static\/out\/|\[lifecycle\] Long running operations)/;

function npmEnv() {
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (/^npm_(lifecycle|package)_/.test(k)) delete env[k];
  return env;
}

/** The open quick pick's rows, notifications, a modal dialog and the active tab, in one line. */
async function uiState(page) {
  const texts = (sel) => page.locator(sel).allInnerTexts().then((t) => t.map((x) => x.replace(/\s+/g, ' ').slice(0, 160)), () => []);
  const tab = await texts('.editor-group-container.active .tab.active');
  return JSON.stringify({ quickPick: await H.openQuickRows(page), notifications: await texts(H.SEL.toast), dialog: await texts('.monaco-dialog-box'), activeTab: tab[0] });
}

async function saveFailureArtefacts(prefix, page, server) {
  try {
    if (page) {
      // What the user would see (CI shows only the log's tail: this goes into the failure's line).
      const r = results.at(-1);
      if (r && !r.ok) r.error = `${r.error}\n  ui: ${await uiState(page)}`;
      writeFileSync(path.join(RESULTS, `${prefix}-console.log`), (page.consoleLines ?? []).join('\n'));
      await page.screenshot({ path: path.join(RESULTS, `${prefix}-failure.png`) }).catch(() => undefined);
    }
    if (server) {
      if (existsSync(server.logFile)) copyFileSync(server.logFile, path.join(RESULTS, `${prefix}-code-server.log`));
      if (existsSync(server.daemonLog)) copyFileSync(server.daemonLog, path.join(RESULTS, `${prefix}-daemon.log`));
      if (existsSync(server.logsDir)) cpSync(server.logsDir, path.join(RESULTS, `${prefix}-vscode-logs`), { recursive: true });
    }
  } catch (e) {
    log(`  (could not save artefacts: ${e.message})`);
  }
}

async function cleanup() {
  await browser?.close().catch(() => undefined);
  browser = undefined;
  for (const s of servers) {
    await s.stop().catch(() => undefined);
    const daemons = s.stoppedDaemons;
    if (s.stopped?.length) log(`  stopped ${s.stopped.length} processes of code-server "${s.name}"${daemons.length ? `, daemon pid ${daemons.map((d) => d.pid).join(', ')}` : ''}`);
  }
  await killEverything(run.id, base);
}

let interrupted = false;
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, async () => {
    if (interrupted) return;
    interrupted = true;
    log(`\n${sig}: stopping everything the run started`);
    await cleanup();
    if (!keep) rmSync(base, { recursive: true, force: true });
    process.exit(130);
  });
}

async function main() {
  rmSync(RESULTS, { recursive: true, force: true });
  mkdirSync(RESULTS, { recursive: true });
  log(`SegLens in a real VS Code (code-server + headless Chromium); run folder ${base}`);

  // 1. tooling
  if (toolingStatus().ready) {
    results.push({ name: 'setup (tooling already installed)', ok: true, seconds: 0 });
  } else {
    await step('setup: install the tooling', () => log(`  ${JSON.stringify(setupTooling())}`));
    if (!results.at(-1).ok) {
      notRun('package', 'no tooling');
      notRun('extension suites', 'no tooling');
      notRun('scenarios', 'no tooling');
      return;
    }
  }
  H = await import('./lib/harness.mjs');
  const S = await import('./scenarios.mjs');

  // 2. the VSIX
  let vsix = process.env.SEGLENS_E2E_VSIX;
  let built = false;
  // Scenario numbers run on: the shared session's (1..6), then those with a code-server of their own.
  const numbered = [...S.scenarios, ...S.ownServerScenarios].map((s, i) => [String(i + 1), s.name]).flat();
  const needVsix = wanted('scenarios', ...numbered);
  if (needVsix && dev) {
    await step('build (--dev: the scenarios load the working tree, no VSIX)', () => sh('npm', ['run', 'build'], { logFile: path.join(RESULTS, 'build.log'), env: npmEnv() }));
    built = results.at(-1).ok;
  } else if (needVsix) {
    if (vsix) {
      results.push({ name: `package (using SEGLENS_E2E_VSIX=${vsix})`, ok: existsSync(vsix), seconds: 0, error: existsSync(vsix) ? undefined : 'file missing' });
    } else {
      vsix = path.join(base, 'seglens.vsix');
      await step('package: npm run package -- --out <tmp>/seglens.vsix', async () => {
        const pkg = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8'));
        if (!pkg.scripts?.package) throw new Error('the root package.json has no "package" script yet');
        await sh('npm', ['run', 'package', '--', '--out', vsix], { logFile: path.join(RESULTS, 'package.log'), env: npmEnv() });
        if (!existsSync(vsix)) throw new Error(`npm run package did not write ${vsix}`);
        log(`  ${(readFileSync(vsix).length / 1e6).toFixed(1)} MB`);
      });
      if (!results.at(-1).ok) vsix = undefined;
    }
  }

  browser = await H.launchBrowser(run);

  // 3. the extension's mocha suites inside the real extension host
  if (wanted('suites')) {
    const testsJs = path.join(REPO, 'dist', 'test', 'vscode', 'index.js');
    await step(
      'extension suites (mocha inside the real extension host)',
      async () => {
        // Always rebuild: the suites and the development extension come from the working tree.
        if (!built) await sh('npm', ['run', 'build'], { logFile: path.join(RESULTS, 'build.log'), env: npmEnv() });
        if (!existsSync(testsJs)) throw new Error(`${path.relative(REPO, testsJs)} does not exist after npm run build (the suites are not built)`);
        const server = new H.CodeServer(run, 'suites');
        servers.push(server);
        const workspace = await H.makeWorkspace(run, 'ws-suites');
        await server.start();
        const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
        const page = await H.newPage(context);
        const out = createWriteStream(path.join(RESULTS, 'suites.log'));
        let code;
        try {
          code = await H.runExtensionSuites({
            server,
            page,
            folder: workspace,
            extensionDevelopmentPath: REPO,
            extensionTestsPath: path.dirname(testsJs),
            log: (text) => {
              out.write(`${text}\n`);
              // The terminal gets mocha's output; the workbench's own chatter stays in suites.log.
              const lines = text.split('\n').filter((l) => !WORKBENCH_NOISE.test(l));
              if (lines.length) log(lines.map((l) => `  │ ${l}`).join('\n'));
            },
            timeout: 360_000,
          });
          await page.screenshot({ path: path.join(RESULTS, 'suites.png') }).catch(() => undefined);
          if (code !== 0) {
            await saveFailureArtefacts('suites', page, server);
            throw new Error(code === 'timeout' ? 'the suites did not finish within 6 minutes' : `the suites exited with code ${code}`);
          }
        } finally {
          out.end();
          await context.close().catch(() => undefined);
          const left = await server.stop(); // the suites' daemon goes too: one daemon at a time
          if (left.length) log(`  could not stop: ${JSON.stringify(left)}`);
          else log(`  stopped code-server "suites" (${server.stopped.length} processes${server.stoppedDaemons.length ? `, daemon pid ${server.stoppedDaemons.map((d) => d.pid).join(', ')}` : ''})`);
        }
      },
      { timeoutMs: 420_000 },
    );
  }

  // 4. the user flows against the installed VSIX
  const chosen = S.scenarios.filter((s, i) => wanted('scenarios', String(i + 1), s.name));
  let appServer;
  if (chosen.length) {
    if (!vsix && !dev) {
      for (const s of chosen) notRun(`scenario ${s.name}`, 'no VSIX');
    } else {
      const server = new H.CodeServer(run, 'app', { settings: S.SETTINGS });
      servers.push(server);
      appServer = server;
      let page;
      let ctx;
      await step('scenarios: install the VSIX, start code-server, open the workspace', async () => {
        if (!dev) await server.installExtension(vsix);
        const workspace = await H.makeWorkspace(run, 'ws');
        await server.start();
        const url = server.folderUrl(workspace, dev ? [['extensionDevelopmentPath', server.remoteUri(REPO)], ['skipWelcome', 'true']] : undefined);
        const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
        page = await H.newPage(context);
        await H.openWorkbench(page, url);
        await H.recordStatus(page, S.STATUS);
        ctx = {
          server,
          context,
          page,
          pages: [page],
          workspace,
          url,
          sample: S.pickSample(workspace),
          note: (m) => log(`  · ${m}`),
          results: RESULTS,
          shot: (p, name) => p.screenshot({ path: path.join(RESULTS, `${name}.png`) }),
        };
        log(`  sample image ${ctx.sample}`);
      });
      for (const s of chosen) {
        if (!ctx) {
          notRun(`scenario ${s.name}`, 'code-server did not start');
          continue;
        }
        await step(`scenario ${s.name}: ${s.title}`, () => s.run(ctx), { timeoutMs: s.timeoutMs ?? 180_000 });
        const failed = !results.at(-1).ok;
        await ctx.page.screenshot({ path: path.join(RESULTS, `${s.name}.png`) }).catch(() => undefined);
        if (failed) {
          for (const [i, p] of ctx.pages.entries()) await saveFailureArtefacts(`${s.name}${i ? `-page${i + 1}` : ''}`, p, i ? undefined : server);
        }
      }
    }
  }

  // 4b. the flows that need a VS Code of their own (startup settings, Workspace Trust)
  const own = S.ownServerScenarios.filter((s, i) => wanted('scenarios', String(S.scenarios.length + i + 1), s.name));
  if (own.length && appServer) {
    // One daemon at a time: the session above (and its daemon) goes first.
    const left = await appServer.stop();
    log(`\n  stopped code-server "app" (${appServer.stopped.length} processes${appServer.stoppedDaemons.length ? `, daemon pid ${appServer.stoppedDaemons.map((d) => d.pid).join(', ')}` : ''})${left.length ? `; could not stop ${JSON.stringify(left)}` : ''}`);
  }
  for (const s of own) {
    if (!vsix && !dev) {
      notRun(`scenario ${s.name}`, 'no VSIX');
      continue;
    }
    const mine = { servers: [], contexts: [], pages: [] };
    const env = {
      run,
      results: RESULTS,
      note: (m) => log(`  · ${m}`),
      async server(name, opts) {
        const server = new H.CodeServer(run, name, opts);
        servers.push(server);
        mine.servers.push(server);
        if (!dev) await server.installExtension(vsix);
        return server;
      },
      workspace: (name) => H.makeWorkspace(run, name),
      async openWindow(server, folder) {
        const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
        mine.contexts.push(context);
        const page = await H.newPage(context);
        mine.pages.push({ page, server });
        const url = server.folderUrl(folder, dev ? [['extensionDevelopmentPath', server.remoteUri(REPO)], ['skipWelcome', 'true']] : undefined);
        await H.openWorkbench(page, url);
        await H.recordStatus(page, S.STATUS);
        return page;
      },
      async closeWindows() {
        for (const c of mine.contexts.splice(0)) await c.close().catch(() => undefined);
      },
      shot: (p, name) => p.screenshot({ path: path.join(RESULTS, `${name}.png`) }),
    };
    await step(`scenario ${s.name}: ${s.title}`, () => s.run(env), { timeoutMs: 300_000 });
    const failed = !results.at(-1).ok;
    const open = mine.pages.filter(({ page }) => !page.isClosed());
    if (open.length) await open.at(-1).page.screenshot({ path: path.join(RESULTS, `${s.name}.png`) }).catch(() => undefined);
    if (failed) {
      // The console of every window (closed ones too); each server's logs once.
      const saved = new Set();
      for (const [i, { page, server }] of mine.pages.entries()) {
        await saveFailureArtefacts(`${s.name}${i ? `-page${i + 1}` : ''}`, page, saved.has(server) ? undefined : server);
        saved.add(server);
      }
    }
    await env.closeWindows();
    for (const server of mine.servers) {
      const left = await server.stop();
      log(`  stopped code-server "${server.name}" (${server.stopped.length} processes${server.stoppedDaemons.length ? `, daemon pid ${server.stoppedDaemons.map((d) => d.pid).join(', ')}` : ''})${left.length ? `; could not stop ${JSON.stringify(left)}` : ''}`);
    }
  }
}

try {
  await main();
} catch (e) {
  results.push({ name: 'runner', ok: false, seconds: 0, error: e?.stack ?? String(e) });
  log(`✘ runner: ${e?.stack ?? e}`);
} finally {
  const start = Date.now();
  await cleanup();
  const left = findRunProcesses(run.id, base);
  results.push({
    name: 'cleanup: no code-server, Chromium or daemon process of the run is left',
    ok: left.length === 0,
    seconds: (Date.now() - start) / 1000,
    error: left.length ? `still running: ${JSON.stringify(left, null, 1)}` : undefined,
  });
  if (!keep) rmSync(base, { recursive: true, force: true });
}

const passed = results.filter((r) => r.ok).length;
const failed = results.length - passed;
log('\nSummary');
for (const r of results) log(`  ${r.ok ? 'pass' : 'FAIL'}  ${r.seconds.toFixed(1).padStart(6)} s  ${r.name}`);
log(`  total ${((Date.now() - t0) / 1000).toFixed(1)} s; artefacts in ${path.relative(REPO, RESULTS)}/${keep ? `; run folder kept: ${base}` : ''}`);
// CI shows only the output's tail: each failure's first lines (and the UI then) go last.
const tailOf = (e) => {
  const lines = String(e ?? '').split('\n');
  return [...lines.slice(0, 2), ...lines.filter((l) => l.startsWith('  ui: '))].join(' | ').slice(0, 900);
};
for (const r of results.filter((x) => !x.ok)) log(`  ✘ ${r.name.split(':')[0]}: ${tailOf(r.error)}`);
writeFileSync(path.join(RESULTS, 'summary.json'), JSON.stringify({ passed, failed, results }, null, 2));
log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
