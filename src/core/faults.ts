/**
 * Named fault points for crash tests. `SAVEPOINT_FAULT=<name>` (several: comma-separated)
 * makes the process SIGKILL itself when it reaches that point, exactly as `kill -9` would:
 * no `finally`, no exit handlers, no outcome row. Unset (always, outside tests), a fault
 * point is one environment lookup. `SAVEPOINT_FAULT_SIGNAL=SIGSTOP` makes it stop itself there
 * instead (a holder that is alive but does not run: the lock tests resume it with SIGCONT).
 */

/** Every fault point, in the order an operation reaches them. Tests iterate over this list. */
export const FAULT_POINTS = [
  'checkpoint.after-intent',
  'checkpoint.after-objects',
  'checkpoint.after-ref',
  'checkpoint.before-outcome',
  'rollback.after-intent',
  'rollback.after-safety',
  'rollback.after-worktree',
  'rollback.after-head',
  'rollback.before-outcome',
  'prune.after-intent',
  'prune.after-rows',
  'prune.before-outcome',
  'recover.after-intent',
  'recover.after-safety',
] as const;

export type FaultPoint = (typeof FAULT_POINTS)[number];

/**
 * Kills the process with SIGKILL when `SAVEPOINT_FAULT` names `point`; with
 * `SAVEPOINT_FAULT_SIGNAL=SIGSTOP`, stops it there instead (it goes on after a SIGCONT).
 */
export function faultPoint(point: FaultPoint): void {
  const wanted = process.env.SAVEPOINT_FAULT;
  if (!wanted) return;
  if (!wanted.split(',').includes(point)) return;
  process.kill(process.pid, process.env.SAVEPOINT_FAULT_SIGNAL === 'SIGSTOP' ? 'SIGSTOP' : 'SIGKILL');
}
