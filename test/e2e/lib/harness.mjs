// A real VS Code for the tests: code-server (VS Code's own server and web workbench, with a
// real Node extension host) driven through Debian's Chromium by playwright-core.
// Facts behind the choices: README.md "Development" (the end-to-end suite).
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, writeFileSync, readFileSync, cpSync, chmodSync } from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import * as util from 'node:util';
import { fileURLToPath } from 'node:url';
import { spawnGroup, killGroup, killByMarker, sleep, alive } from './procs.mjs';
import { TOOLING_DIR, CHROMIUM } from '../toolingStatus.mjs';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const toolingRequire = createRequire(path.join(TOOLING_DIR, 'package.json'));
export const CODE_SERVER_ENTRY = path.join(TOOLING_DIR, 'node_modules', 'code-server', 'out', 'node', 'entry.js');

export function playwright() {
  return toolingRequire('playwright-core');
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Environment for code-server and Chromium: everything under `home`, marked with the run id. */
export function isolatedEnv(run, home, extra = {}) {
  const env = { ...process.env };
  for (const k of Object.keys(env)) {
    if (/^(npm_|VSCODE_|ELECTRON_)/.test(k) || k === 'NODE_OPTIONS' || k === 'INIT_CWD') delete env[k];
  }
  const dirs = {
    HOME: home,
    XDG_CONFIG_HOME: path.join(home, '.config'),
    XDG_DATA_HOME: path.join(home, '.local', 'share'),
    XDG_CACHE_HOME: path.join(home, '.cache'),
    XDG_STATE_HOME: path.join(home, '.local', 'state'),
    XDG_RUNTIME_DIR: path.join(home, 'run'),
  };
  for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true });
  chmodSync(dirs.XDG_RUNTIME_DIR, 0o700);
  return { ...env, ...dirs, SEGLENS_E2E_RUN: run.id, ...extra };
}

function execFileP(cmd, args, opts) {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { maxBuffer: 16 * 1024 * 1024, ...opts }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')} failed: ${err.message}\n${stdout}\n${stderr}`));
      else resolve({ stdout, stderr });
    });
  });
}

/**
 * One code-server with its own HOME/XDG folders, user data and extensions folders.
 * Its XDG_RUNTIME_DIR is private to it, so the shared daemon the extension spawns listens
 * in this instance's folder (and is found there, and killed, at the end).
 */
export class CodeServer {
  /**
   * `trust: true` keeps VS Code's Workspace Trust on (no --disable-workspace-trust, and the
   * setting security.workspace.trust.enabled true unless `settings` says otherwise): the folder
   * opens untrusted, in Restricted Mode, until trust is granted.
   */
  constructor(run, name, { settings = {}, trust = false } = {}) {
    this.run = run;
    this.name = name;
    this.trust = trust;
    this.dir = path.join(run.base, name);
    this.home = path.join(this.dir, 'h');
    this.userDataDir = path.join(this.dir, 'u');
    this.extensionsDir = path.join(this.dir, 'e');
    this.logFile = path.join(this.dir, 'code-server.log');
    for (const d of [this.home, this.userDataDir, this.extensionsDir]) mkdirSync(d, { recursive: true });
    this.marker = `SEGLENS_E2E_INSTANCE=${run.id}-${name}`;
    this.env = isolatedEnv(run, this.home, { SEGLENS_E2E_INSTANCE: `${run.id}-${name}` });
    this.writeSettings({ 'workbench.startupEditor': 'none', 'workbench.tips.enabled': false, 'telemetry.telemetryLevel': 'off', 'security.workspace.trust.enabled': trust, 'extensions.autoCheckUpdates': false, 'extensions.autoUpdate': false, ...settings });
  }

  get runtimeDir() {
    return this.env.XDG_RUNTIME_DIR;
  }

  writeSettings(settings) {
    mkdirSync(path.join(this.userDataDir, 'User'), { recursive: true });
    writeFileSync(path.join(this.userDataDir, 'User', 'settings.json'), JSON.stringify(settings, null, 2));
  }

  /** The user settings. VS Code rewrites the file in place, so a read can meet it empty or half written: read again. */
  readSettings() {
    const file = path.join(this.userDataDir, 'User', 'settings.json');
    for (let attempt = 0; ; attempt++) {
      try {
        return JSON.parse(readFileSync(file, 'utf8'));
      } catch (e) {
        if (!(e instanceof SyntaxError) || attempt >= 40) throw e;
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50); // callers are synchronous
      }
    }
  }

  args() {
    return ['--extensions-dir', this.extensionsDir, '--user-data-dir', this.userDataDir];
  }

  async installExtension(vsix) {
    await execFileP(process.execPath, [CODE_SERVER_ENTRY, ...this.args(), '--install-extension', vsix, '--force'], { env: this.env, timeout: 120_000 });
  }

  async start() {
    this.port = await freePort();
    const config = path.join(this.dir, 'config.yaml');
    writeFileSync(config, `bind-addr: 127.0.0.1:${this.port}\nauth: none\ncert: false\n`);
    this.proc = spawnGroup(
      process.execPath,
      [CODE_SERVER_ENTRY, '--config', config, '--bind-addr', `127.0.0.1:${this.port}`, '--auth', 'none', '--disable-telemetry', '--disable-update-check', ...(this.trust ? [] : ['--disable-workspace-trust']), '--disable-getting-started-override', ...this.args()],
      { env: this.env, cwd: this.dir, logFile: this.logFile },
    );
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (!alive(this.proc.pid)) throw new Error(`code-server exited at start; log ${this.logFile}:\n${this.logTail()}`);
      try {
        const r = await fetch(`http://127.0.0.1:${this.port}/healthz`);
        if (r.status === 200) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`code-server did not answer /healthz within 60 s; log:\n${this.logTail()}`);
      await sleep(200);
    }
    this.url = `http://127.0.0.1:${this.port}`;
    return this;
  }

  folderUrl(folder, payload) {
    let u = `${this.url}/?folder=${encodeURIComponent(folder)}`;
    if (payload) u += `&payload=${encodeURIComponent(JSON.stringify(payload))}`;
    return u;
  }

  remoteUri(absPath) {
    return `vscode-remote://127.0.0.1:${this.port}${absPath}`;
  }

  logTail(n = 60) {
    try {
      return readFileSync(this.logFile, 'utf8').split('\n').slice(-n).join('\n');
    } catch {
      return '(no log)';
    }
  }

  /** The extension's shared daemon writes its stderr here (the cache dir under XDG_CACHE_HOME). */
  get daemonLog() {
    // The extension gives the shared daemon its global storage as --cache-dir and logs there.
    return path.join(this.userDataDir, 'User', 'globalStorage', 'seglens.seglens', 'daemon-stderr.log');
  }

  /** Stops code-server and everything started under it, the detached daemon included. */
  async stop() {
    if (this.proc) killGroup(this.proc.pid, 'SIGKILL');
    const killed = [];
    const left = await killByMarker(this.marker, (p) => killed.push(p));
    this.stopped = killed;
    return left;
  }

  /** Daemon processes among `stopped` (spawned detached by the extension, so outside the group). */
  get stoppedDaemons() {
    return (this.stopped ?? []).filter((p) => /daemon\.js\b.*--listen|daemon\.js\b.*--stdio/.test(p.cmdline));
  }

  /** VS Code's own logs (extension host, the SegLens output channel) under the user data folder. */
  get logsDir() {
    return path.join(this.userDataDir, 'logs');
  }
}

/** Headless Debian Chromium, its profile and HOME inside the run folder. */
export async function launchBrowser(run, name = 'chromium') {
  const home = path.join(run.base, name);
  mkdirSync(home, { recursive: true });
  const env = isolatedEnv(run, home);
  const browser = await playwright().chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    env,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
    timeout: 60_000,
    // The runner handles signals itself and kills every process of the run, Chromium included.
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
  });
  return browser;
}

/** A page with its console collected (kept as an artefact when a scenario fails). */
export async function newPage(context) {
  const page = await context.newPage();
  page.consoleLines = [];
  page.on('console', (m) => page.consoleLines.push(`[${new Date().toISOString()}] ${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => page.consoleLines.push(`[${new Date().toISOString()}] pageerror: ${e.message}`));
  return page;
}

// ---- the workbench, as a user sees it ----

export const SEL = {
  workbench: '.monaco-workbench',
  statusBar: '#workbench\\.parts\\.statusbar',
  quickInput: '.quick-input-widget',
  quickInputBox: '.quick-input-widget .quick-input-box input',
  quickRow: '.quick-input-widget .monaco-list-row',
  toast: '.notification-toast',
  webview: 'iframe.webview',
};

export async function openWorkbench(page, url, timeout = 60_000) {
  await page.goto(url, { waitUntil: 'domcontentloaded', timeout });
  await page.waitForSelector(SEL.workbench, { timeout });
  // The status bar is drawn once the workbench has restored: a good sign it is usable.
  await page.waitForSelector(`${SEL.statusBar} .statusbar-item`, { timeout });
}

async function quickInputVisible(page) {
  return page.locator(SEL.quickInput).isVisible().catch(() => false);
}

/** F1, type the command's title, Enter on the row whose label matches it. */
export async function runCommand(page, title, timeout = 20_000) {
  const deadline = Date.now() + timeout;
  for (let attempt = 0; ; attempt++) {
    if (await quickInputVisible(page)) await page.keyboard.press('Escape');
    await page.locator(SEL.workbench).click({ position: { x: 5, y: 5 }, force: true, trial: false }).catch(() => undefined);
    await page.keyboard.press('F1');
    try {
      await page.waitForSelector(SEL.quickInputBox, { state: 'visible', timeout: 5_000 });
      await page.locator(SEL.quickInputBox).fill(`>${title}`);
      const row = page.locator(SEL.quickRow, { hasText: title }).first();
      await row.waitFor({ state: 'visible', timeout: Math.max(2_000, Math.min(10_000, deadline - Date.now())) });
      // Enter runs the focused (first) row; make sure it is ours.
      const first = page.locator(SEL.quickRow).first();
      if (!((await first.innerText()).includes(title))) await row.click();
      else await page.keyboard.press('Enter');
      // A lost Enter leaves the palette open with the title typed: click the row then (after 5 s:
      // a palette merely slow to close on a busy machine must not run the command twice).
      const box = page.locator(SEL.quickInputBox);
      const stillTyped = async () => (await box.isVisible().catch(() => false)) && (await box.inputValue().catch(() => '')) === `>${title}`;
      for (let i = 0; i < 50 && (await stillTyped()); i++) await sleep(100);
      if (await stillTyped()) await row.click();
      return;
    } catch (e) {
      if (Date.now() > deadline) throw new Error(`command palette: "${title}" not found (${e.message.split('\n')[0]})`);
      await sleep(500);
    }
  }
}

/** The open quick input's rows (texts), or [] when none is open. */
export async function openQuickRows(page) {
  if (!(await quickInputVisible(page))) return [];
  return page.locator(SEL.quickRow).allInnerTexts().catch(() => []);
}

/** The command's own quick pick: visible, its box not the palette's ('>' + a command title). */
async function commandPickOpened(page, timeout) {
  const deadline = Date.now() + timeout;
  while (Date.now() < deadline) {
    const box = page.locator(SEL.quickInputBox);
    if ((await box.isVisible().catch(() => false)) && !(await box.inputValue().catch(() => '>')).startsWith('>')) return true;
    await sleep(100);
  }
  return false;
}

/**
 * Runs a command that offers files in a quick pick, types `filter`, and picks the row matching
 * `match`. A pick that lacks the row is closed and the command run again (each attempt is
 * reported through `note`, with the rows it showed); the error says what the last attempt saw.
 */
export async function pickThroughCommand(page, title, { filter, match, timeout = 90_000, note = () => undefined }) {
  const deadline = Date.now() + timeout;
  for (let attempt = 1; ; attempt++) {
    await runCommand(page, title);
    const opened = await commandPickOpened(page, Math.max(5_000, Math.min(30_000, deadline - Date.now())));
    if (opened && filter) await page.locator(SEL.quickInputBox).fill(filter);
    const row = page.locator(SEL.quickRow).filter({ hasText: match }).first();
    if (opened && (await row.waitFor({ state: 'visible', timeout: 10_000 }).then(() => true, () => false))) {
      await row.click();
      return attempt;
    }
    const seen = opened ? await openQuickRows(page) : [];
    const box = page.locator(SEL.quickInputBox);
    const input = (await box.isVisible().catch(() => false)) ? `a quick input showing ${JSON.stringify(await box.inputValue().catch(() => '?'))}` : 'no quick input';
    const toasts = await page.locator(SEL.toast).allInnerTexts().catch(() => []);
    const what = opened ? `its quick pick lacked ${match} (rows ${JSON.stringify(seen)})` : `no quick pick opened (${input})`;
    const why = `${title}, attempt ${attempt}: ${what}; notifications ${JSON.stringify(toasts.map((t) => t.replace(/\s+/g, ' ').slice(0, 200)))}`;
    if (Date.now() > deadline) throw new Error(why);
    note(`${why}; trying again`);
    if (await quickInputVisible(page)) await page.keyboard.press('Escape');
  }
}

/** Waits for a quick pick (other than the palette) and picks the row whose text matches. */
export async function pickQuickPickItem(page, match, timeout = 20_000) {
  const row = page.locator(SEL.quickRow).filter({ hasText: match }).first();
  await row.waitFor({ state: 'visible', timeout });
  await row.click();
}

export async function quickPickRows(page, timeout = 20_000) {
  await page.locator(SEL.quickRow).first().waitFor({ state: 'visible', timeout });
  return page.locator(SEL.quickRow).allInnerTexts();
}

/** The element id of an extension's status bar item: `<publisher>.<name>.<item id>`. */
export function statusItemSelector(extensionId, itemId) {
  return `[id="${extensionId}.${itemId}"]`;
}

export async function statusText(page, selector) {
  const el = page.locator(selector).first();
  if (!(await el.count())) return undefined;
  return (await el.innerText()).replace(/\s+/g, ' ').trim();
}

export async function waitForStatus(page, selector, re, timeout = 60_000) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    last = await statusText(page, selector).catch(() => undefined);
    if (last !== undefined && re.test(last)) return last;
    if (Date.now() > deadline) throw new Error(`status bar item ${selector}: wanted ${re}, last text ${JSON.stringify(last)}`);
    await sleep(100);
  }
}

/** Records every distinct text of the status item (polled in the page every 50 ms). */
export async function recordStatus(page, selector) {
  await page.evaluate((sel) => {
    const w = window;
    w.__e2eStatus = w.__e2eStatus || [];
    if (w.__e2eStatusTimer) return;
    w.__e2eStatusTimer = setInterval(() => {
      const el = document.querySelector(sel);
      const t = el ? el.innerText.replace(/\s+/g, ' ').trim() : '(absent)';
      if (w.__e2eStatus[w.__e2eStatus.length - 1] !== t) w.__e2eStatus.push(t);
    }, 50);
  }, selector);
}

export async function statusHistory(page, { reset = false } = {}) {
  return page.evaluate((reset) => {
    const h = window.__e2eStatus || [];
    const copy = [...h];
    if (reset) window.__e2eStatus = copy.slice(-1);
    return copy;
  }, reset);
}

export async function toasts(page) {
  return page.locator(SEL.toast).allInnerTexts().catch(() => []);
}

export async function waitForToast(page, re, timeout = 60_000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const all = await toasts(page);
    const hit = all.find((t) => re.test(t.replace(/\s+/g, ' ')));
    if (hit) return hit.replace(/\s+/g, ' ').trim();
    if (Date.now() > deadline) throw new Error(`no notification matching ${re}; showing: ${JSON.stringify(all)}`);
    await sleep(150);
  }
}

/** The frame (inside a webview's iframes) that holds `selector` and, when given, for which `accept(frame)` resolves true. */
export async function findFrameWith(page, selector, timeout = 30_000, accept = undefined) {
  const deadline = Date.now() + timeout;
  for (;;) {
    for (const f of page.frames()) {
      if (f === page.mainFrame()) continue;
      try {
        if ((await f.locator(selector).count()) && (!accept || (await accept(f)))) return f;
      } catch {
        // detached frame
      }
    }
    if (Date.now() > deadline) throw new Error(`no webview frame holds ${selector}${accept ? ' (and passes its check)' : ''} within ${timeout} ms`);
    await sleep(200);
  }
}

/**
 * The gallery page of `folder` (workspace-relative, as its header shows it). With two galleries
 * open, '#grid' alone may find the other one: a visible gallery of another folder that lists a
 * file of the same name.
 */
export function findGalleryFrame(page, folder, timeout = 30_000) {
  return findFrameWith(page, '#grid', timeout, async (f) => (await f.locator('#folder').textContent({ timeout: 1_000 })) === folder);
}

/** Runs the mocha suites of `testsDir` inside the real extension host (the `payload` route). */
export async function runExtensionSuites({ server, page, folder, extensionDevelopmentPath, extensionTestsPath, log, timeout = 300_000 }) {
  let resolveExit;
  const exited = new Promise((r) => (resolveExit = r));
  await page.exposeFunction('codeAutomationLog', (type, args) => {
    const text = util.format(...(Array.isArray(args) ? args : [args]));
    log(type === 'error' ? text : text);
  });
  await page.exposeFunction('codeAutomationExit', (code) => resolveExit(code));
  const payload = [
    ['extensionDevelopmentPath', server.remoteUri(extensionDevelopmentPath)],
    ['extensionTestsPath', server.remoteUri(extensionTestsPath)],
    ['skipWelcome', 'true'],
  ];
  await page.goto(server.folderUrl(folder, payload), { waitUntil: 'domcontentloaded' });
  let timer;
  const timedOut = new Promise((r) => (timer = setTimeout(() => r('timeout'), timeout)));
  const code = await Promise.race([exited, timedOut]);
  clearTimeout(timer);
  return code;
}

/** A temporary workspace: a copy of media/samples (or a generated image when it has none). */
export async function makeWorkspace(run, name) {
  const dir = path.join(run.base, name);
  mkdirSync(dir, { recursive: true });
  const samples = path.join(REPO, 'media', 'samples');
  const images = existsSync(samples) ? (await import('node:fs')).readdirSync(samples).filter((f) => /\.(png|jpe?g|webp)$/i.test(f)) : [];
  if (images.length) {
    cpSync(samples, dir, { recursive: true });
  } else {
    const sharp = createRequire(path.join(REPO, 'package.json'))('sharp');
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="640" height="480"><rect width="640" height="480" fill="#b8c4cc"/><circle cx="320" cy="250" r="150" fill="#c0392b"/><circle cx="280" cy="200" r="30" fill="#fff"/></svg>`;
    await sharp(Buffer.from(svg)).jpeg({ quality: 92 }).toFile(path.join(dir, 'generated-object.jpg'));
  }
  return dir;
}
