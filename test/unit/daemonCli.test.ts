// The daemon's command line: util.parseArgs reads what toArgv writes, and the messages and
// exit codes of docs/protocol.md "Starting the daemon" stay as they were.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_CPU_PRECISION, ExitCodes } from '../../daemon/api/constants';
import { DAEMON_FLAGS, DaemonOptions, toArgv } from '../../daemon/api/daemonArgs';
import { USAGE, parseArgs, readOptions } from '../../daemon/api/daemonCli';
import { CliError } from '../../daemon/api/cliError';

/** The CliError parseArgs throws, as [exit code, message]. */
function failure(argv: string[]): [number, string] {
  try {
    parseArgs(argv);
  } catch (e) {
    assert.ok(e instanceof CliError, `a CliError for ${argv.join(' ')}`);
    return [e.exitCode, e.message];
  }
  assert.fail(`${argv.join(' ')} was accepted`);
}

describe('toArgv and parseArgs', () => {
  it('round-trips every flag', () => {
    const all: Required<DaemonOptions> = {
      stdio: true,
      listen: '/tmp/s dir/daemon.sock',
      idleExitSeconds: 0,
      cacheDir: '/c',
      modelsDir: '/m',
      provider: 'coreml',
      cpuPrecision: 'fp32',
      preload: ['fast', 'my.mode'],
      logLevel: 'warn',
      maxPixels: 1,
      maxQueue: 0,
      maxImageBytes: 5,
      warmupIterations: 2,
      models: '/defs.json',
      keepAliveMinutes: 4,
      keepAliveSeconds: 9,
      maxLoadedModels: 3,
      maxRssMb: 700,
      preloadRecent: 0,
      cacheMaxMb: 0,
      cacheMaxDays: 12,
      maxClients: 3,
      frameTimeoutSeconds: 1,
      watchdogSeconds: 7,
      decodeTimeoutMs: 250,
      maxInflightMb: 9,
      embeddingCacheMb: 6,
    };
    assert.deepEqual(Object.keys(all).sort(), Object.keys(DAEMON_FLAGS).sort(), 'the test covers every flag');
    const { keepAliveMinutes: _m, ...rest } = all; // the two keep-alive flags set one value: the last wins
    assert.deepEqual(readOptions(toArgv(rest)), rest);
    const { stdio: _s, ...listening } = all;
    const { keepAliveSeconds: _k, ...noSeconds } = listening;
    assert.deepEqual(readOptions(toArgv(noSeconds)), noSeconds);
  });

  it('writes the flags the daemon documents, and nothing for options left out', () => {
    assert.deepEqual(toArgv({ listen: '/s', idleExitSeconds: 600, preload: ['fast'], warmupIterations: undefined, stdio: false }), [
      '--listen',
      '/s',
      '--idle-exit-seconds',
      '600',
      '--preload',
      'fast',
    ]);
    assert.deepEqual(toArgv({ preload: [] }), []);
  });

  it('applies the documented defaults', () => {
    const a = parseArgs(['--listen', '/s']);
    assert.deepEqual(a.transport, { kind: 'listen', path: '/s' });
    assert.equal(a.idleExitSeconds, 600);
    assert.equal(a.provider, 'auto');
    assert.equal(a.cpuPrecision, DEFAULT_CPU_PRECISION);
    assert.equal(a.logLevel, 'info');
    assert.equal(a.maxPixels, 64_000_000);
    assert.equal(a.maxQueue, 32);
    assert.equal(a.maxClients, 64);
    assert.equal(a.frameTimeoutSeconds, 30);
    assert.equal(a.keepAliveMinutes, 30);
    assert.deepEqual(a.preload, []);
    assert.equal(parseArgs(['--stdio', '--keep-alive-minutes', '5', '--keep-alive-seconds', '90']).keepAliveMinutes, 1.5);
    assert.equal(parseArgs(['--stdio', '--keep-alive-seconds', '90', '--keep-alive-minutes', '5']).keepAliveMinutes, 5);
    assert.deepEqual(parseArgs(['--stdio', '--preload', 'a, b,,c', '--preload', 'd']).preload, ['a', 'b', 'c', 'd']);
  });

  it('names the flag at fault, with exit code 2', () => {
    const bad = ExitCodes.BadUsage;
    assert.deepEqual(failure([]), [bad, 'give exactly one of --stdio or --listen <path>']);
    assert.deepEqual(failure(['--stdio', '--listen', '/s']), [bad, 'give exactly one of --stdio or --listen <path>']);
    assert.deepEqual(failure(['--listen']), [bad, '--listen needs a value']);
    assert.deepEqual(failure(['--stdio', '--max-queue']), [bad, '--max-queue needs a whole number >= 0']);
    assert.deepEqual(failure(['--stdio', '--max-queue', '-1']), [bad, '--max-queue needs a whole number >= 0']);
    assert.deepEqual(failure(['--stdio', '--max-pixels', '0']), [bad, '--max-pixels needs a whole number >= 1']);
    assert.deepEqual(failure(['--stdio', '--warmup-iterations', '1.5']), [bad, '--warmup-iterations needs a whole number >= 1']);
    assert.deepEqual(failure(['--stdio', '--provider', 'gpu']), [bad, '--provider must be one of auto, cpu, webgpu, cuda, dml, coreml']);
    assert.deepEqual(failure(['--stdio', '--cpu-precision', 'fp16']), [bad, '--cpu-precision must be one of int8, fp32']);
    assert.deepEqual(failure(['--stdio', '--log-level', 'trace']), [bad, '--log-level must be one of error, warn, info, debug']);
    assert.deepEqual(failure(['--stdio', '--bogus']), [bad, 'unknown option --bogus']);
    assert.deepEqual(failure(['--stdio', '-abc']), [bad, 'unknown option -abc']);
    assert.deepEqual(failure(['--stdio', 'extra']), [bad, 'unknown option extra']);
    assert.deepEqual(failure(['--stdio=yes']), [bad, 'unknown option --stdio=yes']);
  });

  it('prints the usage and exits 0 for --help and -h', () => {
    assert.deepEqual(failure(['--help']), [ExitCodes.Ok, USAGE]);
    assert.deepEqual(failure(['--stdio', '-h']), [ExitCodes.Ok, USAGE]);
    assert.deepEqual(failure(['--bogus', '--help']), [ExitCodes.BadUsage, 'unknown option --bogus'], 'in order, as before');
    assert.match(USAGE, /\[--provider auto\|cpu\|webgpu\|cuda\|dml\|coreml\] \[--cpu-precision int8\|fp32\] \[--preload MODE,MODE\]/);
    assert.match(USAGE, /\[--log-level error\|warn\|info\|debug\]/);
  });
});
