// The two kinds of step of the Add Model… dialogue: a quick pick and an input box, both
// numbered out of STEPS, both kept open when focus moves (to read the log or the file beside).
import * as vscode from 'vscode';

export const STEPS = 7;

export type Item<T> = vscode.QuickPickItem & { value?: T };

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
  return new Promise((resolve) => {
    let done = false;
    pick.onDidAccept(() => {
      const v = pick.activeItems[0]?.value;
      if (v === undefined) return;
      done = true;
      resolve(v);
      pick.hide();
    });
    pick.onDidHide(() => {
      if (!done) resolve(undefined);
      pick.dispose();
    });
    pick.show();
  });
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
  return new Promise((resolve) => {
    let done = false;
    box.onDidChangeValue((v) => (box.validationMessage = o.validate(v.trim())));
    box.onDidAccept(() => {
      const v = box.value.trim();
      const problem = o.validate(v);
      box.validationMessage = problem;
      if (problem) return;
      done = true;
      resolve(v);
      box.hide();
    });
    box.onDidHide(() => {
      if (!done) resolve(undefined);
      box.dispose();
    });
    box.show();
  });
}
