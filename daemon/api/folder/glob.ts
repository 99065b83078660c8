// The globs of `seglens.folder.include/exclude` (and the CLI's --include/--exclude), matched in
// time linear in the name's length. They used to compile to backtracking regular expressions:
// `**a*a*a*a*a*a*b` took 291 ms on a 40-character name and grew about as n^7, on the extension
// host's thread. Here a glob compiles to a small automaton (Thompson's construction) that is
// run on the set of its states (no backtracking): each character of the name visits each state
// at most once, so a match costs at most (name length + 1) x (states) steps.
//
// Syntax, over a '/'-separated relative path: `**/` any folders (none included), `**` anything,
// `*` anything within one name, `?` one character other than '/', `{a,b}` alternatives (may
// nest); every other character stands for itself. A glob without '/' matches the name at any
// depth (as if it began with `**/`). A '{' without its '}' (or the reverse) is a GlobError that
// names the pattern.

/** A glob that cannot be compiled; `message` names it and says why. */
export class GlobError extends Error {
  constructor(
    readonly pattern: string,
    reason: string,
  ) {
    super(`the glob '${pattern}' ${reason}`);
  }
}

type Node = { k: 'char'; c: string } | { k: 'one' } | { k: 'star' } | { k: 'any' } | { k: 'dirs' } | { k: 'alt'; options: Node[][] };

/** The parse of a glob: a sequence of nodes, alternatives nested. */
function parse(glob: string): Node[] {
  let i = 0;
  const seq = (depth: number): Node[] => {
    const out: Node[] = [];
    while (i < glob.length) {
      const c = glob[i];
      if (c === '*' && glob[i + 1] === '*') {
        const dirs = glob[i + 2] === '/';
        out.push({ k: dirs ? 'dirs' : 'any' });
        i += dirs ? 3 : 2;
      } else if (c === '{') {
        i++;
        const options = [seq(depth + 1)];
        while (glob[i] === ',') i++, options.push(seq(depth + 1));
        if (glob[i] !== '}') throw new GlobError(glob, "has a '{' without its '}'");
        i++;
        out.push({ k: 'alt', options });
      } else if (c === '}' || (c === ',' && depth > 0)) {
        if (depth === 0) throw new GlobError(glob, "has a '}' without its '{'");
        return out;
      } else {
        out.push(c === '*' ? { k: 'star' } : c === '?' ? { k: 'one' } : { k: 'char', c });
        i++;
      }
    }
    return out;
  };
  return seq(0);
}

/** An automaton state: consumes one character that passes `test` (then `next`), or moves on without one (`eps`). */
type State = { test: (ch: string) => boolean; next: number } | { eps: number[] } | { match: true };

const anyChar = () => true;
const notSlash = (ch: string) => ch !== '/';

class Builder {
  readonly states: State[] = [{ match: true }];

  add(s: State): number {
    return this.states.push(s) - 1;
  }

  /** `test` any number of times, then `next`. */
  loop(test: (ch: string) => boolean, next: number): number {
    const at = this.add({ eps: [] });
    const step = this.add({ test, next: at });
    (this.states[at] as { eps: number[] }).eps.push(step, next);
    return at;
  }

  /** The start state of `nodes` followed by `next` (built from the end, so nothing needs patching). */
  seq(nodes: Node[], next: number): number {
    for (let k = nodes.length - 1; k >= 0; k--) next = this.node(nodes[k], next);
    return next;
  }

  node(n: Node, next: number): number {
    switch (n.k) {
      case 'char':
        return this.add({ test: (ch) => ch === n.c, next });
      case 'one':
        return this.add({ test: notSlash, next });
      case 'star':
        return this.loop(notSlash, next);
      case 'any':
        return this.loop(anyChar, next);
      case 'dirs': // nothing, or anything ending in '/'
        return this.add({ eps: [next, this.loop(anyChar, this.add({ test: (ch) => ch === '/', next }))] });
      case 'alt':
        return this.add({ eps: n.options.map((o) => this.seq(o, next)) });
    }
  }
}

/** Steps a match took (states visited, characters tested): what the tests bound, never a time. */
export interface GlobSteps {
  count: number;
}

export class Glob {
  private readonly states: State[];
  private readonly start: number;
  /** Per state, the last step it was added at: each state once per character. */
  private readonly seen: Float64Array;
  private generation = 0;

  constructor(readonly pattern: string) {
    const nodes = parse(pattern);
    const b = new Builder();
    this.start = b.seq(pattern.includes('/') ? nodes : [{ k: 'dirs' }, ...nodes], 0);
    this.states = b.states;
    this.seen = new Float64Array(this.states.length).fill(-1);
  }

  /** Adds `s` and the states it reaches without a character to `set` (`stack` is scratch space, reused). */
  private close(s: number, set: number[], stack: number[], steps: GlobSteps): void {
    stack.push(s);
    while (stack.length) {
      const t = stack.pop()!;
      if (this.seen[t] === this.generation) continue;
      this.seen[t] = this.generation;
      steps.count++;
      const st = this.states[t];
      if ('eps' in st) for (let k = st.eps.length - 1; k >= 0; k--) stack.push(st.eps[k]);
      else set.push(t);
    }
  }

  /** Whether the whole of `rel` ('/' separators) matches. */
  matches(rel: string, steps: GlobSteps = { count: 0 }): boolean {
    // Two state sets swapped at each character, and one stack: nothing allocated per character.
    let set: number[] = [];
    let next: number[] = [];
    const stack: number[] = [];
    this.generation++;
    this.close(this.start, set, stack, steps);
    for (const ch of rel) {
      if (set.length === 0) return false;
      next.length = 0;
      this.generation++;
      for (const s of set) {
        const st = this.states[s];
        steps.count++;
        if ('test' in st && st.test(ch)) this.close(st.next, next, stack, steps);
      }
      [set, next] = [next, set];
    }
    return set.includes(0);
  }
}

/** The problem with a glob (a sentence naming it), or undefined when it compiles. */
export function checkGlob(pattern: string): string | undefined {
  try {
    new Glob(pattern);
    return undefined;
  } catch (e) {
    if (e instanceof GlobError) return e.message;
    throw e;
  }
}

/** The problem with a list of globs from a setting or an option (`where` names it), or undefined. */
export function checkGlobs(where: string, globs: unknown): string | undefined {
  if (globs === undefined) return undefined;
  if (!Array.isArray(globs)) return `${where} must be a list of globs`;
  for (const g of globs) {
    if (typeof g !== 'string') return `${where}: ${JSON.stringify(g)} is not a glob (a string)`;
    const bad = checkGlob(g);
    if (bad) return `${where}: ${bad}`;
  }
  return undefined;
}
