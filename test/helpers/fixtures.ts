/**
 * Worktree contents that exercise every kind of path a snapshot must capture: modified,
 * deleted, untracked, exec-bit flips, symlinks (live, dangling, retargeted, file↔symlink),
 * deep directories, spaces, unicode and control characters in names, binary and empty
 * files, plus ignored files that must stay out of every snapshot.
 */
import { chmodSync, rmSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { execMode, plainMode } from './fs-snapshot.js';
import { commitAll, makeRepo, writeFiles } from './repo.js';

/** Paths (or directory prefixes) that `.gitignore` of {@link makeRichRepo} ignores. */
export const IGNORED = ['ignored', 'debug.log', 'sub/trace.log'];

/** Names that break naive parsers of git output. */
export const ODD_NAMES = [
  'notes/new file.txt',
  'ünïcödé/日本語 ファイル.txt',
  'tab\tand "quotes".txt',
  'line\nbreak.txt',
  '-leading-dash.txt',
  'back\\slash.txt',
];

/** A repository with a committed base that {@link makeRichChanges} then changes in every way. */
export function makeRichRepo(): string {
  const repo = makeRepo({
    'README.md': '# test\n',
    '.gitignore': 'ignored/\n*.log\n',
    'src/app.js': 'console.log(1);\n',
    'src/lib/util.js': 'export const x = 1;\n',
    'old.txt': 'to be deleted\n',
    'tool.py': '#!/usr/bin/env python3\nprint("hi")\n',
    'bin/run.sh': '#!/bin/sh\necho hi\n',
    typechange: 'a file that becomes a symlink\n',
    'gone/only.txt': 'the only file of a directory that is deleted\n',
  });
  chmodSync(path.join(repo, 'bin/run.sh'), execMode());
  symlinkSync('README.md', path.join(repo, 'link-committed'));
  commitAll(repo, 'base with exec bit and symlink');
  return repo;
}

/** Applies every kind of change to a {@link makeRichRepo} worktree (nothing staged). */
export function makeRichChanges(repo: string): void {
  const at = (name: string) => path.join(repo, name);
  writeFiles(repo, {
    'src/app.js': 'console.log(2);\n', // same size as before: only the content differs
    'a/b/c/d/e.txt': 'deep\n',
    'data.bin': Buffer.from(Array.from({ length: 256 }, (_, i) => i)),
    empty: '',
    'ignored/cache.bin': Buffer.from([0, 1, 2, 3]),
    'debug.log': 'ignored log\n',
    'sub/trace.log': 'ignored nested log\n',
    'sub/kept.txt': 'not ignored\n',
  });
  for (const name of ODD_NAMES) writeFiles(repo, { [name]: `content of ${JSON.stringify(name)}\n` });
  rmSync(at('old.txt'));
  rmSync(at('gone'), { recursive: true });
  chmodSync(at('tool.py'), execMode());
  chmodSync(at('bin/run.sh'), plainMode());
  symlinkSync('src/app.js', at('link-to-app'));
  symlinkSync('no/such/file', at('dangling'));
  symlinkSync('src', at('link-to-dir'));
  rmSync(at('link-committed'));
  symlinkSync('src/app.js', at('link-committed'));
  rmSync(at('typechange'));
  symlinkSync('README.md', at('typechange'));
}
