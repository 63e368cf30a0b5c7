/**
 * Repositories and what git says about them: making "the repository", committing, staging,
 * branches, detached HEAD, conflicts, locks, checkpoint refs.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type DataTable, Given, Then, When } from '@cucumber/cucumber';
import { expect, expectEqual } from '../support/expect.js';
import { tryGit } from '../support/git.js';
import { type SavepointWorld, withEscapes } from '../support/world.js';

/** `git init` with the settings every test repository shares. */
function initRepository(world: SavepointWorld, dir: string): void {
  expect(!existsSync(path.join(dir, '.git')), `${dir} is a repository already`);
  mkdirSync(dir, { recursive: true });
  world.git(['init', '-q', '-b', 'main'], dir);
  world.git(['config', 'user.name', 'Scenario'], dir);
  world.git(['config', 'user.email', 'scenario@example.com'], dir);
  world.git(['config', 'gc.auto', '0'], dir);
  world.git(['config', 'commit.gpgSign', 'false'], dir);
}

function commitFiles(world: SavepointWorld, files: Record<string, string>, message: string): void {
  for (const [name, content] of Object.entries(files)) {
    const full = path.join(world.repo, name);
    mkdirSync(path.dirname(full), { recursive: true });
    writeFileSync(full, withEscapes(content));
  }
  world.git(['add', '-A', '--', ...Object.keys(files)]);
  world.git(['commit', '-q', '-m', message]);
}

Given('a git repository', function (this: SavepointWorld) {
  initRepository(this, this.repo);
  commitFiles(this, { 'README.md': '# demo\n' }, 'initial commit');
});

Given('a git repository with no commits', function (this: SavepointWorld) {
  initRepository(this, this.repo);
});

Given('the repository has these committed files:', function (this: SavepointWorld, table: DataTable) {
  const files: Record<string, string> = {};
  for (const row of table.hashes()) files[row.path ?? ''] = row.content ?? '';
  commitFiles(this, files, 'add files');
});

Given('the agent stages {string}', function (this: SavepointWorld, file: string) {
  this.git(['add', '--', this.expand(file)]);
});

Given('the agent stages everything', function (this: SavepointWorld) {
  this.git(['add', '-A']);
});

Given('the agent commits with the message {string}', function (this: SavepointWorld, message: string) {
  this.git(['commit', '-q', '-m', message]);
});

Given('the agent switches to a new branch {string}', function (this: SavepointWorld, branch: string) {
  this.git(['switch', '-q', '-c', branch]);
});

Given('the stash holds a change to {string}', function (this: SavepointWorld, file: string) {
  writeFileSync(this.resolvePath(file), 'stashed work\n');
  this.git(['stash', 'push', '-q', '-m', 'work in progress', '--', this.expand(file)]);
  expect(/work in progress/.test(this.git(['stash', 'list'])), 'the stash should hold the change');
});

// An agent cloned or initialised another project inside the sandbox (not a submodule).
Given('an untracked nested repository in {string}', function (this: SavepointWorld, dir: string) {
  const full = this.resolvePath(dir);
  initRepository(this, full);
  writeFileSync(path.join(full, 'lib.txt'), 'nested work\n');
});

Given('HEAD is detached at the current commit', function (this: SavepointWorld) {
  this.git(['switch', '-q', '--detach']);
});

Given('the repository has no user identity', function (this: SavepointWorld) {
  this.git(['config', '--unset', 'user.name']);
  this.git(['config', '--unset', 'user.email']);
  // HOME is an empty directory, so there is no global identity either.
  expectEqual(tryGit(this.repo, this.home, ['config', 'user.name']).exitCode, 1, 'user.name is still set');
});

// A branch and main both change the file; merging leaves it unmerged in the index.
Given('an unresolved merge conflict in {string}', function (this: SavepointWorld, file: string) {
  const full = path.join(this.repo, file);
  this.git(['switch', '-q', '-c', 'topic']);
  writeFileSync(full, 'topic side\n');
  this.git(['commit', '-q', '-am', 'topic change']);
  this.git(['switch', '-q', 'main']);
  writeFileSync(full, 'main side\n');
  this.git(['commit', '-q', '-am', 'main change']);
  const merge = tryGit(this.repo, this.home, ['merge', '-q', 'topic']);
  expect(merge.exitCode !== 0, 'the merge should conflict');
  expect(/\S/.test(this.git(['ls-files', '-u'])), 'the index should hold unmerged entries');
});

Given('another git process holds the index lock', function (this: SavepointWorld) {
  writeFileSync(this.git(['rev-parse', '--path-format=absolute', '--git-path', 'index.lock']), '');
});

When('the index lock is released', function (this: SavepointWorld) {
  rmSync(this.git(['rev-parse', '--path-format=absolute', '--git-path', 'index.lock']));
});

When('the ref of checkpoint {string} is deleted', function (this: SavepointWorld, name: string) {
  const ref = `refs/savepoint/${this.plan().planId}/${this.checkpoint(name)}`;
  this.git(['rev-parse', '--verify', '-q', ref]);
  this.git(['update-ref', '-d', ref]);
});

When('the repository directory is deleted', function (this: SavepointWorld) {
  rmSync(this.repo, { recursive: true, force: true });
  this.cwd = this.tmp;
});

// Same path, another repository: what `rm -rf repo && git clone … repo` leaves behind.
When(
  "the plan's sandbox is replaced by another repository at the same path",
  function (this: SavepointWorld) {
    const sandbox = this.plan().sandboxPath;
    rmSync(sandbox, { recursive: true, force: true });
    initRepository(this, sandbox);
    writeFileSync(path.join(sandbox, 'README.md'), '# another project\n');
    this.git(['add', '-A'], sandbox);
    this.git(['commit', '-q', '-m', 'unrelated history'], sandbox);
  },
);

Given(
  'the repository has the git config {string} set to {string}',
  function (this: SavepointWorld, key: string, value: string) {
    this.git(['config', key, value]);
  },
);

// ------------------------------------------------------------------------ assertions

Then('HEAD is on the branch {string}', function (this: SavepointWorld, branch: string) {
  expectEqual(this.git(['symbolic-ref', '-q', 'HEAD']), `refs/heads/${this.expand(branch)}`);
});

Then('the index has no staged changes', function (this: SavepointWorld) {
  expectEqual(this.git(['diff', '--cached', '--name-only']), '');
});

Then('the staged files are {string}', function (this: SavepointWorld, files: string) {
  const staged = this.git(['-c', 'core.quotePath=false', 'diff', '--cached', '--name-only'])
    .split('\n')
    .filter(Boolean);
  expectEqual(
    staged.sort(),
    files
      .split(',')
      .map((f) => f.trim())
      .sort(),
  );
});

Then('the ref of checkpoint {string} exists', function (this: SavepointWorld, name: string) {
  const ref = `refs/savepoint/${this.plan().planId}/${this.checkpoint(name)}`;
  expectEqual(
    tryGit(this.repo, this.home, ['rev-parse', '--verify', '-q', ref]).exitCode,
    0,
    `${ref} is missing`,
  );
});
