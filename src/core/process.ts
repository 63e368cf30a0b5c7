import { hostname } from 'node:os';

/**
 * True when `pid` names a live process of this host: `kill(pid, 0)` checks existence
 * without signalling; EPERM means it exists but belongs to another user (kill(2)).
 */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Whether the process `pid` of `host` may still run: a process of another host cannot be
 * checked from here, so it counts as alive.
 */
export function ownerAlive(pid: number, host: string): boolean {
  return host !== hostname() || processAlive(pid);
}
