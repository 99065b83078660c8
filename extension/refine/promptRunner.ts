// A prompt mode's refine editor (issue 25), the extension's half: the image is embedded when it
// opens (seglens/embed; the page's status line says "embedding…", then "ready"), each change of
// the prompts is answered by seglens/prompt (the last answer fed back as `previous` when the
// prompts only grew), and the answer becomes a `prompt` edit of the document (undo, brush and
// save as for any edit). Tab shows the next of the answer's candidates, as one more edit.
import * as vscode from 'vscode';
import { greyPng, maskPixels } from '../../daemon/api/exports/render';
import { Embed, Prompt } from '../../daemon/api/protocol';
import type { ClassInfo, PromptParams, PromptResult, SegmentResult } from '../../daemon/api/protocol';
import type { MaskEdit, Rect } from '../../media/webview/shared/maskEdit';
import { grew, lastPromptEdit, promptsInForce } from '../../media/webview/shared/promptState';
import type { PromptSet } from '../../media/webview/shared/promptState';
import type { PromptStatus, RefineToWebview } from '../../media/webview/shared/refineMessages';
import { errorInfo, imageSource } from '../preview/previewData';
import type { PreviewDeps } from '../preview/previewData';
import type { RefineDocument } from './refineDocument';

/** JSON-RPC's invalid params: an unknown `previous` (a restarted daemon) among others. */
const INVALID_PARAMS = -32602;
/** Answers whose candidates Tab can still show (the masks are image-sized: keep few). */
const KEPT_ANSWERS = 4;

/** A prompt mode's mask: background and foreground. */
export const PROMPT_CLASSES: ClassInfo[] = [
  { id: 0, label: 'background', color: [0, 0, 0], fraction: 1 },
  { id: 1, label: 'foreground', color: [255, 255, 255], fraction: 0 },
];

export interface PromptHost {
  push(doc: RefineDocument, edit: MaskEdit): void;
  post(m: RefineToWebview | { type: 'error'; message: string; code?: number }): void;
}

export class PromptRunner {
  /** The candidates of the last answers, by token (Tab cycles through them). */
  private readonly candidates = new Map<string, Uint8Array[]>();
  private chain: Promise<void> = Promise.resolve();
  private mode = '';

  constructor(
    private readonly doc: RefineDocument,
    private readonly deps: PreviewDeps,
    private readonly host: PromptHost,
  ) {}

  private status(state: PromptStatus, message: string): void {
    this.host.post({ type: 'promptStatus', state, message });
  }

  /**
   * Embeds the image (loading the mode first as needed): the document's starting mask is then an
   * empty one of the image's size, as a result the panel shows like any other.
   */
  async start(uri: vscode.Uri, mode: string): Promise<SegmentResult> {
    this.mode = mode;
    const client = await this.deps.supervisor.ensureClient();
    this.status('embedding', `Embedding the image with ${mode}…`);
    try {
      if (this.deps.store.state(mode) !== 'warm') await client.ensureReady(mode, false);
      const e = await client.request(Embed, { mode, image: await imageSource(uri) });
      this.status('ready', `Ready: click adds a point, Alt+click a negative one, drag a box (embedding ${e.embedding}, ${Math.round(e.encoderMs)} ms)`);
      const maskPng = (await greyPng(new Uint8Array(e.width * e.height), e.width, e.height)).toString('base64');
      const timings = { queueMs: 0, decodeMs: 0, preprocessMs: 0, inferenceMs: e.encoderMs, postprocessMs: 0, totalMs: e.encoderMs };
      return { mode, width: e.width, height: e.height, maskPng, classes: PROMPT_CLASSES, wasWarm: e.embedding !== 'computed', timings };
    } catch (err) {
      this.status('error', `The image could not be embedded: ${errorInfo(err).message}`);
      throw err;
    }
  }

  /** Answers `wanted` after any prompt still under way (so each answer can feed the next). */
  prompt(wanted: PromptSet): Promise<void> {
    this.chain = this.chain.then(() => this.answer(wanted));
    return this.chain;
  }

  private async answer(wanted: PromptSet): Promise<void> {
    const last = lastPromptEdit(this.doc.edits);
    // The answer shown is fed back: its token, and which candidate when Tab picked another.
    const previous = last?.token && grew(promptsInForce(this.doc.edits), wanted) ? { previous: last.token, ...(last.scores.length > 1 ? { previousCandidate: last.candidate } : {}) } : undefined;
    this.status('prompting', `Prompting ${this.mode}…`);
    try {
      const r = await this.request(wanted, previous);
      const masks = await this.decode(r);
      const best = r.candidates ? Math.max(0, r.candidates.findIndex((c) => c.maskPng === r.maskPng)) : 0;
      const scores = r.candidates ? r.candidates.map((c) => c.score) : [r.score];
      this.keep(r.token, masks);
      this.host.push(this.doc, promptEdit(wanted, masks[best], r.token, best, scores));
      this.status('ready', `${describe(wanted)} · score ${r.score.toFixed(3)}${scores.length > 1 ? ` · candidate ${best + 1} of ${scores.length} (Tab: next)` : ''} · decoder ${Math.round(r.timings.decoderMs)} ms`);
    } catch (err) {
      const { message, code } = errorInfo(err);
      this.deps.log.warn(`refine: prompt on ${this.doc.image.toString()} failed${code !== undefined ? ` (${code})` : ''}: ${message}`);
      this.status('error', `The prompt failed: ${message}`);
      this.host.post({ type: 'refineEdits', edits: [...this.doc.edits] }); // the page's markers back to the prompts in force
    }
  }

  /** seglens/prompt; an unknown `previous` (the daemon restarted and lost it) is retried without. */
  private async request(wanted: PromptSet, previous: Pick<PromptParams, 'previous' | 'previousCandidate'> | undefined): Promise<PromptResult> {
    const client = await this.deps.supervisor.ensureClient();
    const params: PromptParams = { mode: this.mode, image: await imageSource(this.doc.image), points: wanted.points, ...(wanted.box ? { box: wanted.box } : {}) };
    try {
      return await client.request(Prompt, previous ? { ...params, ...previous } : params);
    } catch (err) {
      if (!previous || errorInfo(err).code !== INVALID_PARAMS) throw err;
      return client.request(Prompt, params);
    }
  }

  /** The answer's masks as pixels: its candidates (K > 1) or its one mask. */
  private async decode(r: PromptResult): Promise<Uint8Array[]> {
    const pngs = r.candidates?.length ? r.candidates.map((c) => c.maskPng) : [r.maskPng];
    // Copies with their own buffers (sharp's output may be a view into a pooled buffer).
    return Promise.all(pngs.map(async (maskPng) => new Uint8Array(await maskPixels({ maskPng, width: r.width, height: r.height }))));
  }

  private keep(token: string, masks: Uint8Array[]): void {
    this.candidates.delete(token);
    this.candidates.set(token, masks);
    while (this.candidates.size > KEPT_ANSWERS) this.candidates.delete(this.candidates.keys().next().value as string);
  }

  /** Tab: the next candidate of the last answer in force, as one more edit. */
  nextCandidate(): void {
    const last = lastPromptEdit(this.doc.edits);
    const masks = last?.token ? this.candidates.get(last.token) : undefined;
    if (!last || !masks || masks.length < 2) {
      this.status('ready', last ? 'This answer has one candidate.' : 'No prompt yet: click on the image.');
      return;
    }
    const next = (last.candidate + 1) % masks.length;
    this.host.push(this.doc, promptEdit(last, masks[next], last.token!, next, last.scores));
    this.status('ready', `Candidate ${next + 1} of ${masks.length} · score ${last.scores[next].toFixed(3)} (Tab: next)`);
  }
}

function promptEdit(set: PromptSet, mask: Uint8Array, token: string, candidate: number, scores: number[]): MaskEdit {
  const box: Rect | undefined = set.box;
  return { kind: 'prompt', mask, points: [...set.points], ...(box ? { box } : {}), token, candidate, scores };
}

function describe(s: PromptSet): string {
  const pos = s.points.filter((p) => p.label === 1).length;
  const neg = s.points.length - pos;
  return [`${pos} positive`, neg ? `${neg} negative` : '', s.box ? 'a box' : ''].filter(Boolean).join(', ');
}
