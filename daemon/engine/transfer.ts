// Moving buffers between the daemon's main thread and the engine worker instead of copying
// them (issue #14): image bytes in, PNGs out. Only a view that covers its whole ArrayBuffer is
// moved (a slice of a shared pool, such as small Node Buffers, must stay where it is); a
// message whose buffers cannot move goes as a copy, as before.

interface Port {
  postMessage(value: unknown, transferList?: readonly ArrayBuffer[]): void;
}

/** The whole-buffer Uint8Arrays among `values` and their fields (one level deep). */
export function ownedBuffers(...values: unknown[]): ArrayBuffer[] {
  const list = new Set<ArrayBuffer>();
  const visit = (v: unknown) => {
    if (v instanceof Uint8Array && v.buffer instanceof ArrayBuffer && v.byteOffset === 0 && v.byteLength === v.buffer.byteLength && v.byteLength > 0) list.add(v.buffer);
  };
  for (const v of values) {
    visit(v);
    if (v && typeof v === 'object' && !ArrayBuffer.isView(v)) for (const f of Object.values(v)) visit(f);
  }
  return [...list];
}

/** Posts `message`, moving `buffers`; falls back to a copy if they cannot be moved. */
export function postMoving(port: Port, message: unknown, buffers: ArrayBuffer[]): void {
  if (buffers.length === 0) return port.postMessage(message);
  try {
    port.postMessage(message, buffers);
  } catch {
    port.postMessage(message);
  }
}
