// The protocol's methods (docs/protocol.md), one handler each, for one client. They check params
// (params.ts) and call into the registry, lifecycle, segmenter and user modes of the Daemon.
import { MessageConnection, NotificationType } from 'vscode-jsonrpc/node';
import { invalidParams } from '../api/errors';
import * as P from '../api/protocol';
import { Engine } from '../engine/engine';
import { modeInfo } from '../models/modeDef';
import { UserModeService, inspectModel } from '../models/userModes';
import { Lifecycle } from '../registry/lifecycle';
import { Registry } from '../registry/registry';
import { DaemonMetrics } from './metrics';
import * as params from './params';
import { Handler } from './rpc';
import { Segmenter } from './segmenter';
import { Prompter } from './prompter';
import { embedParams, promptParams } from './promptParams';

/** One connection and what the daemon knows of its client. */
export interface Client {
  connection: MessageConnection;
  closeTransport?: () => void;
  name?: string;
  initializedAt?: number;
  readyReported: boolean;
}

/** What the handlers use of the Daemon (daemon.ts). */
export interface DaemonCore {
  readonly version: string;
  readonly registry: Registry;
  readonly engine: Engine;
  readonly lifecycle: Lifecycle;
  readonly metrics: DaemonMetrics;
  readonly userModes: UserModeService;
  readonly segmenter: Segmenter;
  readonly prompter: Prompter;
  log(level: P.LogLevel, message: string, toClients?: boolean): void;
  initializedClients(): number;
  status(): P.StatusResult;
  modeStatus(mode: string): P.ModeStatus;
  /** Records that `client` used `mode` (keep-alive, recent modes). */
  used(mode: string, client: Client): void;
  broadcast<T>(type: NotificationType<T>, payload: T): void;
  /** Answers `shutdown`: refuses new work at once, stops once the answer is out. */
  shutdownRequested(client: Client): void;
}

/** Method name → handler, for one client. */
export function handlersFor(d: DaemonCore, client: Client): Record<string, Handler> {
  return {
    [P.Initialize.method]: (p) => initialize(d, client, p),
    [P.Status.method]: () => d.status(),
    [P.EnsureReady.method]: (p) => ensureReady(d, client, p),
    [P.Warmup.method]: (p) => {
      const { mode, force, iterations } = params.warmupParams(p);
      d.used(mode, client);
      return d.registry.warmup(mode, force ?? false, iterations);
    },
    [P.Segment.method]: (p, token) => {
      const sp = params.segmentParams(p);
      d.used(sp.mode, client);
      return d.segmenter.segment(sp, token);
    },
    [P.Embed.method]: (p, token) => {
      const ep = embedParams(p);
      d.used(ep.mode, client);
      return d.prompter.embed(ep, token);
    },
    [P.Prompt.method]: (p, token) => {
      const pp = promptParams(p);
      d.used(pp.mode, client);
      return d.prompter.prompt(pp, token);
    },
    // No `used`: nothing runs, so it neither keeps a mode alive nor makes it a recent one.
    [P.CachedResults.method]: (p) => d.segmenter.cachedResults(params.cachedResultsParams(p)),
    [P.Score.method]: (p) => d.segmenter.score(params.scoreParams(p)),
    [P.DisplayCrop.method]: (p) => d.segmenter.displayCrop(params.displayCropParams(p)),
    [P.SelectMode.method]: (p) => {
      const { mode } = params.selectModeParams(p);
      d.registry.def(mode); // -32602 for an unknown mode
      d.lifecycle.select(client, mode);
      d.broadcast(P.ModelState, d.modeStatus(mode));
      return { mode, state: d.registry.status(mode).state };
    },
    [P.Unload.method]: async (p) => {
      const { mode } = params.unloadParams(p);
      if (mode !== undefined && !d.registry.has(mode)) d.registry.def(mode); // throws -32602
      return { unloaded: await d.registry.unload(mode) };
    },
    [P.Metrics.method]: () => ({ text: d.metrics.render() }),
    [P.DefineModes.method]: (p) => d.userModes.define(p, client),
    [P.InspectModel.method]: (p) => {
      const o = (p ?? {}) as Partial<P.InspectModelParams>;
      return inspectModel(o.path as string, { encoder: o.encoder, encoderSize: o.encoderSize, samNames: o.samNames });
    },
    [P.Shutdown.method]: () => {
      d.shutdownRequested(client);
      return null;
    },
  };
}

async function initialize(d: DaemonCore, client: Client, p: unknown): Promise<P.InitializeResult> {
  const o = (p ?? {}) as Partial<P.InitializeParams>;
  if (typeof o.clientName !== 'string') throw invalidParams("initialize: 'clientName' must be a string");
  if (o.protocolVersion !== P.PROTOCOL_VERSION) {
    throw invalidParams(`initialize: this daemon speaks protocolVersion ${P.PROTOCOL_VERSION}, the client asked for ${String(o.protocolVersion)}`);
  }
  client.name = o.clientName;
  if (client.initializedAt === undefined) client.initializedAt = performance.now();
  const providers = await d.engine.providers();
  d.log('info', `client '${o.clientName}' connected (${d.initializedClients()} connected)`, false);
  return {
    protocolVersion: P.PROTOCOL_VERSION,
    daemonVersion: d.version,
    pid: process.pid,
    providers,
    modes: d.registry.modes().map(modeInfo),
    provider: d.engine.provider,
    ...(d.engine.gpu ? { gpu: d.engine.gpu } : {}),
  };
}

async function ensureReady(d: DaemonCore, client: Client, p: unknown): Promise<P.EnsureReadyResult> {
  const { mode, warmup } = params.ensureReadyParams(p);
  d.used(mode, client);
  const r = await d.registry.ensureReady(mode, warmup ?? true);
  // seglens_client_ready_seconds: from a client's initialize to its first answered ensureReady.
  if (!client.readyReported && client.initializedAt !== undefined) {
    client.readyReported = true;
    d.metrics.clientReadySeconds.observe({}, (performance.now() - client.initializedAt) / 1000);
  }
  return r;
}
