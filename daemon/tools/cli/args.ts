// `seglens` command line: parsing and usage. A usage error exits 2 with the usage printed.
import * as path from 'node:path';
import { checkGlobs } from '../../api/folder/glob';
import { checkRule } from '../../api/folder/groundTruth';
import { EXPORT_FORMATS, ExportFormat } from '../../api/exports/render';

export const USAGE = `usage:
  seglens segment <file|folder>... [--mode MODE] [--out DIR] [--format mask,color,cutout,binary,coco]
                  [--gt RULE|auto|none] [--report FILE.json|FILE.csv] [--recursive|--no-recursive]
                  [--include GLOB]... [--exclude GLOB]... [--shard K/N] [--overwrite] [--threshold T] [--models FILE]
  seglens status              what the shared daemon has loaded (like \`ollama ps\`)
  seglens metrics             the shared daemon's Prometheus metrics
  seglens unload [MODE]       unload one mode, or every mode

segment options:
  --mode MODE       fast, balanced (default), accurate, sota, text, or a user mode
  --out DIR         where outputs go (default ./seglens-out): <root>/sub/name.jpg gives DIR/sub/name.<format>.png
  --format LIST     mask (default), color, cutout, binary, coco (DIR/coco.json), comma-separated
  --gt RULE         ground truth: auto (default), none, or a template over {dir} {stem} {name} {rel} {root},
                    e.g. '{dir}/../masks/{stem}.png'
  --report FILE     write the report as JSON (.json) or CSV (.csv)
  --no-recursive    only the folders' own files (default: recursive)
  --include GLOB    only a folder's images whose relative path matches (repeatable; ** * ? {a,b})
  --exclude GLOB    leave out a folder's images whose relative path matches (repeatable)
  --shard K/N       only the images whose relative path hashes to shard K of N (1 <= K <= N <= 100000)
  --overwrite       replace existing outputs (default: refuse, per file)
  --threshold T     foreground threshold of the binary and coco exports, 0..1 (default 0.5)
  --models FILE     define user modes from a JSON file (as the daemon's --models) before running

exit codes: 0 every image succeeded; 1 some failed (the report is still written); 2 usage error; 130 interrupted`;

export class UsageError extends Error {}

export interface SegmentRunOptions {
  inputs: string[];
  mode: string;
  out: string;
  formats: ExportFormat[];
  gt: string;
  report?: string;
  recursive: boolean;
  include: string[];
  exclude: string[];
  shard?: { k: number; n: number };
  overwrite: boolean;
  threshold: number;
  models?: string;
}

export type Command = { kind: 'segment'; options: SegmentRunOptions } | { kind: 'status' } | { kind: 'metrics' } | { kind: 'unload'; mode?: string } | { kind: 'help' };

/** More shards than any batch system runs at once; it keeps N a small exact integer. */
export const MAX_SHARDS = 100_000;

function parseShard(v: string): { k: number; n: number } {
  const m = /^(\d{1,6})\/(\d{1,6})$/.exec(v);
  const k = m ? Number(m[1]) : NaN;
  const n = m ? Number(m[2]) : NaN;
  if (!m || !(k >= 1 && k <= n && n <= MAX_SHARDS)) throw new UsageError(`--shard must be K/N, integers with 1 <= K <= N <= ${MAX_SHARDS}, got '${v}'`);
  return { k, n };
}

function parseGlob(flag: string, v: string): string {
  const bad = checkGlobs(flag, [v]);
  if (bad) throw new UsageError(bad);
  return v;
}

function parseFormats(v: string): ExportFormat[] {
  const list = v.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = list.find((f) => !(EXPORT_FORMATS as readonly string[]).includes(f));
  if (bad !== undefined || list.length === 0) throw new UsageError(`--format takes ${EXPORT_FORMATS.join(',')}; got '${bad ?? v}'`);
  return [...new Set(list)] as ExportFormat[];
}

const VALUE_FLAGS = new Set(['--mode', '--out', '--format', '--gt', '--report', '--shard', '--threshold', '--models', '--include', '--exclude']);

function parseSegment(argv: string[]): SegmentRunOptions {
  const o: SegmentRunOptions = { inputs: [], mode: 'balanced', out: path.resolve('seglens-out'), formats: ['mask'], gt: 'auto', recursive: true, include: [], exclude: [], overwrite: false, threshold: 0.5 };
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i];
    let value: string | undefined;
    const eq = a.startsWith('--') ? a.indexOf('=') : -1;
    if (eq > 0) [a, value] = [a.slice(0, eq), a.slice(eq + 1)];
    if (VALUE_FLAGS.has(a) && value === undefined) {
      value = argv[++i];
      if (value === undefined) throw new UsageError(`${a} needs a value`);
    }
    if (a === '--mode') o.mode = value!;
    else if (a === '--out') o.out = path.resolve(value!);
    else if (a === '--format') o.formats = parseFormats(value!);
    else if (a === '--gt') o.gt = value!;
    else if (a === '--report') o.report = path.resolve(value!);
    else if (a === '--shard') o.shard = parseShard(value!);
    else if (a === '--include' || a === '--exclude') o[a === '--include' ? 'include' : 'exclude'].push(parseGlob(a, value!));
    else if (a === '--models') o.models = path.resolve(value!);
    else if (a === '--threshold') {
      o.threshold = Number(value);
      if (!(o.threshold >= 0 && o.threshold <= 1)) throw new UsageError(`--threshold must be a number from 0 to 1, got '${value}'`);
    } else if (a === '--recursive') o.recursive = true;
    else if (a === '--no-recursive') o.recursive = false;
    else if (a === '--overwrite') o.overwrite = true;
    else if (a.startsWith('-')) throw new UsageError(`unknown option ${a}`);
    else o.inputs.push(path.resolve(a));
  }
  if (o.inputs.length === 0) throw new UsageError('segment: give at least one image file or folder');
  if (o.report && !/\.(json|csv)$/i.test(o.report)) throw new UsageError('--report must name a .json or .csv file');
  const bad = checkRule(o.gt);
  if (bad) throw new UsageError(`--gt: ${bad}`);
  return o;
}

export function parseCommand(argv: string[]): Command {
  const [cmd, ...rest] = argv;
  if (cmd === undefined || cmd === 'help' || cmd === '--help' || cmd === '-h') return { kind: 'help' };
  if (rest.includes('--help') || rest.includes('-h')) return { kind: 'help' };
  if (cmd === 'segment') return { kind: 'segment', options: parseSegment(rest) };
  if (cmd === 'status' || cmd === 'metrics') {
    if (rest.length) throw new UsageError(`${cmd} takes no arguments`);
    return { kind: cmd };
  }
  if (cmd === 'unload') {
    if (rest.length > 1 || rest.some((a) => a.startsWith('-'))) throw new UsageError('unload takes at most one mode');
    return { kind: 'unload', mode: rest[0] };
  }
  throw new UsageError(`unknown command '${cmd}'`);
}
