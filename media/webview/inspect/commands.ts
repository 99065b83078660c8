// The keybindings' side in the page. Keys reach VS Code even from inside the webview, so the
// page binds none itself: package.json binds them (when the preview is active and no control
// here uses the key), the extension posts them as commands, and this runs them. The page tells
// the extension when focus is on a control that uses keys itself (slider, select, divider,
// the instance list).
import type { PanelCommand, ViewMode } from '../shared/messages';
import { els, persist, send, state } from '../page';
import { cycleCompareView, moveSplit, toggleCompare } from './compareView';
import { announce, cycleMatte, setThreshold } from './inspector';
import { fit, oneToOne, pan, step } from './viewport';

const VIEWS: ViewMode[] = ['overlay', 'mask', 'side'];
const PAN = 0.1;
/** , and . move the comparison divider by this share of the width. */
const SPLIT_STEP = 0.05;

export function runCommand(c: PanelCommand, applyView: () => void): void {
  const actions: Record<PanelCommand, () => void> = {
    zoomIn: () => step(1),
    zoomOut: () => step(-1),
    zoomFit: fit,
    zoom1: oneToOne,
    panLeft: () => pan(PAN, 0),
    panRight: () => pan(-PAN, 0),
    panUp: () => pan(0, PAN),
    panDown: () => pan(0, -PAN),
    cycleView: () => {
      state.view = VIEWS[(VIEWS.indexOf(state.view ?? 'overlay') + 1) % VIEWS.length];
      persist();
      applyView();
    },
    cycleMatte,
    thresholdUp: () => setThreshold((state.threshold ?? 0.5) + 0.05),
    thresholdDown: () => setThreshold((state.threshold ?? 0.5) - 0.05),
    toggleCompare,
    cycleCompareView,
    splitLeft: () => moveSplit(-SPLIT_STEP),
    splitRight: () => moveSplit(SPLIT_STEP),
    announce,
  };
  actions[c]?.();
}

/** True when the focused element uses plain keys itself (typing, arrows). */
function usesKeys(el: Element | null): boolean {
  if (!el) return false;
  return el.tagName === 'INPUT' || el.tagName === 'SELECT' || el.tagName === 'TEXTAREA' || el === els.divider || el === els.instanceList;
}

export function initFocusReport(): void {
  let last = false;
  const report = () => {
    const control = usesKeys(document.activeElement);
    if (control === last) return;
    last = control;
    send({ type: 'focus', control });
  };
  document.addEventListener('focusin', report);
  document.addEventListener('focusout', () => setTimeout(report, 0));
}
