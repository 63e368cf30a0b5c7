/**
 * Programs the repository's git config names (hooks) must never run during a savepoint
 * command, and control characters from user strings must not reach the terminal raw.
 */
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Given, Then, When } from '@cucumber/cucumber';
import { expectEqual } from '../support/expect.js';
import { git } from '../support/git.js';
import type { SavepointWorld } from '../support/world.js';

/** Hooks git 2.39 may run around checkouts, index writes, ref updates and commits (githooks(5)). */
const HOOKS = [
  'pre-commit',
  'commit-msg',
  'post-commit',
  'post-checkout',
  'post-index-change',
  'reference-transaction',
  'pre-auto-gc',
];

const marker = (world: SavepointWorld): string => path.join(world.tmp, 'hook-ran');

Given('every git hook of the repository writes a marker file', function (this: SavepointWorld) {
  for (const hook of HOOKS) {
    const file = path.join(this.repo, '.git', 'hooks', hook);
    writeFileSync(file, `#!/bin/sh\necho "${hook}" >> '${marker(this)}'\nexit 0\n`);
    chmodSync(file, 0o755);
  }
  // The hooks are live: git itself runs them.
  git(this.repo, this.home, ['commit', '-q', '--allow-empty', '-m', 'hooks run']);
  expectEqual(existsSync(marker(this)), true, 'git ran no hook: the set-up proves nothing');
  git(this.repo, this.home, ['reset', '-q', '--hard', 'HEAD~1']);
  writeFileSync(marker(this), '');
});

Then('no git hook ran', function (this: SavepointWorld) {
  expectEqual(readFileSync(marker(this), 'utf8'), '', 'hooks ran during savepoint commands');
});

// `\e` in the command stands for ESC (U+001B), `\a` for BEL: characters a feature file cannot hold.
When(/^I run "(.*)" where \\e is ESC$/, function (this: SavepointWorld, command: string) {
  this.run(command.replaceAll('\\e', '\u001b').replaceAll('\\a', '\u0007'));
});

Then('stdout and stderr hold no control character but newlines', function (this: SavepointWorld) {
  const run = this.last();
  for (const [name, text] of [
    ['stdout', run.stdout],
    ['stderr', run.stderr],
  ] as const) {
    const found = /(?!\n)\p{Cc}/u.exec(text);
    expectEqual(found, null, `${name} holds a raw control character\n${this.describeRun(run)}`);
  }
});
