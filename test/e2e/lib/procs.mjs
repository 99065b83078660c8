// Processes of one run: everything started in its own process group, found again by a marker
// in the environment (children, including the detached daemon, inherit it) or by the run's
// temporary folder in their command line, and killed at the end.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, openSync, closeSync } from 'node:fs';

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const groups = new Set();

/** Spawns `cmd` as the leader of a new process group; output goes to `logFile`. */
export function spawnGroup(cmd, args, { env, cwd, logFile }) {
  const fd = openSync(logFile, 'a');
  try {
    const child = spawn(cmd, args, { env, cwd, detached: true, stdio: ['ignore', fd, fd] });
    groups.add(child.pid);
    child.on('exit', () => undefined);
    return child;
  } finally {
    closeSync(fd);
  }
}

export function killGroup(pid, signal = 'SIGKILL') {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
  groups.delete(pid);
}

export function alive(pid) {
  try {
    process.kill(pid, 0);
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z/.test(stat); // a zombie is dead
  } catch {
    return false;
  }
}

/** Processes whose environment holds `SEGLENS_E2E_RUN=<runId>` or whose command line names `dir`. */
export function findRunProcesses(runId, dir) {
  return findProcesses(`SEGLENS_E2E_RUN=${runId}`, dir);
}

/** Processes whose environment holds the entry `marker` (KEY=value) or whose command line names `dir`. */
export function findProcesses(marker, dir) {
  const found = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    if (pid === process.pid) continue;
    let cmdline = '';
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
    } catch {
      continue;
    }
    let ours = dir && cmdline.includes(dir);
    if (!ours) {
      try {
        ours = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(marker);
      } catch {
        // gone or not readable
      }
    }
    if (ours && alive(pid)) found.push({ pid, cmdline: cmdline.slice(0, 200) });
  }
  return found;
}

/** Kills every process group started here, then anything else of the run (the detached daemon). */
export async function killEverything(runId, dir) {
  for (const pid of [...groups]) killGroup(pid, 'SIGTERM');
  await sleep(500);
  for (const pid of [...groups]) killGroup(pid, 'SIGKILL');
  for (let i = 0; i < 3; i++) {
    const left = findRunProcesses(runId, dir);
    if (left.length === 0) return;
    for (const p of left) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    await sleep(300);
  }
}

/**
 * SIGKILLs the processes `findProcesses(marker)` lists, until none is left (or gives up).
 * Returns those still alive (none, normally); `onKill` hears of each one killed.
 */
export async function killByMarker(marker, onKill = () => undefined) {
  for (let i = 0; i < 5; i++) {
    const left = findProcesses(marker);
    if (left.length === 0) return [];
    for (const p of left) onKill(p);
    for (const p of left) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    await sleep(300);
  }
  return findProcesses(marker);
}
