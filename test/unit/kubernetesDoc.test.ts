// docs/kubernetes.md's example (issue #20): the Indexed Job's manifest parses, runs as a non-root
// user with a read-only root filesystem, and writes without --overwrite to a per-pod folder; the
// Dockerfile switches to an unprivileged user.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { Yaml, parseYaml } from '../helpers/miniYaml';
import { repoRoot } from '../helpers/repo';

const doc = fs.readFileSync(path.join(repoRoot, 'docs', 'kubernetes.md'), 'utf8');
const blocks = (lang: string) => [...doc.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1]);

type Obj = { [k: string]: Yaml };
const obj = (v: Yaml | undefined, what: string): Obj => {
  assert.ok(v !== null && typeof v === 'object' && !Array.isArray(v), `${what} is a mapping`);
  return v as Obj;
};
const list = (v: Yaml | undefined, what: string): Yaml[] => {
  assert.ok(Array.isArray(v), `${what} is a list`);
  return v;
};

test('the reader reads what the manifest uses', () => {
  assert.deepEqual(parseYaml('a: 1 # one\nb:\n  - x\n  - { c: "d", e: [1, true] }\n  - f: g\n    h: >-\n      i\n      j\nk: false\n'), {
    a: 1,
    b: ['x', { c: 'd', e: [1, true] }, { f: 'g', h: 'i j' }],
    k: false,
  });
  assert.throws(() => parseYaml('a: &x 1'), /unsupported/);
});

test('docs/kubernetes.md: the Job runs as non-root, read-only root filesystem, no --overwrite, a folder per pod', () => {
  const yaml = blocks('yaml');
  assert.equal(yaml.length, 1, 'one manifest');
  const job = obj(parseYaml(yaml[0]), 'the manifest');
  assert.equal(job.kind, 'Job');
  const pod = obj(obj(obj(job.spec, 'spec').template, 'template').spec, 'pod spec');
  const podSecurity = obj(pod.securityContext, 'pod securityContext');
  assert.equal(podSecurity.runAsNonRoot, true);
  assert.ok(typeof podSecurity.runAsUser === 'number' && podSecurity.runAsUser > 0, `runAsUser ${podSecurity.runAsUser}`);
  const containers = list(pod.containers, 'containers');
  assert.ok(containers.length > 0);
  const volumes = new Map(list(pod.volumes, 'volumes').map((v) => [obj(v, 'volume').name, obj(v, 'volume')]));
  for (const c of containers.map((v) => obj(v, 'container'))) {
    const sc = obj(c.securityContext, `${c.name} securityContext`);
    assert.equal(sc.readOnlyRootFilesystem, true);
    assert.equal(sc.runAsNonRoot, true);
    assert.equal(sc.allowPrivilegeEscalation, false);
    assert.notEqual(sc.runAsUser, 0);
    const command = [...list(c.command, 'command'), ...list(c.args, 'args')].join(' ');
    assert.doesNotMatch(command, /--overwrite/);
    const out = /--out (\S+)/.exec(command)?.[1];
    assert.ok(out && out.includes('$POD_NAME'), `--out names the pod: ${out}`);
    assert.ok(/--report \S*\$POD_NAME/.test(command), 'the report is in the pod folder too');
    const env = list(c.env, 'env').map((e) => obj(e, 'env entry'));
    assert.equal(obj(obj(env.find((e) => e.name === 'POD_NAME')?.valueFrom, 'POD_NAME').fieldRef, 'fieldRef').fieldPath, 'metadata.name');
    // The daemon's caches (under HOME) are on a writable emptyDir: the root filesystem is read-only.
    const home = env.find((e) => e.name === 'HOME')?.value as string;
    const mounts = list(c.volumeMounts, 'volumeMounts').map((m) => obj(m, 'mount'));
    const scratch = mounts.find((m) => home === m.mountPath || home?.startsWith(`${m.mountPath}/`));
    assert.ok(scratch && volumes.get(scratch.name)?.emptyDir !== undefined, `HOME ${home} is on an emptyDir`);
    assert.equal(mounts.find((m) => m.mountPath === '/data/images')?.readOnly, true, 'the images are mounted read-only');
  }
  const dockerfile = blocks('dockerfile');
  assert.equal(dockerfile.length, 1);
  assert.match(dockerfile[0], /^USER node$/m, 'the image runs as the unprivileged node user');
});
