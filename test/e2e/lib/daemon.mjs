// Talks to the run's shared SegLens daemon the way any client does (docs/protocol.md): JSON-RPC
// over its Unix socket with vscode-jsonrpc (the root dependency the daemon itself uses).
import { createRequire } from 'node:module';
import { existsSync, readdirSync } from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { REPO } from './harness.mjs';

const rootRequire = createRequire(path.join(REPO, 'package.json'));

/** The daemon sockets under a runtime folder: `<XDG_RUNTIME_DIR>/seglens/daemon-<version>.sock`. */
export function daemonSockets(runtimeDir) {
  const dir = path.join(runtimeDir, `seglens`);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => /^daemon-.*\.sock$/.test(f))
    .map((f) => path.join(dir, f));
}

export async function connect(socketPath, timeoutMs = 3_000) {
  const rpc = rootRequire('vscode-jsonrpc/node');
  const socket = await new Promise((resolve, reject) => {
    const s = net.connect(socketPath);
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`timed out connecting to ${socketPath}`));
    }, timeoutMs);
    s.once('connect', () => {
      clearTimeout(timer);
      resolve(s);
    });
    s.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
  socket.on('error', () => undefined);
  const conn = rpc.createMessageConnection(new rpc.StreamMessageReader(socket), new rpc.StreamMessageWriter(socket));
  conn.listen();
  const init = await conn.sendRequest('initialize', { clientName: 'seglens-e2e', protocolVersion: 1, processId: process.pid });
  return {
    init,
    status: () => conn.sendRequest('seglens/status', {}),
    metrics: async () => (await conn.sendRequest('seglens/metrics', {})).text,
    segment: (params) => conn.sendRequest('seglens/segment', params),
    close() {
      conn.dispose();
      socket.destroy();
    },
  };
}

/** Opens a connection to the one daemon under `runtimeDir`, runs `fn`, closes. */
export async function withDaemon(runtimeDir, fn) {
  const socks = daemonSockets(runtimeDir);
  if (socks.length === 0) throw new Error(`no daemon socket under ${runtimeDir}`);
  let lastErr;
  for (const s of socks) {
    let c;
    try {
      c = await connect(s);
    } catch (e) {
      lastErr = e;
      continue;
    }
    try {
      return await fn(c);
    } finally {
      c.close();
    }
  }
  throw new Error(`no live daemon under ${runtimeDir}: ${lastErr?.message}`);
}

/** Value of a Prometheus sample `name{label="value",...}` (0 when absent). */
export function metricValue(text, name, labels = {}) {
  let total = 0;
  let seen = false;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})?\s+(\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = Object.fromEntries([...(m[3] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) {
      total += Number(m[4]);
      seen = true;
    }
  }
  return seen ? total : 0;
}
