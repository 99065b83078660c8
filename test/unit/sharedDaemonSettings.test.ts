// Issue #13, item 7: a workspace's settings (which an untrusted folder's .vscode/settings.json
// can carry) must not set the flags of the shared daemon that the user's other windows use.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { fakeSettings, fakeWorkspaceSettings, installFakeVscode } from '../helpers/fakeVscodeModule';

installFakeVscode();
const { readConfig } = require('../../extension/config') as typeof import('../../extension/config');
const { sharedDaemonArgv } = require('../../extension/daemon/daemonLauncher') as typeof import('../../extension/daemon/daemonLauncher');

after(() => {
  fakeSettings.clear();
  fakeWorkspaceSettings.clear();
});

/** The shared daemon's command line, built from the settings as the supervisor does. */
function sharedArgv(): string[] {
  const { idleExitSeconds, ...flags } = readConfig().daemonSettings(true);
  return sharedDaemonArgv({ socketPath: '/run/s.sock', cacheDir: '/c', idleExitSeconds, ...flags });
}
const flag = (argv: string[], name: string) => argv[argv.indexOf(name) + 1];

test("workspace values of warm-up iterations and idle exit do not reach the shared daemon's flags; the user's do", () => {
  fakeWorkspaceSettings.set('seglens.warmup.iterations', 50);
  fakeWorkspaceSettings.set('seglens.daemon.idleExitMinutes', 0.05);
  let argv = sharedArgv();
  assert.equal(flag(argv, '--warmup-iterations'), '1', argv.join(' ')); // package.json's default
  assert.equal(flag(argv, '--idle-exit-seconds'), '600', argv.join(' '));

  fakeSettings.set('seglens.warmup.iterations', 3);
  fakeSettings.set('seglens.daemon.idleExitMinutes', 2);
  argv = sharedArgv();
  assert.equal(flag(argv, '--warmup-iterations'), '3', argv.join(' '));
  assert.equal(flag(argv, '--idle-exit-seconds'), '120', argv.join(' '));

  // A window's own daemon serves that window only: it follows the workspace.
  const own = readConfig().daemonSettings(false);
  assert.equal(own.warmupIterations, 50);
  assert.equal(own.idleExitSeconds, 3);
});
