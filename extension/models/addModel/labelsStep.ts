// Step 5 of Add Model… (semantic models only): the class names, in output-channel order: a
// preset (ADE20K, Cityscapes…), generic names (class 0, class 1…) or names the user types.
import type { LabelPresetName } from '../../../daemon/api/protocol';
import { PRESET_NAMES, PRESETS } from '../../../daemon/api/presets';
import { LabelChoice, parseLabelList } from '../modeDefinitions';
import { inputStep, Item, pickStep } from './quickInput';
import type { Dialogue } from './steps';

type L = { kind: 'preset'; preset: LabelPresetName } | { kind: 'generic' } | { kind: 'custom' };

/** The kind of names the daemon suggests: its preset, the names it read, or generic ones. */
function suggestedKind(s: Dialogue['s']): L {
  if (typeof s.labels === 'string') return { kind: 'preset', preset: s.labels };
  return Array.isArray(s.labels) && !s.labels.every((l, i) => l === `class ${i}`) ? { kind: 'custom' } : { kind: 'generic' };
}

/** 5. Class names; undefined when cancelled. */
export async function askLabels(dlg: Dialogue): Promise<LabelChoice | undefined> {
  const { channels } = dlg;
  const suggested = suggestedKind(dlg.s);
  const isSuggested = (l: L) => l.kind === suggested.kind && (l.kind !== 'preset' || (suggested.kind === 'preset' && l.preset === suggested.preset));
  const presetItems: Item<L>[] = PRESET_NAMES.map((p) => {
    const n = PRESETS[p].labels.length;
    const fitNote = channels === undefined ? `${n} classes` : channels === n ? `${n} classes, as the model` : `${n} classes, the model has ${channels}`;
    return { label: PRESETS[p].title, description: [p, fitNote, isSuggested({ kind: 'preset', preset: p }) ? 'suggested' : ''].filter(Boolean).join(' · '), value: { kind: 'preset', preset: p } };
  });
  const choice = await pickStep<L>(
    dlg.title,
    5,
    'Class names, in output-channel order',
    [
      ...presetItems,
      { label: 'Generic names', description: `class 0, class 1, …${isSuggested({ kind: 'generic' }) ? ' · suggested' : ''}`, value: { kind: 'generic' } },
      { label: 'Type the names…', description: `comma-separated${isSuggested({ kind: 'custom' }) ? ' · suggested' : ''}`, value: { kind: 'custom' } },
    ],
    isSuggested,
  );
  if (!choice) return undefined;
  if (choice.kind === 'preset') return choice;
  return choice.kind === 'generic' ? askClassCount(dlg) : askClassNames(dlg, suggested.kind === 'custom');
}

async function askClassCount(dlg: Dialogue): Promise<LabelChoice | undefined> {
  const { s, channels } = dlg;
  const n = await inputStep(dlg.title, 5, {
    value: String(channels ?? (Array.isArray(s.labels) ? s.labels.length : 2)),
    prompt: 'How many classes?',
    validate: (v) => {
      const k = Number(v);
      if (!/^\d+$/.test(v) || k < 1 || k > 256) return 'A whole number from 1 to 256.';
      return channels !== undefined && k !== channels ? `The model has ${channels} output classes.` : undefined;
    },
  });
  return n === undefined ? undefined : { kind: 'generic', count: Number(n) };
}

async function askClassNames(dlg: Dialogue, prefill: boolean): Promise<LabelChoice | undefined> {
  const { s, channels } = dlg;
  const text = await inputStep(dlg.title, 5, {
    value: Array.isArray(s.labels) && prefill ? s.labels.join(', ') : '',
    prompt: `Class names separated by commas, in output-channel order${channels !== undefined ? ` (${channels})` : ''}`,
    placeholder: 'background, person, car',
    validate: (v) => {
      const r = parseLabelList(v, channels);
      return Array.isArray(r) ? undefined : r.error;
    },
  });
  return text === undefined ? undefined : { kind: 'custom', names: parseLabelList(text) as string[] };
}
