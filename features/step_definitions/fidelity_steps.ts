/**
 * Set-ups and checks of the fidelity feature: exact bytes, large files, submodules, sparse
 * checkout, garbage collection, moved-aside files.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Given, Then } from '@cucumber/cucumber';
import { expect, expectEqual } from '../support/expect.js';
import { type SavepointWorld, withEscapes } from '../support/world.js';

Given('a file {string} of {int} bytes', function (this: SavepointWorld, file: string, size: number) {
  const full = this.resolvePath(file);
  mkdirSync(path.dirname(full), { recursive: true });
  writeFileSync(full, Buffer.alloc(size, 0x61));
});

Given('a submodule in {string}', function (this: SavepointWorld, dir: string) {
  const source = path.join(this.tmp, `submodule-source-${dir.replace(/\W/g, '-')}`);
  mkdirSync(source, { recursive: true });
  this.git(['init', '-q', '-b', 'main'], source);
  writeFileSync(path.join(source, 'sub.txt'), 'submodule file\n');
  this.git(['add', '-A'], source);
  this.git(['-c', 'user.name=S', '-c', 'user.email=s@example.com', 'commit', '-q', '-m', 'sub'], source);
  this.git(['-c', 'protocol.file.allow=always', 'submodule', 'add', '-q', source, dir]);
  this.git(['commit', '-q', '-m', `add submodule ${dir}`]);
});

Given('the repository has a sparse checkout of {string}', function (this: SavepointWorld, dir: string) {
  this.git(['sparse-checkout', 'set', '--no-cone', `/${dir}/`, '/*.txt']);
});

Given('all unreachable objects are pruned from the repository', function (this: SavepointWorld) {
  this.git(['reflog', 'expire', '--expire=now', '--all']);
  this.git(['gc', '-q', '--prune=now']);
});

Then(
  'the file {string} has the exact bytes {string}',
  function (this: SavepointWorld, file: string, bytes: string) {
    const actual = readFileSync(this.resolvePath(file));
    const expected = Buffer.from(withEscapes(this.expand(bytes)), 'latin1');
    expectEqual(
      JSON.stringify(actual.toString('latin1')),
      JSON.stringify(expected.toString('latin1')),
      `bytes of ${file}`,
    );
  },
);

Then(
  'the JSON {string} names {string} as moved aside with its content {string}',
  function (this: SavepointWorld, where: string, file: string, content: string) {
    const moved = (this.last().json as Record<string, unknown>)[where] as Array<{
      path: string;
      movedTo: string;
    }>;
    const entry = moved.find((m) => m.path === file);
    expect(entry !== undefined, `${file} is not in ${where}: ${JSON.stringify(moved)}`);
    expect(existsSync((entry as { movedTo: string }).movedTo), `${entry?.movedTo} does not exist`);
    expectEqual(
      readFileSync((entry as { movedTo: string }).movedTo, 'utf8'),
      withEscapes(content),
      `moved-aside ${file}`,
    );
  },
);
