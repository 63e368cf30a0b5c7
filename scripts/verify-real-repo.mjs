#!/usr/bin/env node
// Round-trip check on a real multi-thousand-file repository (issue 2, "Done when"):
// commits a copy of a directory tree (default: this project's node_modules) into a scratch
// repo, lets "an agent" create, modify, delete, chmod, symlink and stage files (tracked and
// untracked) and commit, then rolls back with the built CLI and compares every byte, mode,
// symlink, the index and HEAD; then undoes through the safety checkpoint and compares again.
//
//   node scripts/verify-real-repo.mjs [SOURCE_DIR] [--keep]
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  cpSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const args = process.argv.slice(2);
const keep = args.includes('--keep');
const source = path.resolve(args.find((a) => !a.startsWith('--')) ?? path.join(root, 'node_modules'));
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GIT_')));
const repo = mkdtempSync(path.join(tmpdir(), 'savepoint-real-'));

const git = (...a) => execFileSync('git', a, { cwd: repo, env, encoding: 'utf8', maxBuffer: 1 << 30 });
const savepoint = (...a) => {
  const started = process.hrtime.bigint();
  const out = execFileSync(process.execPath, [path.join(root, 'bin/run.js'), ...a, '--json'], {
    cwd: repo,
    env,
    encoding: 'utf8',
  });
  return { ...JSON.parse(out), wallMs: Number((process.hrtime.bigint() - started) / 1_000_000n) };
};
const list = (...flags) =>
  git('ls-files', '-z', ...flags)
    .split('\0')
    .filter(Boolean);

/** path → "mode:sha256" (or "link:target") for the given files. */
function manifest(files) {
  const m = new Map();
  for (const f of files) {
    const full = path.join(repo, f);
    const st = lstatSync(full, { throwIfNoEntry: false });
    if (!st) continue;
    if (st.isSymbolicLink()) m.set(f, `link:${readlinkSync(full)}`);
    else if (st.isFile())
      m.set(
        f,
        `${st.mode & 0o111 ? 'x' : '-'}:${createHash('sha256').update(readFileSync(full)).digest('hex')}`,
      );
  }
  return m;
}
const state = () => ({
  files: manifest(list('-c', '-o', '--exclude-standard')),
  ignored: manifest(list('-o', '-i', '--exclude-standard')),
  index: git('ls-files', '-s'),
  head: git('rev-parse', 'HEAD').trim(),
});
function compare(label, expected, actual) {
  const problems = [];
  for (const [f, v] of expected.files)
    if (actual.files.get(f) !== v) problems.push(`${f}: expected ${v}, got ${actual.files.get(f)}`);
  for (const f of actual.files.keys()) if (!expected.files.has(f)) problems.push(`${f}: should not exist`);
  if (expected.index !== actual.index) problems.push('index differs');
  if (expected.head !== actual.head) problems.push(`HEAD ${actual.head} != ${expected.head}`);
  if (problems.length) {
    console.error(`${label}: ${problems.length} differences\n  ${problems.slice(0, 20).join('\n  ')}`);
    process.exitCode = 1;
  } else console.log(`${label}: ${expected.files.size} files byte-identical, index and HEAD equal`);
}

try {
  git('init', '-q', '-b', 'main');
  git('config', 'user.name', 'Verifier');
  git('config', 'user.email', 'verifier@example.com');
  cpSync(source, path.join(repo, 'tree'), { recursive: true, verbatimSymlinks: true });
  writeFileSync(path.join(repo, '.gitignore'), '*.log\nbuild/\n');
  writeFileSync(path.join(repo, 'keep.log'), 'ignored before\n');
  git('add', '-A');
  git('commit', '-q', '-m', 'import');
  const tracked = list().filter((f) => f.startsWith('tree/') && lstatSync(path.join(repo, f)).isFile());
  console.log(`repo: ${repo} (${tracked.length} tracked files from ${source})`);

  const plan = savepoint('plan', 'create', '--name', 'verify');
  // The agent's first round: modify, delete, create, chmod, symlink, stage some of it.
  const pick = (n, offset) =>
    Array.from({ length: n }, (_, i) => tracked[(offset + i * 97) % tracked.length]);
  for (const f of pick(30, 1))
    writeFileSync(path.join(repo, f), `${readFileSync(path.join(repo, f), 'utf8')}\n// agent edit 1\n`);
  for (const f of pick(10, 5)) rmSync(path.join(repo, f), { force: true });
  mkdirSync(path.join(repo, 'agent', 'new dir'), { recursive: true });
  for (let i = 0; i < 15; i++)
    writeFileSync(path.join(repo, 'agent', 'new dir', `file ${i} ✓.txt`), `new ${i}\n`);
  chmodSync(path.join(repo, pick(1, 9)[0]), 0o755);
  symlinkSync('../tree', path.join(repo, 'agent', 'link-to-tree'));
  git('add', '--', ...pick(5, 1), 'agent/new dir/file 0 ✓.txt');
  const cp = savepoint('checkpoint', 'create', '--plan', plan.planId, '--reason', 'after round 1');
  console.log(`checkpoint create: ${cp.wallMs} ms (CLI end to end)`);
  const atCheckpoint = state();

  // Round two: more of everything, an ignored file and a commit.
  for (const f of pick(40, 3))
    if (lstatSync(path.join(repo, f), { throwIfNoEntry: false }))
      writeFileSync(path.join(repo, f), 'rewritten\n');
  for (const f of pick(10, 7)) rmSync(path.join(repo, f), { force: true });
  for (let i = 0; i < 20; i++) writeFileSync(path.join(repo, `agent/new dir/late ${i}.txt`), `late ${i}\n`);
  unlinkSync(path.join(repo, 'agent', 'link-to-tree'));
  writeFileSync(path.join(repo, 'build.log'), 'ignored after\n');
  git('add', '-A', 'agent');
  git('commit', '-q', '-m', 'agent commit');
  const before = state();

  const rollback = savepoint('plan', 'rollback', plan.planId, cp.checkpointId, '--yes');
  console.log(
    `rollback: restored ${JSON.stringify(rollback.restored)} in ${rollback.durationMs} ms (${rollback.wallMs} ms CLI)`,
  );
  const after = state();
  compare('after rollback', atCheckpoint, after);
  if ([...before.ignored].some(([f, v]) => after.ignored.get(f) !== v)) {
    console.error('ignored files changed');
    process.exitCode = 1;
  } else console.log(`ignored files untouched: ${before.ignored.size}`);

  const undo = savepoint('plan', 'rollback', plan.planId, rollback.safetyCheckpointId, '--yes');
  console.log(`undo: restored ${JSON.stringify(undo.restored)} in ${undo.durationMs} ms`);
  compare('after undo', before, state());
} finally {
  if (keep) console.log(`kept ${repo}`);
  else rmSync(repo, { recursive: true, force: true });
}
