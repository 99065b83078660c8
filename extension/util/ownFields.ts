// A message from a webview, reduced to its own fields: a null-prototype copy, so a field the page
// did not send reads as undefined, never as something every object inherits (`toString`,
// `constructor`, `__proto__`). The message checkers read messages only through it.

/** The own enumerable fields of `m` (an object the caller has checked is one). */
export function ownFields(m: object): Record<string, unknown> {
  return Object.assign(Object.create(null) as Record<string, unknown>, m);
}
