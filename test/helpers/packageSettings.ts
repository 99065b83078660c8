// package.json's settings as the one-source contracts say they are: the `seglens.customModels`
// items from the TypeBox schema (daemon/api/modeSchema.ts), the execution providers and the
// mode-id pattern from daemon/api/constants.ts, the built-in mode ids from the catalogue. `npm run gen:schema` writes this into
// package.json (test/tools/genSchema.ts); test/unit/packageSchema.test.ts fails when they drift.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CPU_PRECISIONS, DEFAULT_CPU_PRECISION, MODE_ID_PATTERN, PROVIDER_CHOICES } from '../../daemon/api/constants';
import { UserModeSchema, plainJsonSchema } from '../../daemon/api/modeSchema';
import { builtinModes } from '../../daemon/models/catalogue';
import { repoRoot } from './repo';

type Setting = Record<string, unknown> & { anyOf?: Record<string, unknown>[] };
/** The part of package.json this file reads and writes; the rest is carried as it is. */
export interface PackageJson {
  contributes: { configuration: { properties: Record<string, Setting> } };
}

export const packageJsonPath = () => path.join(repoRoot, 'package.json');

export function readPackageJson(): PackageJson {
  return JSON.parse(fs.readFileSync(packageJsonPath(), 'utf8')) as PackageJson;
}

/** A copy of package.json with the generated parts of `contributes.configuration` put in. */
export function withGeneratedSettings(pkg: PackageJson): PackageJson {
  const out = structuredClone(pkg);
  const props = out.contributes.configuration.properties;
  props['seglens.customModels'].items = plainJsonSchema(UserModeSchema);
  props['seglens.executionProvider'].enum = [...PROVIDER_CHOICES];
  props['seglens.cpuPrecision'].enum = [...CPU_PRECISIONS];
  props['seglens.cpuPrecision'].default = DEFAULT_CPU_PRECISION;
  const builtin = props['seglens.mode'].anyOf?.find((s) => s.enum !== undefined);
  const custom = props['seglens.mode'].anyOf?.find((s) => s.pattern !== undefined);
  if (!builtin || !custom) throw new Error('package.json: seglens.mode needs an anyOf entry with the built-in ids (enum) and one with a pattern (user mode ids)');
  builtin.enum = builtinModes('').map((m) => m.id);
  custom.pattern = MODE_ID_PATTERN;
  return out;
}

/** package.json as written: two-space JSON and a final newline, as npm writes it. */
export const formatPackageJson = (pkg: PackageJson) => `${JSON.stringify(pkg, null, 2)}\n`;
