/**
 * Adversarial file-system states: directories outside the sandbox reached through symbolic
 * links, file names that are not UTF-8, `core.ignoreCase`.
 */
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { Given, Then, When } from '@cucumber/cucumber';
import { expectEqual } from '../support/expect.js';
import type { SavepointWorld } from '../support/world.js';

/** Every entry under `root` (not following links): relative path → content, link target or "dir". */
function listing(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string, rel: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const full = path.join(dir, name);
      const key = rel === '' ? name : `${rel}/${name}`;
      const info = lstatSync(full);
      if (info.isSymbolicLink()) out[key] = `-> ${readlinkSync(full)}`;
      else if (info.isDirectory()) {
        out[key] = 'dir';
        walk(full, key);
      } else out[key] = readFileSync(full, 'utf8');
    }
  };
  walk(root, '');
  return out;
}

/** `café.txt` with é as the single Latin-1 byte 0xE9: not UTF-8. */
const LATIN1_NAME = Buffer.from('caf\xe9.txt', 'latin1');

const outsideStates = new WeakMap<SavepointWorld, Map<string, Record<string, string>>>();

When('I note the state of the directory {string}', function (this: SavepointWorld, dir: string) {
  const states = outsideStates.get(this) ?? new Map();
  outsideStates.set(this, states);
  const full = this.resolvePath(dir);
  mkdirSync(full, { recursive: true });
  states.set(full, listing(full));
});

Then('the directory {string} is unchanged', function (this: SavepointWorld, dir: string) {
  const full = this.resolvePath(dir);
  const before = outsideStates.get(this)?.get(full);
  if (before === undefined) throw new Error(`note the state of ${dir} first`);
  expectEqual(listing(full), before, `${dir} changed\n${this.describeRun()}`);
});

Given('an untracked file whose name is not UTF-8', function (this: SavepointWorld) {
  writeFileSync(Buffer.concat([Buffer.from(`${this.repo}/`), LATIN1_NAME]), 'latin-1 name\n');
});

Then('the file whose name is not UTF-8 is still there', function (this: SavepointWorld) {
  const file = Buffer.concat([Buffer.from(`${this.repo}/`), LATIN1_NAME]);
  expectEqual(existsSync(file), true, 'the Latin-1 named file');
  expectEqual(readFileSync(file, 'utf8'), 'latin-1 name\n', 'its content');
});

Given(
  'the repository sets {string} to {string}',
  function (this: SavepointWorld, key: string, value: string) {
    this.git(['config', key, value]);
  },
);
