/**
 * The per-sandbox lock (adapter of the {@link SandboxLocks} port), on proper-lockfile: the
 * lock is a directory `<commonDir>/savepoint/locks/<sha256(sandbox path)>.lock` made with an
 * atomic `mkdir`, whose mtime the holder refreshes every {@link UPDATE_MS} (proper-lockfile's
 * `update`). Inside it, `owner.json` names the holder's pid and host. Whether the lock is
 * stale is decided by that owner, not by the mtime alone: a holder of this host that is
 * alive (`kill(pid, 0)`; a SIGSTOPped or swapped-out process does not refresh the mtime)
 * holds the lock however old its mtime; a holder of this host that no longer exists
 * (SIGKILL) loses it at once; only a holder of another host, or a lock without a readable
 * `owner.json`, loses it by the mtime, when it was not refreshed for {@link STALE_MS}. The takeover is proper-lockfile's own: remove, then `mkdir` again, so
 * two processes taking over the same dead lock race only on that `mkdir`, which one wins.
 * Waiters take the lock in arrival order through a queue of ticket files next to it (see
 * {@link WaitQueue}); a process that got a lock also removes the locks of other sandboxes
 * whose holder is dead on this host ({@link removeDeadHolders}).
 */
import { createHash, randomBytes } from 'node:crypto';
import { rmdirSync, rmSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, rmdir, stat, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { BusyError, SandboxInvalidError } from '../core/errors.js';
import type { HeldLock, SandboxLocks } from '../core/ports.js';
import { processAlive } from '../core/process.js';

/** A lock whose mtime is older than this (ms) is stale: its holder stopped refreshing it. */
export const STALE_MS = 10_000;
/** How often the holder refreshes the lock's mtime, ms. */
export const UPDATE_MS = 2_000;
/** Pause between attempts while waiting, ms. */
const RETRY_MS = 50;

interface Owner {
  pid: number;
  hostname: string;
  sandboxPath: string;
  acquiredAt: string;
}

function locksDir(commonDir: string): string {
  return path.join(commonDir, 'savepoint', 'locks');
}

/** The lock directory of a sandbox. */
export function lockPath(commonDir: string, sandboxPath: string): string {
  const key = createHash('sha256').update(sandboxPath).digest('hex').slice(0, 32);
  return path.join(locksDir(commonDir), `${key}.lock`);
}

async function readOwner(lockDir: string): Promise<Owner | null> {
  const text = await readFile(path.join(lockDir, 'owner.json'), 'utf8').catch(() => null);
  if (text === null) return null;
  try {
    return JSON.parse(text) as Owner;
  } catch {
    return null;
  }
}

/**
 * Runs `change` on the lock directory's content and puts the directory's mtime back:
 * proper-lockfile refreshes the mtime and takes any mtime it did not set as a sign that
 * another process took the lock over (its "compromised" check).
 */
async function keepingMtime(lockDir: string, change: () => Promise<unknown>): Promise<void> {
  const before = await stat(lockDir);
  await change();
  await utimes(lockDir, before.atime, before.mtime);
}

/**
 * Why a lock directory is stale, or null when its holder may still be alive. A live holder
 * of this host is never stale, whatever the mtime: it may be stopped (SIGSTOP, a debugger)
 * and resume. The mtime decides only for another host's holder, which cannot be checked
 * from here, and for a lock whose `owner.json` is missing or unreadable.
 */
async function staleness(lockDir: string): Promise<'dead-holder' | 'not-refreshed' | null> {
  const info = await stat(lockDir).catch(() => undefined);
  if (!info) return null;
  const owner = await readOwner(lockDir);
  if (owner && owner.hostname === hostname()) return processAlive(owner.pid) ? null : 'dead-holder';
  if (Date.now() - info.mtimeMs > STALE_MS) return 'not-refreshed';
  return null;
}

/**
 * proper-lockfile's own `stale` threshold, ms: far above {@link STALE_MS} so that it never
 * decides alone. Its takeover of a lock holding `owner.json` fails anyway (its `rmdir` meets
 * ENOTEMPTY) and {@link staleness} decides; and a holder that was stopped longer than this
 * would, on resuming, call its own lock compromised.
 */
const LIBRARY_STALE_MS = 24 * 60 * 60 * 1000;

/**
 * Moves a stale lock out of the way (rename is atomic, so only one process removes a given
 * lock directory), then deletes it. If what was moved is not the lock judged stale (another
 * process took the dead lock over in between and made a new one), it is put back.
 */
async function removeLockDir(lockDir: string, staleOwner: Owner | null): Promise<boolean> {
  const tomb = `${lockDir}.stale-${process.pid}-${Date.now()}`;
  try {
    await rename(lockDir, tomb);
  } catch {
    return false;
  }
  const moved = await readOwner(tomb);
  if (
    staleOwner !== null &&
    (moved === null || moved.pid !== staleOwner.pid || moved.hostname !== staleOwner.hostname)
  ) {
    await rename(tomb, lockDir).catch(() => undefined);
    return false;
  }
  await rm(tomb, { recursive: true, force: true });
  return true;
}

/** A waiter's ticket older than this (ms) without a refresh is skipped: its waiter stopped polling. */
export const TICKET_STALE_MS = 10_000;

/**
 * The fair queue of a sandbox lock's waiters: `<lock>.queue/<arrival ms>-<pid>-<random>`,
 * one ticket file per waiting process (`{pid, hostname}`), its name sorting by arrival. A
 * waiter tries the lock only while its ticket is the first live one, so waiters get the lock
 * in arrival order instead of whoever polls first after a release: with P processes, a
 * waiter waits for at most the P − 1 holds ahead of it. The waiter refreshes its ticket's
 * mtime on every poll; a ticket of a dead process of this host is removed at once, any other
 * ticket is skipped (and removed) once not refreshed for {@link TICKET_STALE_MS}, so a
 * killed or stopped waiter does not block the queue. A waiter whose ticket was removed that
 * way takes a new one at the end.
 */
class WaitQueue {
  private ticket: string | null = null;
  private readonly dir: string;

  constructor(lockDir: string) {
    this.dir = `${lockDir}.queue`;
  }

  /** Takes a ticket at the end of the queue, unless this process holds a live one. */
  async join(): Promise<void> {
    if (this.ticket !== null) {
      const touched = await utimes(this.ticket, new Date(), new Date()).then(
        () => true,
        () => false,
      );
      if (touched) return;
    }
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const name = `${String(Date.now()).padStart(15, '0')}-${process.pid}-${randomBytes(4).toString('hex')}`;
    const ticket = path.join(this.dir, name);
    const body = JSON.stringify({ pid: process.pid, hostname: hostname() });
    // The last waiter to leave removes the queue directory: make it again if that just happened.
    await writeFile(ticket, body, { mode: 0o600 }).catch(async (error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
      await mkdir(this.dir, { recursive: true, mode: 0o700 });
      await writeFile(ticket, body, { mode: 0o600 });
    });
    this.ticket = ticket;
  }

  /** Whether this process may try the lock now: no live ticket is ahead of its own (or of it, without one). */
  async mayTry(): Promise<boolean> {
    const names = (await readdir(this.dir).catch(() => [] as string[])).sort();
    const own = this.ticket === null ? null : path.basename(this.ticket);
    for (const name of names) {
      if (name === own) return true;
      if (await this.live(path.join(this.dir, name))) return false;
    }
    return true;
  }

  /** Whether a ticket's waiter may still be waiting; removes the ticket when not. */
  private async live(ticket: string): Promise<boolean> {
    const info = await stat(ticket).catch(() => undefined);
    if (!info) return false;
    const text = await readFile(ticket, 'utf8').catch(() => null);
    let owner: { pid?: unknown; hostname?: unknown } | null = null;
    try {
      owner = text === null ? null : (JSON.parse(text) as { pid?: unknown; hostname?: unknown });
    } catch {
      owner = null;
    }
    const deadHere =
      owner !== null &&
      owner.hostname === hostname() &&
      typeof owner.pid === 'number' &&
      !processAlive(owner.pid);
    // An unreadable ticket may be one being written right now: only its age decides.
    if (!deadHere && Date.now() - info.mtimeMs <= TICKET_STALE_MS) return true;
    await rm(ticket, { force: true });
    return false;
  }

  /** Removes this process's ticket (it got the lock, or gave up). */
  async leave(): Promise<void> {
    if (this.ticket === null) return;
    await rm(this.ticket, { force: true }).catch(() => undefined);
    this.ticket = null;
    // Fails (ENOTEMPTY) while others wait.
    await rmdir(this.dir).catch(() => undefined);
  }
}

/**
 * Removes what killed processes of this host left in the locks directory, other than
 * `ownLock`: sandbox locks whose holder is dead (another sandbox's lock would otherwise stay
 * until a command on that sandbox or `recover`/`doctor --fix` ran) and half-removed locks
 * (`<lock>.stale-<pid>-<ms>`) whose remover is dead. A lock of another host or without a
 * readable owner is left to the mtime rule of {@link staleness}.
 */
async function removeDeadHolders(dir: string, ownLock: string): Promise<void> {
  for (const name of await readdir(dir)) {
    const full = path.join(dir, name);
    if (full === ownLock) continue;
    const tomb = /\.stale-(\d+)-\d+$/.exec(name);
    if (tomb) {
      if (!processAlive(Number(tomb[1]))) await rm(full, { recursive: true, force: true });
    } else if (name.endsWith('.lock') && (await staleness(full)) === 'dead-holder') {
      await removeLockDir(full, await readOwner(full));
    }
  }
}

/** {@link SandboxLocks} on proper-lockfile with a pid/host check for killed holders. */
export class FileSandboxLocks implements SandboxLocks {
  async acquire(commonDir: string, sandboxPath: string, waitMs: number): Promise<HeldLock> {
    const lockDir = lockPath(commonDir, sandboxPath);
    // Never recreate a repository that is gone: only savepoint's own directories are made.
    if (!(await stat(commonDir).catch(() => undefined))?.isDirectory()) {
      throw new SandboxInvalidError(`repository ${commonDir} of sandbox ${sandboxPath} is gone`, {
        details: { sandboxPath, gitDir: commonDir },
      });
    }
    await mkdir(path.dirname(lockDir), { recursive: true, mode: 0o700 });
    // Loaded here: only mutating commands lock, and proper-lockfile brings ~18 modules.
    const { default: lockfile } = await import('proper-lockfile');
    const deadline = Date.now() + waitMs;
    let compromised: Error | null = null;
    const queue = new WaitQueue(lockDir);
    try {
      for (;;) {
        // First come, first served: a waiter tries the lock only when no earlier waiter is in
        // the queue; a command that finds nobody waiting tries at once without queueing.
        if (await queue.mayTry()) {
          try {
            const release = await lockfile.lock(sandboxPath, {
              realpath: false,
              lockfilePath: lockDir,
              stale: LIBRARY_STALE_MS,
              update: UPDATE_MS,
              retries: 0,
              // Another process judged this lock stale and took it: keep going (the operation's
              // own steps are compare-and-set), but say so when releasing.
              onCompromised: (error) => {
                compromised = error;
              },
            });
            const owner: Owner = {
              pid: process.pid,
              hostname: hostname(),
              sandboxPath,
              acquiredAt: new Date().toISOString(),
            };
            const ownerFile = path.join(lockDir, 'owner.json');
            await keepingMtime(lockDir, () => writeFile(ownerFile, JSON.stringify(owner), { mode: 0o600 }));
            await removeDeadHolders(locksDir(commonDir), lockDir).catch(() => undefined);
            let released = false;
            return {
              release: async () => {
                if (released) return;
                released = true;
                // proper-lockfile removes the lock with rmdir: it must be empty again.
                await keepingMtime(lockDir, () => rm(ownerFile, { force: true })).catch(() => undefined);
                await release().catch(() => undefined);
                if (compromised) {
                  process.stderr.write(
                    `savepoint: warning: the sandbox lock was taken over: ${String(compromised)}\n`,
                  );
                }
              },
              releaseSync: () => {
                if (released) return;
                released = true;
                // What proper-lockfile's release does (rmdir of the lock directory), without its
                // promise; its refresh timer dies with the exiting process.
                try {
                  rmSync(ownerFile, { force: true });
                  rmdirSync(lockDir);
                } catch {
                  // Left behind, the lock of a dead process is taken over at once by the next command.
                }
              },
            };
          } catch (error) {
            const code = (error as NodeJS.ErrnoException).code;
            // ENOTEMPTY: proper-lockfile found the lock stale and could not rmdir it (it holds owner.json).
            if (code !== 'ELOCKED' && code !== 'ENOTEMPTY') throw error;
          }
          if ((await staleness(lockDir)) !== null) {
            await removeLockDir(lockDir, await readOwner(lockDir));
            continue;
          }
        }
        if (Date.now() >= deadline) {
          const owner = await readOwner(lockDir);
          throw new BusyError(
            `another savepoint process${owner ? ` (pid ${owner.pid} on ${owner.hostname})` : ''} is working on sandbox ${sandboxPath}; retry, or wait longer with --wait`,
            { details: { sandboxPath, holder: owner, waitedMs: waitMs }, hint: 'retry when it is done' },
          );
        }
        if (waitMs > 0) await queue.join();
        await sleep(RETRY_MS);
      }
    } finally {
      await queue.leave();
    }
  }

  async stale(commonDir: string): Promise<string[]> {
    const dir = locksDir(commonDir);
    const names = await readdir(dir).catch(() => [] as string[]);
    const found: string[] = [];
    for (const name of names) {
      const full = path.join(dir, name);
      if (name.includes('.stale-') || (name.endsWith('.lock') && (await staleness(full)) !== null))
        found.push(full);
    }
    return found;
  }

  async removeStale(commonDir: string): Promise<string[]> {
    const removed: string[] = [];
    for (const full of await this.stale(commonDir)) {
      if (full.includes('.stale-')) {
        await rm(full, { recursive: true, force: true });
        removed.push(full);
      } else if ((await staleness(full)) !== null && (await removeLockDir(full, await readOwner(full))))
        removed.push(full);
    }
    return removed;
  }
}
