// A thread's scheduling priority on Linux. On a machine with fewer cores than the engine has
// threads, the scheduler shares the cores evenly among the runnable ones, so a stage that can run
// ahead (the poller: the command ring holds what it read) takes time from the stages on the
// critical path (journaler, matcher). A higher nice value for that one thread lets them run first
// while it still fills the ring whenever a core is free. Linux applies setpriority to one thread
// when given its thread id; raising the nice value needs no privilege.
import fs from 'node:fs';
import os from 'node:os';

/**
 * The poller's nice value: the matcher and journaler win a shared core (a scheduler weight of 110
 * against their 1024), yet it keeps ahead of them; at 19 (weight 15) it fell behind them.
 */
export const POLLER_NICE = 10;

/** The calling thread's id (Linux), or null where /proc/thread-self is not there. */
function currentThreadId(): number | null {
  try {
    const id = Number(fs.readlinkSync('/proc/thread-self').split('/').pop());
    return Number.isInteger(id) && id > 0 ? id : null;
  } catch {
    return null;
  }
}

/** Sets the calling thread's nice value (0-19); true when it was set, false where it cannot be. */
export function niceCurrentThread(nice: number): boolean {
  const id = currentThreadId();
  if (id === null) return false;
  try {
    os.setPriority(id, nice);
    return true;
  } catch {
    return false; // e.g. a seccomp profile that refuses setpriority: the engine runs as before
  }
}
