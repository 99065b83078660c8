// Text from files (names, and the daemon's messages, which quote paths) as the CLI prints it:
// control characters escaped, so a file named with an escape sequence cannot retitle, recolour
// or clear the terminal, and a name with a newline or a bidirectional override cannot fake
// another line or reorder this one. Escaped as `\xHH` / `\uHHHH`, which a terminal shows as text.

/** C0 controls and DEL, C1 controls, the line/paragraph separators and the bidirectional controls. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const escape = (c: string) => {
  const n = c.charCodeAt(0);
  return n < 0x100 ? `\\x${n.toString(16).padStart(2, '0')}` : `\\u${n.toString(16).padStart(4, '0')}`;
};

/** `s` with every control character escaped (a backslash itself stays as it is). */
export const shown = (s: string): string => s.replace(CONTROL, escape);
