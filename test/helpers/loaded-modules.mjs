/**
 * Preload (`node --import`) that lists every module file a process loads into the file named
 * by SAVEPOINT_LOADED_MODULES, one per line: ES modules through a loader hook (which runs on
 * its own thread and appends as they load), CommonJS ones from `require.cache` at exit.
 * Used by test/cli-startup.test.ts to check what a command loads, by name rather than time.
 */
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';

const out = process.env.SAVEPOINT_LOADED_MODULES;
if (out) {
  register('./loaded-modules-hooks.mjs', import.meta.url, { data: { out } });
  const require = createRequire(import.meta.url);
  process.on('exit', () => appendFileSync(out, `${Object.keys(require.cache).join('\n')}\n`));
}
