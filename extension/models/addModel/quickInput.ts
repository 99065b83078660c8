// The two kinds of step of the Add Model… dialogue: a quick pick and an input box, both
// numbered out of STEPS, both kept open when focus moves (to read the log or the file beside).
import * as vscode from 'vscode';

export const STEPS = 7;

export type Item<T> = vscode.QuickPickItem & { value?: T };

/**
 * Shows `input` until Enter gives a value (`accept` answers undefined to keep the step open)
 * or it is hidden (Escape: undefined); disposes it either way.
 */
function run<T>(input: vscode.QuickInput & { onDidAccept: vscode.Event<void> }, accept: () => T | undefined): Promise<T | undefined> {
  return new Promise((resolve) => {
    let done = false;
    input.onDidAccept(() => {
      const v = accept();
      if (v === undefined) return;
      done = true;
      resolve(v);
      input.hide();
    });
    input.onDidHide(() => {
      if (!done) resolve(undefined);
      input.dispose();
    });
    input.show();
  });
}

/** One quick pick step; rows without a value are information and do not end the step. */
export function pickStep<T>(title: string, step: number, placeholder: string, items: Item<T>[], active?: (v: T) => boolean): Promise<T | undefined> {
  const pick = vscode.window.createQuickPick<Item<T>>();
  pick.title = title;
  pick.step = step;
  pick.totalSteps = STEPS;
  pick.placeholder = placeholder;
  pick.items = items;
  pick.ignoreFocusOut = true; // reading the log or the file beside must not cancel the dialogue
  pick.matchOnDescription = true;
  const first = items.find((i) => i.value !== undefined && (active ? active(i.value) : true));
  if (first) pick.activeItems = [first];
  return run(pick, () => pick.activeItems[0]?.value);
}

interface InputOptions {
  value: string;
  prompt: string;
  placeholder?: string;
  validate: (v: string) => string | undefined;
}

/** One input box step, with the value checked as it is typed. */
export function inputStep(title: string, step: number, o: InputOptions): Promise<string | undefined> {
  const box = vscode.window.createInputBox();
  box.title = title;
  box.step = step;
  box.totalSteps = STEPS;
  box.value = o.value;
  box.prompt = o.prompt;
  box.placeholder = o.placeholder;
  box.ignoreFocusOut = true;
  box.validationMessage = o.validate(o.value);
  box.onDidChangeValue((v) => (box.validationMessage = o.validate(v.trim())));
  return run(box, () => {
    const v = box.value.trim();
    box.validationMessage = o.validate(v);
    return box.validationMessage ? undefined : v;
  });
}
