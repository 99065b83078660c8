// Preload at start: the modes asked for (--preload), then the ones used most recently (a shared
// daemon serves windows that will ask for them again). One at a time: they mostly share one
// session and one CPU, and a client's request joins whichever flight is under way.
import { Daemon } from '../server/daemon';
import type { Logger } from '../api/constants';

export interface PreloadPlan {
  /** --preload: loaded at once. */
  asked: string[];
  /** Remembered from earlier runs, most recent first: loaded once clients' work is done. */
  recent: string[];
}

export async function preload(daemon: Daemon, plan: PreloadPlan, log: Logger, stopping: () => boolean): Promise<void> {
  const asked = new Set(plan.asked);
  for (const mode of new Set([...plan.asked, ...plan.recent])) {
    if (stopping()) return;
    // Modes only remembered from before wait until clients' requests are served: a window's
    // first preview after a restart must not queue behind a mode nobody has asked for yet.
    if (!asked.has(mode)) await daemon.whenIdle();
    if (stopping()) return;
    if (!daemon.registry.has(mode)) {
      // A user mode is defined by its client after connecting; nothing to preload before that.
      log('info', `preload: no mode '${mode}' (yet); skipped`);
      continue;
    }
    log('info', `preloading ${mode}`);
    await daemon.registry.ensureReady(mode).catch((e) => log('warn', `preload of ${mode} failed: ${(e as Error).message}`));
  }
}
