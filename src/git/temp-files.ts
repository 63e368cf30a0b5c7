/**
 * Private temporary files (index copies) that must not outlive the process: removed by
 * their owner on every normal path, and here on `exit`, SIGINT, SIGTERM and SIGHUP.
 */
import { rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';

const live = new Set<string>();
let hooked = false;

function removeAll(): void {
  for (const file of live) rmSync(file, { force: true });
  live.clear();
}

function onSignal(signal: NodeJS.Signals): void {
  removeAll();
  // Re-raise with the default handler so the exit status still says "killed by signal".
  process.removeListener(signal, onSignal);
  process.kill(process.pid, signal);
}

function hook(): void {
  if (hooked) return;
  hooked = true;
  process.once('exit', removeAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, onSignal);
}

/** Registers `file` for removal at process end; returns a function removing it now. */
export function trackTempFile(file: string): () => Promise<void> {
  hook();
  live.add(file);
  return async () => {
    live.delete(file);
    await rm(file, { force: true });
  };
}
