// What a written VSIX really holds: every file with a native header (binaryHeader.mjs), read
// from the zip itself, checked against the target, and printed as one table for all targets.
import * as fs from 'node:fs';
import { zipEntries } from './archives.mjs';
import { readBinaryHeader } from './binaryHeader.mjs';
import { targetInfo } from './targets.mjs';

// Enough of a file for its headers (a Mach-O's load commands included).
const HEAD_BYTES = 64 * 1024;

/** `{ target, file, bytes, natives: [{ name, size, format, platform, arch }] }`; throws if a native file is for another target. */
export function inspectVsix(file, target) {
  const natives = [];
  for (const e of zipEntries(fs.readFileSync(file))) {
    if (e.name.endsWith('/') || e.size < 64) continue;
    const header = readBinaryHeader(e.readHead(HEAD_BYTES));
    if (header) natives.push({ name: e.name.replace(/^extension\/(node_modules\/)?/, ''), size: e.size, format: header.format, platform: header.platform, arch: header.arch });
  }
  const { platform, arch } = targetInfo(target);
  const foreign = natives.filter((n) => n.platform !== platform || n.arch !== arch);
  if (foreign.length > 0) throw new Error(`${file} (${target}) holds native files for another target: ${foreign.map((n) => `${n.name} (${n.format} ${n.arch})`).join(', ')}`);
  if (natives.length === 0) throw new Error(`${file} (${target}) holds no native file at all`);
  return { target, file, bytes: fs.statSync(file).size, natives };
}

const mb = (n) => `${(n / 1024 / 1024).toFixed(1)} MB`;

/** A Markdown table of the built VSIXs and their native files, then the refused targets with their reasons. */
export function reportTable(built, refused = []) {
  const rows = [['target', 'VSIX', 'native file', 'size', 'header']];
  for (const b of built) {
    b.natives.forEach((n, i) => rows.push([i === 0 ? b.target : '', i === 0 ? mb(b.bytes) : '', n.name, mb(n.size), `${n.format} ${n.arch}`]));
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const line = (r) => `| ${r.map((v, c) => v.padEnd(widths[c])).join(' | ')} |`;
  const out = [line(rows[0]), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.slice(1).map(line)];
  for (const r of refused) out.push(`refused: ${r.target}: ${r.reason}`);
  return out.join('\n');
}
