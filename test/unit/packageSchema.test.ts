// One source per contract: the custom-model schema (daemon/api/modeSchema.ts) is what the daemon
// checks, what package.json's settings say (generated: npm run gen:schema) and what the README
// documents; providers and the mode-id pattern come from daemon/api/constants.ts.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { Value } from '@sinclair/typebox/value';
import { MODE_ID_PATTERN, PROVIDER_CHOICES } from '../../daemon/api/constants';
import { DEFINITION_FIELDS, UserModeDefinition, UserModeSchema } from '../../daemon/api/modeSchema';
import { validateDefinition } from '../../daemon/models/userModes';
import { PackageJson, readPackageJson, withGeneratedSettings } from '../helpers/packageSettings';
import { repoRoot } from '../helpers/repo';

const items = (pkg: PackageJson) => pkg.contributes.configuration.properties['seglens.customModels'].items as { properties: Record<string, unknown> };

describe('package.json settings', () => {
  test('match the schema and the constants (npm run gen:schema writes them)', () => {
    const pkg = readPackageJson();
    assert.deepEqual(pkg, withGeneratedSettings(pkg), 'package.json drifted from daemon/api/modeSchema.ts or daemon/api/constants.ts: run `npm run gen:schema`');
  });

  test('a drifted copy is caught', () => {
    const pkg = readPackageJson();
    const drifted = structuredClone(pkg);
    delete items(drifted).properties.resample;
    assert.notDeepEqual(drifted, withGeneratedSettings(drifted));
    const props = drifted.contributes.configuration.properties;
    const oldProviders = structuredClone(pkg);
    oldProviders.contributes.configuration.properties['seglens.executionProvider'].enum = ['auto', 'cpu'];
    assert.notDeepEqual(oldProviders, withGeneratedSettings(oldProviders));
    assert.ok(props['seglens.mode'].anyOf?.some((s) => s.pattern === MODE_ID_PATTERN));
  });

  test('every provider and built-in mode has its description', () => {
    const props = readPackageJson().contributes.configuration.properties;
    const p = props['seglens.executionProvider'];
    assert.deepEqual(p.enum, [...PROVIDER_CHOICES]);
    assert.equal((p.enumDescriptions as string[]).length, PROVIDER_CHOICES.length);
    const builtin = props['seglens.mode'].anyOf?.find((s) => s.enum !== undefined);
    assert.equal((builtin?.enumDescriptions as string[]).length, (builtin?.enum as string[]).length);
  });

  test('the README documents every field of a definition', () => {
    const readme = fs.readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
    const documented = new Set([...readme.matchAll(/^\| ((?:`[A-Za-z0-9]+`(?:, )?)+) \|/gm)].flatMap((m) => m[1].split(', ').map((f) => f.slice(1, -1))));
    const missing = DEFINITION_FIELDS.filter((f) => f !== 'comment' && !documented.has(f));
    assert.deepEqual(missing, [], 'fields missing from the README table "Use your own model"');
  });
});

describe('the definition schema', () => {
  const good: UserModeDefinition = {
    id: 'seg.former-ade_1',
    model: '~/models/segformer.onnx',
    inputSize: { multipleOf: 32, target: [512, 640] },
    labels: 'ade20k',
    colors: 'ade20k',
    std: [58.4, 57.1, 57.4],
    resample: 'reference',
    comment: 'exported with optimum',
  };

  test('accepts valid definitions', () => {
    for (const d of [good, { id: 'a', model: '/m.onnx' }, { id: 'b', model: '/m.onnx', inputSize: 512, colors: [[1, 2, 3], '#abc', '#A0B1C2'], labels: ['x', 'y', 'z'] }]) {
      assert.deepEqual([...Value.Errors(UserModeSchema, d)].map((e) => `${e.path} ${e.message}`), [], JSON.stringify(d));
    }
  });

  test('refuses invalid ones, at the field at fault', () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ id: 'a b' }, '/id'],
      [{ id: 'x'.repeat(65) }, '/id'],
      [{ model: ' ' }, '/model'],
      [{ label: '' }, '/label'],
      [{ resample: 'bicubic' }, '/resample'],
      [{ std: [1, 0, 1] }, '/std'],
      [{ scale: 0 }, '/scale'],
      [{ inputSize: [0, 64] }, '/inputSize'],
      [{ labels: [] }, '/labels'],
      [{ colors: [[0, 0, 256]] }, '/colors'],
      [{ warmupIterations: 51 }, '/warmupIterations'],
      [{ outputname: 'x' }, '/outputname'],
    ];
    for (const [over, where] of cases) {
      const paths = [...Value.Errors(UserModeSchema, { ...good, ...over })].map((e) => e.path);
      assert.deepEqual([...new Set(paths)], [where], JSON.stringify(over));
    }
  });

  test('the daemon names those fields in its messages, and accepts what the schema accepts', () => {
    const full = { id: 'm', model: '/m.onnx', inputName: 'x', outputName: 'y', inputSize: 8, labels: ['a', 'b', 'c'] };
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ resample: 'bicubic' }, 'resample', /^resample: "bicubic" is not one of 'smooth', 'reference'$/],
      [{ std: [1, 0, 1] }, 'std', /none of them 0; got \[1,0,1\]/],
      [{ label: '  ' }, 'label', /^label: must be a non-empty string$/],
      [{ comment: 3 }, 'comment', /^comment: must be a string$/],
      [{ inputSize: { multipleOf: 32, target: [0, 8] } }, 'inputSize', /^inputSize: inputSize\.target must be \[height, width\]/],
      [{ colors: ['#fff', 'red', '#000'] }, 'colors', /colors\[1\] = "red" is not \[r, g, b\]/],
      [{ tta: 'vflip' }, 'tta', /"vflip" is not one of 'none', 'hflip'/],
    ];
    for (const [over, field, message] of cases) {
      const { def, errors } = validateDefinition({ ...full, ...over });
      assert.equal(def, undefined);
      assert.deepEqual(errors.map((e) => e.field), [field], JSON.stringify(over));
      assert.match(errors[0].message, message);
    }
    const { def, errors } = validateDefinition({ ...full, resample: 'reference', comment: 'ok', labels: 'VOC', $schema: 'x' });
    assert.deepEqual(errors, []);
    assert.equal(def?.resample, 'reference');
    assert.equal(def?.labels.length, 21, "preset names are read case-insensitively, as before");
  });
});
