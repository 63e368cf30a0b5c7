/**
 * Files as an agent touches them (write, append, delete, chmod, symlink), checks on single
 * files, and whole-sandbox notes ("note the state", "the sandbox matches the state").
 * Paths are relative to the repository unless they are absolute after expansion.
 */
import {
  appendFileSync,
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { Given, Then, When } from '@cucumber/cucumber';
import { expect, expectEqual } from '../support/expect.js';
import { fileDifferences, GIT_VIEWS, type GitView, gitDifferences } from '../support/sandbox-state.js';
import { type SavepointWorld, withEscapes } from '../support/world.js';

function writeFile(world: SavepointWorld, file: string, content: string): void {
  const full = world.resolvePath(file);
  mkdirSync(path.dirname(full), { recursive: true });
  writeFileSync(full, withEscapes(world.expand(content)));
}

// ------------------------------------------------------------------------ agent actions

Given(
  'the agent writes {string} to {string}',
  function (this: SavepointWorld, content: string, file: string) {
    writeFile(this, file, content);
  },
);

Given(
  'a file {string} with the content {string}',
  function (this: SavepointWorld, file: string, content: string) {
    writeFile(this, file, content);
  },
);

Given(
  'the agent appends {string} to {string}',
  function (this: SavepointWorld, content: string, file: string) {
    appendFileSync(this.resolvePath(file), withEscapes(this.expand(content)));
  },
);

Given('the agent deletes {string}', function (this: SavepointWorld, file: string) {
  const full = this.resolvePath(file);
  expect(existsSync(full) || lstatSync(full, { throwIfNoEntry: false }), `${file} does not exist`);
  rmSync(full, { recursive: true, force: true });
});

Given('the agent makes {string} executable', function (this: SavepointWorld, file: string) {
  chmodSync(this.resolvePath(file), 0o755);
});

Given(
  'the agent creates a symlink {string} pointing to {string}',
  function (this: SavepointWorld, link: string, target: string) {
    const full = this.resolvePath(link);
    mkdirSync(path.dirname(full), { recursive: true });
    symlinkSync(target, full);
  },
);

Given('an empty directory {string}', function (this: SavepointWorld, dir: string) {
  mkdirSync(this.resolvePath(dir), { recursive: true });
});

// ------------------------------------------------------------------------ single files

Then(
  'the file {string} has the content {string}',
  function (this: SavepointWorld, file: string, content: string) {
    expectEqual(readFileSync(this.resolvePath(file), 'utf8'), withEscapes(this.expand(content)), file);
  },
);

Then('the file {string} still exists', function (this: SavepointWorld, file: string) {
  expect(existsSync(this.resolvePath(file)), `${file} should still exist`);
});

Then('the file {string} exists', function (this: SavepointWorld, file: string) {
  expect(existsSync(this.resolvePath(file)), `${file} should exist`);
});

Then('{string} does not exist', function (this: SavepointWorld, file: string) {
  const full = this.resolvePath(file);
  expectEqual(lstatSync(full, { throwIfNoEntry: false }), undefined, `${full} should not exist`);
});

Then('the file {string} is executable', function (this: SavepointWorld, file: string) {
  expect((lstatSync(this.resolvePath(file)).mode & 0o111) !== 0, `${file} should be executable`);
});

Then('the file {string} is not executable', function (this: SavepointWorld, file: string) {
  expectEqual(lstatSync(this.resolvePath(file)).mode & 0o111, 0, `${file} should not be executable`);
});

Then('{string} is a symlink to {string}', function (this: SavepointWorld, link: string, target: string) {
  const full = this.resolvePath(link);
  expect(lstatSync(full).isSymbolicLink(), `${link} should be a symlink`);
  expectEqual(readlinkSync(full), target);
});

// ------------------------------------------------------------------------ whole sandbox

When('I note the state of the sandbox as {string}', function (this: SavepointWorld, name: string) {
  this.states.set(name, this.captureState());
});

When('I note the state of the sandbox', function (this: SavepointWorld) {
  this.states.set('before', this.captureState());
});

When("I note the state of the plan's sandbox", function (this: SavepointWorld) {
  this.states.set('before', this.captureState(this.plan().sandboxPath));
});

function noted(world: SavepointWorld, name: string) {
  const state = world.states.get(name);
  if (!state) throw new Error(`no state "${name}" was noted`);
  return state;
}

/** Files, index, HEAD, branches, stash and status all as noted (`except` files left out). */
function assertMatches(world: SavepointWorld, name: string, except: string[] = []): void {
  const expected = noted(world, name);
  const actual = world.captureState(expected.root);
  const differences = [...fileDifferences(expected, actual, except), ...gitDifferences(expected, actual)];
  expect(
    differences.length === 0,
    `the sandbox differs from the state "${name}":\n${differences.join('\n')}`,
  );
}

Then('the sandbox matches the state {string}', function (this: SavepointWorld, name: string) {
  assertMatches(this, name);
});

Then(
  'the sandbox matches the state {string} except {string}',
  function (this: SavepointWorld, name: string, except: string) {
    assertMatches(
      this,
      name,
      except.split(',').map((p) => p.trim()),
    );
  },
);

// After a refused command: every file, the index, HEAD, branches, stash and status as noted.
Then('the sandbox is unchanged', function (this: SavepointWorld) {
  assertMatches(this, 'before');
});

function assertFilesMatch(world: SavepointWorld, name: string, except: string[] = []): void {
  const expected = noted(world, name);
  const differences = fileDifferences(expected, world.captureState(expected.root), except);
  expect(differences.length === 0, `files differ from the state "${name}":\n${differences.join('\n')}`);
}

Then('every file is as in the state {string}', function (this: SavepointWorld, name: string) {
  assertFilesMatch(this, name);
});

Then(
  'every file is as in the state {string} except {string}',
  function (this: SavepointWorld, name: string, except: string) {
    assertFilesMatch(
      this,
      name,
      except.split(',').map((p) => p.trim()),
    );
  },
);

Then(
  '{string} prints the same as in the state {string}',
  function (this: SavepointWorld, view: string, name: string) {
    expect(view in GIT_VIEWS, `"${view}" is not one of: ${Object.keys(GIT_VIEWS).join(', ')}`);
    const expected = noted(this, name);
    const differences = gitDifferences(expected, this.captureState(expected.root), [view as GitView]);
    expect(differences.length === 0, differences.join('\n'));
  },
);

Then('{string} prints {string}', function (this: SavepointWorld, view: string, output: string) {
  expect(view in GIT_VIEWS, `"${view}" is not one of: ${Object.keys(GIT_VIEWS).join(', ')}`);
  expectEqual(this.captureState().git[view as GitView], withEscapes(this.expand(output)));
});

Then('{string} prints nothing', function (this: SavepointWorld, view: string) {
  expect(view in GIT_VIEWS, `"${view}" is not one of: ${Object.keys(GIT_VIEWS).join(', ')}`);
  expectEqual(this.captureState().git[view as GitView], '');
});

Then(
  'the index file is byte-for-byte as in the state {string}',
  function (this: SavepointWorld, name: string) {
    const expected = noted(this, name);
    const actual = this.captureState(expected.root);
    expect(expected.indexFile && actual.indexFile, 'the repository has no index file');
    expect(expected.indexFile.equals(actual.indexFile), 'the index file was rewritten');
  },
);
