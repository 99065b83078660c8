// The refine editor's messages (issue 22), added to the preview's unions in messages.ts: the
// editor page is the preview page with the refine tools on.
import type { ClassInfo, Task } from '../../../daemon/api/protocol';
import type { MaskEdit, PromptMark, Rect } from './maskEdit';

/** What the refine keybindings ask the page to do (package.json → seglens.refine.<command>). */
export const REFINE_COMMANDS = [
  'toolBox',
  'toolKeep',
  'toolBrush',
  'toolEraser',
  'toolNone',
  'swapPaint',
  'sizeUp',
  'sizeDown',
  'toggleOutside',
  // Prompt modes (issue 25): the prompt tool, the next candidate (Tab), the last prompt removed (Backspace).
  'toolPrompt',
  'nextCandidate',
  'removeLastPrompt',
] as const;
export type RefineCommand = (typeof REFINE_COMMANDS)[number];

/** The page's buttons that the extension carries out (export: `mask`, `binary` or `cutout` to a file the user picks). */
export const REFINE_ACTIONS = ['reset', 'export', 'saveGroundTruth'] as const;
export type RefineAction = (typeof REFINE_ACTIONS)[number];

export type RefineToWebview =
  /** The starting mask (the model's output, or the ground truth as opened) and the edits in force, replayed over it. */
  /** `prompt`: the mode is a prompt mode (issue 25): clicks and drags are prompts. */
  | { type: 'refineState'; path: string; width: number; height: number; task: Task; classes: ClassInfo[]; base: Uint8Array; edits: MaskEdit[]; groundTruth: boolean; prompt: boolean }
  /** The edits in force changed (undo, redo, revert): replay them over the starting mask. */
  | { type: 'refineEdits'; edits: MaskEdit[] }
  /** One edit made by the extension (a box's result): apply it. */
  | { type: 'refineEdit'; edit: MaskEdit }
  | { type: 'refineCommand'; command: RefineCommand }
  /**
   * How many edits VS Code holds for the document once the page's own edit reached it: an undo
   * pressed before that finds nothing to undo (the page shows the count as data-refine-held).
   */
  | { type: 'refineHeld'; count: number }
  /** A prompt mode's status line: the image being embedded, ready for prompts, a prompt under way. */
  | { type: 'promptStatus'; state: PromptStatus; message: string };

export type PromptStatus = 'embedding' | 'ready' | 'prompting' | 'error';

export type RefineFromWebview =
  /** An edit the page made and drew already (keep/remove, relabel, stroke). */
  | { type: 'refineEdit'; edit: MaskEdit }
  /** A box drawn: segment it (with a margin) through `region`. */
  | { type: 'refineBox'; box: Rect; clearOutside: boolean }
  /** A button: `threshold` is the page's, for `binary` and for a binary ground truth. */
  | { type: 'refineAction'; action: RefineAction; threshold: number }
  /** Prompt modes: the prompts now wanted (one added or removed): answer them (at least one). */
  | { type: 'refinePrompt'; points: PromptMark[]; box?: Rect }
  /** Prompt modes: show the next of the last answer's candidates (Tab). */
  | { type: 'refineCandidate' };
