// What the engine's prompt-mode calls (issue 25) take and give (promptRunner.ts runs them;
// engine.ts and engineProxy.ts carry them), apart so that the contract imports no pipeline code.
import type { DisplayRegion, PromptPoint } from '../../../api/protocol';

export interface EmbedOutput {
  /** Of the oriented image. */
  width: number;
  height: number;
  encoderMs: number;
  decodeMs: number;
  preprocessMs: number;
  /** What the kept embedding takes. */
  bytes: number;
  inputSha256: string;
}

export interface PromptRequest {
  key: string;
  points: PromptPoint[];
  box?: DisplayRegion;
  /** An earlier answer's token and which of its candidates is fed back as mask_input. */
  previous?: { token: string; candidate?: number };
  /** The name this answer's low-res masks are kept under. */
  token: string;
  /** Tokens kept per image (the oldest goes first). */
  maxTokens: number;
}

export interface PromptOutput {
  width: number;
  height: number;
  /** 8-bit grey PNGs, 255 foreground: every candidate when K > 1, else the one. */
  maskPngs: Uint8Array[];
  scores: number[];
  best: number;
  decoderMs: number;
  postprocessMs: number;
  /** What the kept low-res masks of this answer take. */
  tokenBytes: number;
  /** Tokens of this image no longer kept. */
  droppedTokens: string[];
}

