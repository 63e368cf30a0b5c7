/**
 * Concurrency at scale and stale locks (issues 12, 16): a lock holder in a separate process
 * that lets go after a while, and the lock a killed process left on another sandbox of the
 * repository.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { After, Given, Then } from '@cucumber/cucumber';
import { lockPath } from '../../src/lock/sandbox-locks.js';
import { expectEqual } from '../support/expect.js';
import type { SavepointWorld } from '../support/world.js';

const LOCKS_MODULE = pathToFileURL(
  path.resolve(import.meta.dirname, '../../dist/lock/sandbox-locks.js'),
).href;

/** Holder processes a scenario started, killed by the After hook if still running. */
const holders = new Set<ChildProcess>();
/** The lock directory a scenario's killed process left, by scenario. */
const leftLocks = new WeakMap<SavepointWorld, string>();

function commonDir(world: SavepointWorld): string {
  return world.git(['rev-parse', '--path-format=absolute', '--git-common-dir']);
}

After(() => {
  for (const child of holders) child.kill('SIGKILL');
  holders.clear();
});

Given(
  "another savepoint process holds the plan's sandbox lock for {int} seconds",
  async function (this: SavepointWorld, seconds: number) {
    const script = `
      const { FileSandboxLocks } = await import(${JSON.stringify(LOCKS_MODULE)});
      const lock = await new FileSandboxLocks().acquire(process.argv[1], process.argv[2], 0);
      process.stdout.write('held\\n');
      setTimeout(async () => { await lock.release(); }, Number(process.argv[3]) * 1000);`;
    const child = spawn(
      process.execPath,
      ['--input-type=module', '-e', script, commonDir(this), this.plan().sandboxPath, String(seconds)],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    holders.add(child);
    await new Promise<void>((resolve, reject) => {
      child.stdout?.once('data', () => resolve());
      child.once('exit', (code) =>
        reject(new Error(`the lock holder exited (${code}) before holding the lock`)),
      );
    });
  },
);

Given(
  'a killed savepoint process left the lock of another sandbox of the repository',
  function (this: SavepointWorld) {
    // A pid that ran and exited: what `owner.json` names after its holder was SIGKILLed.
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
      encoding: 'utf8',
    });
    const pid = Number(dead.stdout);
    const other = path.join(path.dirname(this.plan().sandboxPath), 'another-sandbox');
    const lockDir = lockPath(commonDir(this), other);
    mkdirSync(lockDir, { recursive: true });
    const owner = { pid, hostname: hostname(), sandboxPath: other, acquiredAt: new Date().toISOString() };
    writeFileSync(path.join(lockDir, 'owner.json'), JSON.stringify(owner));
    leftLocks.set(this, lockDir);
  },
);

Then('the lock of the other sandbox is gone', function (this: SavepointWorld) {
  const lockDir = leftLocks.get(this);
  expectEqual(lockDir !== undefined && !existsSync(lockDir), true, `${lockDir} still exists`);
});
