// Types of importCycles.mjs for the unit test that runs it.
/** Why importing `spec` from `file` (an absolute path) closes a cycle, or undefined. */
export function cycleThrough(file: string, spec: string): string | undefined;
