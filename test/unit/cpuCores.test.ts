// Intra-op thread default (daemon/engine/cpuCores.ts): physical cores from /proc/cpuinfo, SMT siblings
// counted once, several packages kept apart; no core ids → undefined (the caller uses logical CPUs);
// macOS and Windows asked through their own tools (a command runner is injected).
import assert from 'node:assert/strict';
import * as os from 'node:os';
import { test } from 'node:test';
import { defaultIntraOpThreads, physicalCores, physicalCoresFromCpuinfo } from '../../daemon/engine/cpuCores';

const cpu = (processor: number, pkg: number, core: number) =>
  `processor\t: ${processor}\nvendor_id\t: GenuineIntel\nphysical id\t: ${pkg}\nsiblings\t: 4\ncore id\t\t: ${core}\ncpu cores\t: 2\nflags\t\t: fpu sse avx2\n`;

test('SMT siblings share a core; two packages with the same core ids are distinct cores', () => {
  const smt = [cpu(0, 0, 0), cpu(1, 0, 1), cpu(2, 0, 0), cpu(3, 0, 1)].join('\n');
  assert.equal(physicalCoresFromCpuinfo(smt), 2);
  const twoSockets = [cpu(0, 0, 0), cpu(1, 0, 1), cpu(2, 1, 0), cpu(3, 1, 1)].join('\n');
  assert.equal(physicalCoresFromCpuinfo(twoSockets), 4);
});

test('a cpuinfo without core ids (typical of ARM) says nothing', () => {
  const arm = 'processor\t: 0\nBogoMIPS\t: 50.00\nFeatures\t: fp asimd\n\nprocessor\t: 1\nBogoMIPS\t: 50.00\nFeatures\t: fp asimd\n';
  assert.equal(physicalCoresFromCpuinfo(arm), undefined);
});

test('the default is between 1 and the logical CPUs this process may use', () => {
  const n = defaultIntraOpThreads();
  assert.ok(Number.isInteger(n) && n >= 1 && n <= os.availableParallelism(), String(n));
});

test('macOS and Windows: the physical cores their tools report; a failed or odd answer says nothing', () => {
  const calls: string[] = [];
  const run = (answer: string | undefined) => (file: string, args: string[]) => {
    calls.push([file, ...args].join(' '));
    return answer;
  };
  assert.equal(physicalCores('darwin', run('10\n')), 10);
  assert.match(calls.at(-1)!, /^sysctl -n hw\.physicalcpu$/);
  assert.equal(physicalCores('win32', run('8\r\n')), 8);
  assert.match(calls.at(-1)!, /^powershell\.exe .*NumberOfCores/);
  assert.equal(physicalCores('win32', run(undefined)), undefined, 'no PowerShell (wine)');
  assert.equal(physicalCores('darwin', run('0')), undefined);
  assert.equal(physicalCores('win32', run('')), undefined);
  assert.equal(physicalCores('freebsd', run('4')), undefined);
  const smt = [cpu(0, 0, 0), cpu(1, 0, 0)].join('\n');
  assert.equal(physicalCores('linux', run(undefined), () => smt), 1);
});
