// A small YAML reader for the manifests in docs/ (no YAML package is a dependency): block
// mappings and sequences by indentation, `- key: value` items, folded scalars (`>-`, `>`, `|`),
// flow mappings and sequences (`{ a: b }`, `["x", "y"]`), comments, booleans, integers, quoted
// and plain strings. Anything else (anchors, tags, multi-document files) is an error.
export type Yaml = string | number | boolean | null | Yaml[] | { [k: string]: Yaml };

interface Line {
  indent: number;
  text: string;
}

/** A line without its comment: a '#' at the start or after a space, outside quotes. */
function stripComment(s: string): string {
  let quote = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (quote) quote = c === quote ? '' : quote;
    else if (c === '"' || c === "'") quote = c;
    else if (c === '#' && (i === 0 || s[i - 1] === ' ')) return s.slice(0, i).trimEnd();
  }
  return s.trimEnd();
}

function scalar(s: string): Yaml {
  if (/^(true|false)$/.test(s)) return s === 'true';
  if (/^-?\d+$/.test(s)) return Number(s);
  if (s === '' || s === '~' || s === 'null') return null;
  if (/^".*"$/.test(s)) return JSON.parse(s) as string;
  if (/^'.*'$/.test(s)) return s.slice(1, -1).replace(/''/g, "'");
  if (/^[&*!|>]/.test(s)) throw new Error(`miniYaml: unsupported '${s}'`);
  return s;
}

/** A flow value (`{...}`, `[...]` or a scalar) from `s` at `at.i`. */
function flow(s: string, at: { i: number }, stop: string): Yaml {
  const skip = () => {
    while (s[at.i] === ' ') at.i++;
  };
  skip();
  const open = s[at.i];
  if (open === '{' || open === '[') {
    at.i++;
    const map: { [k: string]: Yaml } = {};
    const list: Yaml[] = [];
    for (skip(); s[at.i] !== (open === '{' ? '}' : ']'); skip()) {
      if (open === '{') {
        const colon = s.indexOf(':', at.i);
        const key = s.slice(at.i, colon).trim();
        at.i = colon + 1;
        map[key] = flow(s, at, ',}');
      } else list.push(flow(s, at, ',]'));
      skip();
      if (s[at.i] === ',') at.i++;
      else if (at.i >= s.length) throw new Error(`miniYaml: unclosed '${open}' in ${s}`);
    }
    at.i++;
    return open === '{' ? map : list;
  }
  const start = at.i;
  let quote = '';
  while (at.i < s.length && (quote || !stop.includes(s[at.i]))) {
    const c = s[at.i++];
    if (quote) quote = c === quote ? '' : quote;
    else if (c === '"' || c === "'") quote = c;
  }
  return scalar(s.slice(start, at.i).trim());
}

const value = (s: string): Yaml => flow(s, { i: 0 }, '');

class Reader {
  i = 0;
  constructor(readonly lines: Line[]) {}

  /** The block starting at line `i` with indentation `indent`. */
  block(indent: number): Yaml {
    return this.lines[this.i].text.startsWith('- ') || this.lines[this.i].text === '-' ? this.sequence(indent) : this.mapping(indent);
  }

  sequence(indent: number): Yaml[] {
    const out: Yaml[] = [];
    while (this.i < this.lines.length && this.lines[this.i].indent === indent && this.lines[this.i].text.startsWith('-')) {
      const rest = this.lines[this.i].text.slice(1).trimStart();
      const inner = indent + this.lines[this.i].text.length - rest.length;
      if (/^[>|]-?$/.test(rest)) {
        this.i++;
        out.push(this.textBlock(indent, rest[0] === '>' ? ' ' : '\n'));
      } else if (/^[^"'{[][^:]*:( |$)/.test(rest)) {
        this.lines[this.i] = { indent: inner, text: rest }; // `- key: value` opens a mapping at the item's indentation
        out.push(this.mapping(inner));
      } else {
        this.i++;
        out.push(value(rest));
      }
    }
    return out;
  }

  mapping(indent: number): { [k: string]: Yaml } {
    const out: { [k: string]: Yaml } = {};
    while (this.i < this.lines.length && this.lines[this.i].indent === indent) {
      const { text } = this.lines[this.i];
      const m = /^([^"'{[][^:]*):(?: +(.*))?$/.exec(text);
      if (!m) throw new Error(`miniYaml: not a mapping entry: ${text}`);
      const [, key, rest = ''] = m;
      this.i++;
      if (/^[>|]-?$/.test(rest)) out[key] = this.textBlock(indent, rest[0] === '>' ? ' ' : '\n');
      else if (rest !== '') out[key] = value(rest);
      else if (this.i < this.lines.length && this.lines[this.i].indent > indent) out[key] = this.block(this.lines[this.i].indent);
      else if (this.i < this.lines.length && this.lines[this.i].indent === indent && this.lines[this.i].text.startsWith('- ')) out[key] = this.sequence(indent);
      else out[key] = null;
    }
    if (this.i < this.lines.length && this.lines[this.i].indent > indent) throw new Error(`miniYaml: bad indentation at: ${this.lines[this.i].text}`);
    return out;
  }

  /** The lines of a `>`/`|` scalar: those indented more than its key, joined. */
  textBlock(indent: number, join: string): string {
    const parts: string[] = [];
    while (this.i < this.lines.length && this.lines[this.i].indent > indent) parts.push(this.lines[this.i++].text);
    return parts.join(join);
  }
}

export function parseYaml(text: string): Yaml {
  const lines = text
    .split('\n')
    .map((raw) => ({ indent: raw.length - raw.trimStart().length, text: stripComment(raw.trim()) }))
    .filter((l) => l.text !== '');
  if (lines.some((l) => l.text === '---')) throw new Error('miniYaml: one document only');
  const r = new Reader(lines);
  const doc = r.block(lines[0]?.indent ?? 0);
  if (r.i !== lines.length) throw new Error(`miniYaml: unparsed from: ${lines[r.i].text}`);
  return doc;
}
