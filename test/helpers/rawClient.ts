// A JSON-RPC client on a raw Unix socket, for the tests that must write bytes no well-behaved
// client would (malformed frames, lying Content-Length) or see every frame the daemon sends
// (to count answers exactly: none lost, none twice, in order).
import * as net from 'node:net';

export interface Frame {
  jsonrpc?: string;
  id?: number | string | null;
  method?: string;
  params?: unknown;
  result?: unknown;
  error?: { code: number; message: string };
}

/** `Content-Length` framing of a message (an object is JSON-encoded; a string is sent as is). */
export function frame(body: object | string): Buffer {
  const data = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body), 'utf8');
  return Buffer.concat([Buffer.from(`Content-Length: ${data.length}\r\n\r\n`, 'ascii'), data]);
}

export class RawClient {
  /** Every frame received, in arrival order. */
  readonly frames: Frame[] = [];
  readonly closed: Promise<void>;
  isClosed = false;
  private buf = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  private nextId = 1;

  private constructor(readonly socket: net.Socket) {
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.isClosed = true;
        this.wake();
        resolve();
      }),
    );
    socket.on('error', () => undefined);
    socket.on('data', (d) => this.onData(d));
  }

  static connect(socketPath: string): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect(socketPath);
      s.once('error', reject);
      s.once('connect', () => {
        s.off('error', reject);
        resolve(new RawClient(s));
      });
    });
  }

  /** Connects and completes `initialize`. */
  static async initialized(socketPath: string, name: string): Promise<RawClient> {
    const c = await RawClient.connect(socketPath);
    const r = await c.call('initialize', { clientName: name, protocolVersion: 1 });
    if (r.error) throw new Error(`initialize failed: ${r.error.message}`);
    return c;
  }

  write(bytes: Buffer | string): void {
    this.socket.write(bytes);
  }

  /** Sends a request and returns its id (ids are numbers unless given). */
  request(method: string, params?: unknown, id: number | string = this.nextId++): number | string {
    const msg: Frame = { jsonrpc: '2.0', id, method };
    if (params !== undefined) msg.params = params;
    this.write(frame(msg));
    return id;
  }

  notify(method: string, params?: unknown): void {
    this.write(frame({ jsonrpc: '2.0', method, params }));
  }

  /** Sends a request and waits for its response frame. */
  async call(method: string, params?: unknown, timeoutMs = 30_000): Promise<Frame> {
    const id = this.request(method, params);
    return this.response(id, timeoutMs);
  }

  responses(): Frame[] {
    return this.frames.filter((f) => f.id !== undefined && f.method === undefined);
  }

  response(id: number | string, timeoutMs = 30_000): Promise<Frame> {
    return this.until(() => this.responses().find((f) => f.id === id), timeoutMs, `the response to request ${id}`);
  }

  /** Resolves with the first truthy value of `probe`, checked on every frame; rejects on timeout or close. */
  until<T>(probe: () => T | undefined | false, timeoutMs: number, what: string): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const v = probe();
        if (v) {
          done();
          resolve(v);
          return true;
        }
        if (this.isClosed) {
          done();
          reject(new Error(`connection closed while waiting for ${what}`));
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== waiter);
      };
      const waiter = () => void check();
      if (!check()) this.waiters.push(waiter);
    });
  }

  /** Resolves true if the daemon closes the connection within `timeoutMs`. */
  async closedWithin(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const r = await Promise.race([this.closed.then(() => true), new Promise<boolean>((res) => (timer = setTimeout(() => res(false), timeoutMs)))]);
    clearTimeout(timer);
    return r;
  }

  destroy(): void {
    this.socket.destroy();
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }

  private onData(d: Buffer): void {
    this.buf = Buffer.concat([this.buf, d]);
    for (;;) {
      const end = this.buf.indexOf('\r\n\r\n');
      if (end < 0) break;
      const m = /Content-Length:\s*(\d+)/i.exec(this.buf.subarray(0, end).toString('ascii'));
      if (!m) throw new Error(`bad frame header from the daemon: ${this.buf.subarray(0, end).toString()}`);
      const len = Number(m[1]);
      if (this.buf.length < end + 4 + len) break;
      const body = this.buf.subarray(end + 4, end + 4 + len).toString('utf8');
      this.buf = this.buf.subarray(end + 4 + len);
      this.frames.push(JSON.parse(body) as Frame);
    }
    this.wake();
  }
}
