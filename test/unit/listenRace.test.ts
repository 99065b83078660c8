// The loser of a listen race exits 3, "already running" (daemon/transport/socketServer.ts): on
// Windows a named pipe has no lock file, so the listen itself is where two daemons meet. Here a
// real EADDRINUSE from a second listen on a bound socket stands for it.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { ExitCodes } from '../../daemon/api/constants';
import { ListenError, listenFailure } from '../../daemon/transport/socketServer';

test('EADDRINUSE at listen is "already running" (exit 3); other listen errors pass unchanged', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seglens-race-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const socketPath = process.platform === 'win32' ? `\\\\.\\pipe\\seglens-race-${process.pid}` : path.join(dir, 's.sock');
  const first = net.createServer();
  await new Promise<void>((r) => first.listen(socketPath, r));
  t.after(() => first.close());
  const error = await new Promise<Error>((resolve) => net.createServer().once('error', resolve).listen(socketPath));
  assert.equal((error as NodeJS.ErrnoException).code, 'EADDRINUSE');
  const mapped = listenFailure(error, socketPath);
  assert.ok(mapped instanceof ListenError);
  assert.equal(mapped.exitCode, ExitCodes.AlreadyRunning);
  assert.match(mapped.message, /already listening/);
  const other = Object.assign(new Error('permission denied'), { code: 'EACCES' });
  assert.equal(listenFailure(other, socketPath), other);
});
