import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CancellationTokenSource } from 'vscode-jsonrpc/node';
import { SegLensError } from '../../daemon/api/errors';
import { JobQueue, Promotion } from '../../daemon/registry/jobQueue';

const deferred = () => {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
};

test('jobs run one at a time, in order', async () => {
  const q = new JobQueue(10);
  const order: string[] = [];
  const gate = deferred();
  const a = q.run(async () => {
    order.push('a start');
    await gate.promise;
    order.push('a end');
  });
  const b = q.run(async () => {
    order.push('b');
  });
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(order, ['a start']);
  gate.resolve();
  await Promise.all([a, b]);
  assert.deepEqual(order, ['a start', 'a end', 'b']);
});

test('past the bound, limited jobs are refused with 1005; unlimited ones still queue', async () => {
  const q = new JobQueue(2);
  const gate = deferred();
  const running = q.run(() => gate.promise, { limited: true });
  const w1 = q.run(async () => 1, { limited: true });
  const w2 = q.run(async () => 2, { limited: true });
  await assert.rejects(
    q.run(async () => 3, { limited: true }),
    (e: unknown) => e instanceof SegLensError && e.code === 1005,
  );
  const warm = q.run(async () => 'warm');
  gate.resolve();
  await running;
  assert.equal((await w1).value, 1);
  assert.equal((await w2).value, 2);
  assert.equal((await warm).value, 'warm');
});

test('a waiting job can be cancelled (-32800); the running one is not disturbed', async () => {
  const q = new JobQueue(5);
  const gate = deferred();
  let ran = false;
  const running = q.run(() => gate.promise, { limited: true });
  const cts = new CancellationTokenSource();
  const waiting = q.run(async () => (ran = true), { limited: true, token: cts.token });
  cts.cancel();
  await assert.rejects(waiting, (e: unknown) => e instanceof SegLensError && e.code === -32800);
  assert.equal(q.waitingCount, 0);
  gate.resolve();
  await running;
  assert.equal(ran, false);
});

test('admit: tickets count against the bound before their job enters the line (issue #13)', async () => {
  const q = new JobQueue(2);
  // Idle: one more than the bound, since the first will run rather than wait.
  const tickets = [q.admit(), q.admit(), q.admit()];
  assert.throws(() => q.admit(), (e: unknown) => e instanceof SegLensError && e.code === 1005);
  assert.equal(q.waitingCount, 3);
  tickets[2].release();
  tickets[2].release(); // idempotent
  assert.equal(q.waitingCount, 2);
  const gate = deferred();
  const first = q.run(() => gate.promise, { limited: true, ticket: tickets[0] }); // runs: its place is given back
  assert.equal(q.waitingCount, 1);
  const second = q.run(async () => undefined, { limited: true, ticket: tickets[1] }); // waits in the place it held
  assert.equal(q.waitingCount, 1);
  const third = q.admit(); // the bound (2) now counts one waiting job and this ticket
  assert.throws(() => q.admit(), (e: unknown) => e instanceof SegLensError && e.code === 1005);
  third.release();
  gate.resolve();
  await Promise.all([first, second]);
  assert.equal(q.waitingCount, 0);
});

test('a job that releases the line lets the next one start before it ends', async () => {
  const q = new JobQueue(10);
  const order: string[] = [];
  const gate = deferred();
  const a = q.run(async (release) => {
    order.push('a inferred');
    release();
    release(); // twice is once
    await gate.promise;
    order.push('a answered');
  });
  const b = q.run(async () => {
    order.push('b');
  });
  const c = q.run(async () => {
    order.push('c');
  });
  await Promise.all([b, c]); // while a still waits for its gate
  assert.deepEqual(order, ['a inferred', 'b', 'c']);
  gate.resolve();
  await a;
  assert.deepEqual(order, ['a inferred', 'b', 'c', 'a answered']);
});

test('a promoted batch job goes before the batch jobs ahead of it, and the job its waiter queues next follows it', async () => {
  const q = new JobQueue(10);
  const order: string[] = [];
  const gate = deferred();
  const running = q.run(async () => {
    await gate.promise;
    order.push('running');
  });
  const batch = (name: string, promotion?: Promotion) => q.run(async () => void order.push(name), { priority: 'batch', promotion });
  const promotion = new Promotion();
  const others = [batch('b1'), batch('b2')];
  // The waiter of b3 queues its own interactive job (a decoder) as soon as b3's result is in.
  const b3 = batch('b3', promotion).then(() => q.run(async () => void order.push('follow-up')));
  assert.deepEqual(q.waitingByPriority(), { interactive: 0, batch: 3 });
  promotion.promote();
  assert.deepEqual(q.waitingByPriority(), { interactive: 1, batch: 2 });
  gate.resolve();
  await Promise.all([running, ...others, b3]);
  assert.deepEqual(order, ['running', 'b3', 'follow-up', 'b1', 'b2']);
});

test('a promotion made before the job waits applies when it does', async () => {
  const q = new JobQueue(10);
  const order: string[] = [];
  const gate = deferred();
  const running = q.run(() => gate.promise);
  const b1 = q.run(async () => void order.push('b1'), { priority: 'batch' });
  const promotion = new Promotion();
  promotion.promote();
  const b2 = q.run(async () => void order.push('b2'), { priority: 'batch', promotion });
  gate.resolve();
  await Promise.all([running, b1, b2]);
  assert.deepEqual(order, ['b2', 'b1']);
});
