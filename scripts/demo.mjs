#!/usr/bin/env node
/**
 * savepoint demo: a throwaway git repository, an agent's edits, a rollback, an undo — all
 * through the real built CLI (bin/run.js, as a child process), verified byte for byte.
 *
 *   node scripts/demo.mjs [--keep]      (npm run demo builds first)
 *
 * --keep leaves the temporary repository on disk and prints its path.
 * Exits 0 when every check passes, 1 when a check fails, 2 on a setup problem.
 * Node built-ins only.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = path.join(root, 'bin', 'run.js');
const keep = process.argv.includes('--keep');

const useColor = process.stdout.isTTY && !process.env.NO_COLOR && process.env.TERM !== 'dumb';
const paint = (code) => (text) => (useColor ? `\u001b[${code}m${text}\u001b[0m` : text);
const bold = paint('1');
const dim = paint('2');
const green = paint('32');
const red = paint('31');
const cyan = paint('36');

/** The environment of every child: no inherited GIT_* (they would redirect git) and no SAVEPOINT_DB. */
const env = {};
for (const [key, value] of Object.entries(process.env)) {
  if (!key.startsWith('GIT_') && key !== 'SAVEPOINT_DB' && key !== 'FORCE_COLOR') env[key] = value;
}
Object.assign(env, { GIT_CONFIG_NOSYSTEM: '1', LC_ALL: 'C' });

function fail(message, code = 1) {
  console.error(red(`demo failed: ${message}`));
  process.exit(code);
}

if (!existsSync(path.join(root, 'dist', 'index.js'))) {
  fail('dist/ is missing: build first (npm run build), or run `npm run demo`', 2);
}

const repo = realpathSync(mkdtempSync(path.join(tmpdir(), 'savepoint-demo-')));
process.on('exit', () => {
  if (keep) console.log(dim(`\nkept the demo repository: ${repo}`));
  else rmSync(repo, { recursive: true, force: true });
});

const file = (name) => path.join(repo, name);
const write = (name, content) => {
  mkdirSync(path.dirname(file(name)), { recursive: true });
  writeFileSync(file(name), content);
};
const git = (...args) =>
  execFileSync('git', args, { cwd: repo, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();

function section(title) {
  console.log(`\n${bold(cyan(`== ${title}`))}`);
}

/** Prints what the agent does to the sandbox, one line per change. */
function agent(line) {
  console.log(`${dim('agent:')} ${line}`);
}

/** Runs the real CLI in the demo repository, echoing the command line; returns stdout. */
function savepoint(args, { show = true } = {}) {
  console.log(
    `${bold('$')} savepoint ${args.map((a) => (/[\s"']/.test(a) ? JSON.stringify(a) : a)).join(' ')}`,
  );
  const run = spawnSync(process.execPath, [bin, ...args], { cwd: repo, env, encoding: 'utf8' });
  if (run.status !== 0) {
    process.stdout.write(run.stdout);
    process.stderr.write(run.stderr);
    fail(`savepoint ${args.join(' ')} exited with ${run.status ?? run.signal}`);
  }
  if (show && run.stdout.trim()) console.log(run.stdout.trimEnd().replace(/^/gm, '  '));
  return run.stdout;
}

/** Runs the CLI with --json and returns the parsed result. */
function savepointJson(args) {
  const out = savepoint([...args, '--json'], { show: false });
  try {
    return JSON.parse(out);
  } catch {
    return fail(`not JSON on stdout of savepoint ${args.join(' ')}: ${out}`);
  }
}

const IGNORED = ['debug.log', 'build/cache.bin'];

/**
 * Everything a rollback promises to restore, as comparable data: every non-ignored file's
 * bytes, exec bit and symlink target; the index (staged state); HEAD.
 */
function capture() {
  const files = new Map();
  const walk = (dir) => {
    for (const entry of readdirSync(path.join(repo, dir), { withFileTypes: true })) {
      const rel = dir ? `${dir}/${entry.name}` : entry.name;
      if (rel === '.git' || IGNORED.includes(rel)) continue;
      if (entry.isDirectory()) walk(rel);
      else if (entry.isSymbolicLink()) files.set(rel, `symlink -> ${readlinkSync(file(rel))}`);
      else {
        const mode = (lstatSync(file(rel)).mode & 0o111) !== 0 ? 'exec' : 'plain';
        files.set(rel, `${mode} ${readFileSync(file(rel)).toString('base64')}`);
      }
    }
  };
  walk('');
  return { files, index: git('ls-files', '--stage'), head: git('rev-parse', 'HEAD') };
}

/** Bytes and mtime of the ignored files, which no savepoint command may touch. */
function ignoredState() {
  return IGNORED.filter((name) => existsSync(file(name))).map((name) => ({
    name,
    bytes: readFileSync(file(name)).toString('base64'),
    mtimeMs: statSync(file(name)).mtimeMs,
  }));
}

function verify(label, expected, expectedIgnored) {
  const actual = capture();
  const problems = [];
  for (const [name, value] of expected.files) {
    if (!actual.files.has(name)) problems.push(`${name}: missing`);
    else if (actual.files.get(name) !== value) problems.push(`${name}: content or mode differs`);
  }
  for (const name of actual.files.keys())
    if (!expected.files.has(name)) problems.push(`${name}: unexpected file`);
  if (actual.index !== expected.index) problems.push('the index (staged state) differs');
  if (actual.head !== expected.head) problems.push(`HEAD is ${actual.head}, expected ${expected.head}`);
  const ignoredNow = ignoredState();
  if (JSON.stringify(ignoredNow) !== JSON.stringify(expectedIgnored))
    problems.push('an ignored file changed');
  if (problems.length > 0) {
    for (const problem of problems) console.error(red(`  ✗ ${problem}`));
    fail(`${label}: the sandbox is not what it was`);
  }
  const n = expected.files.size;
  console.log(
    green(
      `verified: ${n} files byte-identical, index and HEAD identical, ignored ${ignoredNow.length === 1 ? 'file' : 'files'} untouched (${label})`,
    ),
  );
}

const started = Date.now();

// ---------------------------------------------------------------------------------------
section(`a throwaway repository in ${repo}`);
git('init', '-q', '-b', 'main');
git('config', 'user.name', 'Demo');
git('config', 'user.email', 'demo@example.com');
git('config', 'commit.gpgSign', 'false');
git('config', 'gc.auto', '0');
write('README.md', '# demo\n');
write('src/app.js', "export const greet = (name) => 'hello ' + name;\n");
write('src/legacy.js', '// to be removed by the agent\nexport const old = true;\n');
write('scripts/build.sh', '#!/bin/sh\necho building\n');
write('.gitignore', 'debug.log\nbuild/\n');
git('add', '-A');
git('commit', '-q', '-m', 'initial');
write('debug.log', 'ignored: savepoint must never touch this\n');
console.log('5 files committed on main; debug.log is ignored (.gitignore)');

// ---------------------------------------------------------------------------------------
section('start a plan and take a checkpoint before the first risky step');
const plan = savepointJson(['plan', 'create', '--name', 'demo']);
console.log(`  planId ${bold(plan.planId)}  state ${plan.state}  checkpoint #1 ${plan.checkpointId}`);
const first = savepointJson(['checkpoint', 'create', '--plan', plan.planId, '--reason', 'before refactor']);
console.log(
  `  checkpointId ${first.checkpointId}  seq ${first.seq}  deduplicated ${first.deduplicated}` +
    dim(first.deduplicated ? '  (nothing changed since #1, so #1 is reused)' : ''),
);

// ---------------------------------------------------------------------------------------
section('the agent edits');
write('src/app.js', "export const greet = (name) => 'hello, ' + name + '!';\n");
agent('modify   src/app.js');
write('src/util/strings.js', 'export const shout = (s) => s.toUpperCase();\n');
write('src/util/index.js', "export * from './strings.js';\n");
agent('create   src/util/strings.js, src/util/index.js');
unlinkSync(file('src/legacy.js'));
agent('delete   src/legacy.js');
chmodSync(file('scripts/build.sh'), 0o755);
agent('chmod +x scripts/build.sh');
symlinkSync('app.js', file('src/main.js'));
agent('symlink  src/main.js -> app.js');
git('add', 'src/app.js');
agent('git add  src/app.js');

const edit = savepointJson(['checkpoint', 'create', '--plan', plan.planId, '--tool', 'Edit']);
console.log(`  checkpointId ${bold(edit.checkpointId)}  seq ${edit.seq}  deduplicated ${edit.deduplicated}`);
const atCheckpoint = capture();
const ignoredBefore = ignoredState();

// ---------------------------------------------------------------------------------------
section('the agent goes on (and this is the part we will want back out)');
write('src/app.js', 'export const greet = () => { throw new Error("oops"); };\n');
agent('modify   src/app.js again');
write('src/util/strings.js', 'export const shout = (s) => s;\n');
agent('modify   src/util/strings.js');
unlinkSync(file('README.md'));
agent('delete   README.md');
write('notes/todo.md', '- rewrite everything\n');
agent('create   notes/todo.md');
git('add', '-A');
git('commit', '-q', '-m', 'agent: wip');
agent('git commit -am "agent: wip"   (HEAD moves)');
write('build/cache.bin', 'ignored build output, created after the checkpoint\n');
agent('create   build/cache.bin (ignored)');
const beforeRollback = capture();
const ignoredAfterEdits = ignoredState();

// ---------------------------------------------------------------------------------------
section('preview, then roll back to the Edit checkpoint');
savepoint(['plan', 'rollback', plan.planId, edit.checkpointId, '--dry-run']);
savepoint(['plan', 'rollback', plan.planId, edit.checkpointId, '--yes']);
verify(`checkpoint #${edit.seq}`, atCheckpoint, ignoredAfterEdits);
if (!ignoredBefore.every((f) => ignoredAfterEdits.some((g) => JSON.stringify(f) === JSON.stringify(g)))) {
  fail('an ignored file changed between checkpoint and rollback');
}

// ---------------------------------------------------------------------------------------
section('undo the rollback: roll back to its safety checkpoint');
const { checkpoints } = savepointJson(['checkpoint', 'list', '--plan', plan.planId]);
for (const c of checkpoints) {
  const about = [c.metadata.reason, c.metadata.tool && `tool ${c.metadata.tool}`].filter(Boolean).join(', ');
  console.log(`  #${c.seq} ${c.checkpointId}  ${c.metadata.kind.padEnd(7)}  ${about}`);
}
const safety = checkpoints.findLast(
  (c) => c.metadata.kind === 'safety' && c.metadata.rollbackTarget === edit.checkpointId,
);
if (!safety) fail('no safety checkpoint recorded for the rollback');
const undo = savepointJson(['plan', 'rollback', plan.planId, safety.checkpointId, '--yes']);
const { added, modified, deleted, total } = undo.restored;
console.log(
  `  restored ${total} files (${added} added, ${modified} modified, ${deleted} deleted), HEAD ${undo.head.action}` +
    `, new safety checkpoint ${undo.safetyCheckpointId}, ${undo.durationMs} ms`,
);
verify('undo', beforeRollback, ignoredAfterEdits);

console.log(dim(`\ndone in ${((Date.now() - started) / 1000).toFixed(1)} s`));
