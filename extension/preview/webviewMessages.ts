// Every message from the preview's webview is checked here before the panel acts on it: the
// page runs web content, so a message is data to validate, not a request to trust. Pure (no
// vscode import): test/unit/webviewMessages.test.ts and the suite inside VS Code use it.
import { MODE_ID_RE } from '../../daemon/api/constants';
import { DISPLAY_CROP_MAX_SIDE } from '../../daemon/api/protocol';
import type { DisplayRegion as Region } from '../../daemon/api/protocol';
import type { FromWebview } from '../../media/webview/shared/messages';
import { ownFields } from '../util/ownFields';
import { checkRefine } from '../refine/refineChecks';

export type Checked = { ok: true; message: FromWebview } | { ok: false; reason: string };

export interface MessageContext {
  /** The mode ids the extension knows (built-in and the user's, as the daemon lists them). */
  isMode(id: string): boolean;
  /** The image the panel shows (its state path), if any. */
  currentPath: string | undefined;
  /** A refine editor (issue 22): the size of the mask it edits, once known. */
  refine?: { width: number; height: number };
}

const refuse = (reason: string): Checked => ({ ok: false, reason });
const accept = (message: FromWebview): Checked => ({ ok: true, message });

function keys(o: object, allowed: string[]): string | undefined {
  return Object.keys(o).find((k) => !allowed.includes(k));
}

function checkMode(mode: unknown, ctx: MessageContext): string | undefined {
  if (typeof mode !== 'string' || !MODE_ID_RE.test(mode)) return 'not a mode id';
  if (!ctx.isMode(mode)) return `no mode '${mode}'`;
  return undefined;
}

/** The message if it is one the page may send, with exactly its fields and valid values. */
export function checkFromWebview(m: unknown, ctx: MessageContext): Checked {
  if (m === null || typeof m !== 'object' || Array.isArray(m)) return refuse('not an object');
  const o = ownFields(m);
  const extra = (allowed: string[]) => keys(o, ['type', ...allowed]);
  switch (o.type) {
    case 'ready':
    case 'saveMask':
    case 'rerun':
    case 'segmentFolder':
      return extra([]) ? refuse(`unexpected field '${extra([])}'`) : accept({ type: o.type });
    case 'navigate':
      if (extra(['delta'])) return refuse(`unexpected field '${extra(['delta'])}'`);
      return o.delta === 1 || o.delta === -1 ? accept({ type: 'navigate', delta: o.delta }) : refuse('delta must be -1 or 1');
    case 'setMode': {
      if (extra(['mode'])) return refuse(`unexpected field '${extra(['mode'])}'`);
      const bad = checkMode(o.mode, ctx);
      return bad ? refuse(bad) : accept({ type: 'setMode', mode: o.mode as string });
    }
    case 'compare': {
      if (extra(['mode'])) return refuse(`unexpected field '${extra(['mode'])}'`);
      if (o.mode === null) return accept({ type: 'compare', mode: null });
      const bad = checkMode(o.mode, ctx);
      return bad ? refuse(bad) : accept({ type: 'compare', mode: o.mode as string });
    }
    case 'focus':
      if (extra(['control'])) return refuse(`unexpected field '${extra(['control'])}'`);
      return typeof o.control === 'boolean' ? accept({ type: 'focus', control: o.control }) : refuse('control must be a boolean');
    case 'imageFailed':
      if (extra(['path'])) return refuse(`unexpected field '${extra(['path'])}'`);
      // Only the image the panel shows: the page never names a file of its own choosing.
      return typeof o.path === 'string' && o.path === ctx.currentPath ? accept({ type: 'imageFailed', path: o.path }) : refuse('not the image shown');
    case 'displayCrop': {
      if (extra(['path', 'region'])) return refuse(`unexpected field '${extra(['path', 'region'])}'`);
      if (typeof o.path !== 'string' || o.path !== ctx.currentPath) return refuse('not the image shown');
      const region = checkRegion(o.region);
      return typeof region === 'string' ? refuse(region) : accept({ type: 'displayCrop', path: o.path, region });
    }
    case 'refineEdit':
    case 'refineBox':
    case 'refineAction':
    case 'refinePrompt':
    case 'refineCandidate':
      return ctx.refine ? checkRefine(o, ctx.refine) : refuse('not a refine editor, or its mask is not known yet');
    default:
      return refuse(`unknown message type ${JSON.stringify(String(o.type)).slice(0, 40)}`);
  }
}

/** A crop region: exactly {left, top, width, height}, whole numbers, sides 1..DISPLAY_CROP_MAX_SIDE (the daemon checks it lies inside the image). */
function checkRegion(r: unknown): Region | string {
  if (r === null || typeof r !== 'object' || Array.isArray(r)) return 'region must be an object';
  const o = ownFields(r);
  const extra = keys(o, ['left', 'top', 'width', 'height']);
  if (extra) return `unexpected region field '${extra}'`;
  const whole = (v: unknown, min: number, max: number) => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
  if (!whole(o.left, 0, 1e6) || !whole(o.top, 0, 1e6)) return 'region left/top must be whole numbers from 0';
  if (!whole(o.width, 1, DISPLAY_CROP_MAX_SIDE) || !whole(o.height, 1, DISPLAY_CROP_MAX_SIDE)) return `region width/height must be whole numbers from 1 to ${DISPLAY_CROP_MAX_SIDE}`;
  return { left: o.left as number, top: o.top as number, width: o.width as number, height: o.height as number };
}
