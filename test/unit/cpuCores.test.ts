// Intra-op thread default (daemon/engine/cpuCores.ts): physical cores from /proc/cpuinfo, SMT siblings
// counted once, several packages kept apart; no core ids → undefined (the caller uses logical CPUs).
import assert from 'node:assert/strict';
import * as os from 'node:os';
import { test } from 'node:test';
import { defaultIntraOpThreads, physicalCoresFromCpuinfo } from '../../daemon/engine/cpuCores';

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
