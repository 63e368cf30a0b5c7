/**
 * Model-based property test of snapshot fidelity (issue 3): random sequences of file
 * operations, staging, commits, `.gitignore` edits, checkpoints and rollbacks (to any earlier
 * checkpoint, safety checkpoints included) run against a real repository through the
 * library. The model is a map path → (kind, bytes, exec bit). After every rollback the
 * worktree must equal the checkpoint's files plus the ignored files that were on disk, byte
 * for byte; the index and HEAD must equal what they were at checkpoint time; an ignored
 * file standing where the checkpoint has a file is moved aside (rollback `force`) with its
 * bytes intact; a file the checkpoint's own `.gitignore` ignores is left on disk. After every checkpoint the worktree, index and HEAD are unchanged.
 * Index entries flagged skip-worktree or assume-unchanged (their edits hidden from `git
 * status`) are checkpointed and restored byte for byte like any other, their flags kept.
 * Issue 16 adds a directory replaced by a symlink to a directory outside the sandbox (which
 * must never change) and letter-case renames under `core.ignoreCase=true`.
 *
 * Runs: SAVEPOINT_FUZZ_RUNS (default 1000). Replay a failure with the seed and path
 * fast-check prints: SAVEPOINT_FUZZ_SEED=<seed> SAVEPOINT_FUZZ_PATH=<path>.
 */
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Checkpoint } from '../src/checkpoint/model.js';
import { Savepoint } from '../src/savepoint.js';

type Entry = { kind: 'file'; bytes: Buffer; exec: boolean } | { kind: 'link'; target: string };
type Files = Map<string, Entry>;

const RUNS = Number(process.env.SAVEPOINT_FUZZ_RUNS ?? 1000);
const SEED = process.env.SAVEPOINT_FUZZ_SEED ? Number(process.env.SAVEPOINT_FUZZ_SEED) : undefined;
const PATH = process.env.SAVEPOINT_FUZZ_PATH;

/** Leaf paths only, so no path is ever both a file and a directory in the model. */
const PATHS = [
  'a.txt',
  'b.txt',
  'x.log',
  'dir/c.txt',
  'dir/y.log',
  'dir/sub/d.txt',
  'e f.txt',
  'ü-ñ.txt',
  '-lead.txt',
];
const CONTENTS = [
  '',
  'one\n',
  'two\r\n',
  'mixed\r\nline\n',
  'no newline',
  '\0\x01binary\xff',
  'a\r\nb\r\n',
].map((s) => Buffer.from(s, 'latin1'));
/** .gitignore variants; each maps to a predicate in {@link ignoredBy}. */
const IGNORES = ['', '*.log\n', '*.log\nb.txt\n', 'dir/sub/\n'];

/** The tiny gitignore semantics of {@link IGNORES}: basename patterns and one directory pattern. */
function ignoredBy(gitignore: Buffer | undefined, file: string): boolean {
  const rules = (gitignore?.toString('latin1') ?? '').split('\n').filter(Boolean);
  return rules.some((rule) =>
    rule.endsWith('/')
      ? file.startsWith(rule)
      : rule.startsWith('*')
        ? file.endsWith(rule.slice(1))
        : path.posix.basename(file) === rule,
  );
}

function gitignoreOf(files: Files): Buffer | undefined {
  const entry = files.get('.gitignore');
  return entry?.kind === 'file' ? entry.bytes : undefined;
}

const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GIT_')));
function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** The worktree as the model sees it: every file and symlink outside `.git`. */
function readTree(root: string, dir = ''): Files {
  const files: Files = new Map();
  for (const name of readdirSync(path.join(root, dir))) {
    if (dir === '' && name === '.git') continue;
    const rel = dir ? `${dir}/${name}` : name;
    const full = path.join(root, rel);
    const info = lstatSync(full);
    if (info.isSymbolicLink()) files.set(rel, { kind: 'link', target: readlinkSync(full) });
    else if (info.isDirectory()) for (const [k, v] of readTree(root, rel)) files.set(k, v);
    else files.set(rel, { kind: 'file', bytes: readFileSync(full), exec: (info.mode & 0o111) !== 0 });
  }
  return files;
}

function describeFiles(files: Files): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of [...files].sort(([a], [b]) => a.localeCompare(b))) {
    out[k] = v.kind === 'link' ? `link→${v.target}` : `${v.exec ? 'x' : '-'}:${v.bytes.toString('base64')}`;
  }
  return out;
}

interface Recorded {
  checkpoint: Checkpoint;
  /** Non-ignored files at checkpoint time (what the checkpoint holds). */
  files: Files;
  /** Paths the index tracked at checkpoint time (restored with the index). */
  tracked: Set<string>;
  index: string;
  head: string;
}

interface Model {
  files: Files;
  /**
   * Paths in the user's index. git's ignore rules apply only to untracked files, so a file
   * that is tracked is part of the snapshot even when an ignore rule matches it.
   */
  tracked: Set<string>;
  checkpoints: Recorded[];
  /**
   * Index entries flagged skip-worktree or assume-unchanged, with their `ls-files -v` tag, as
   * the real index has them (read back after every command that may change them). git hides
   * such files' edits from its own walk; a checkpoint must hold their bytes on disk all the same.
   */
  flags: Map<string, string>;
}

interface Real {
  dir: string;
  savepoint: Savepoint;
  planId: string;
  /** A directory outside the sandbox that {@link LinkDirOutside} links to; never changed. */
  outside: string;
}

/** The files of the directory outside the sandbox, with names the model's paths under `dir/` also use. */
const OUTSIDE_FILES: Record<string, string> = {
  'c.txt': 'OUTSIDE c\n',
  'y.log': 'OUTSIDE ignored\n',
  'sub/d.txt': 'OUTSIDE d\n',
  'a.txt': 'OUTSIDE a\n',
};

/** True when a leading component of `file` is a file or symlink of the model: nothing can be written there. */
function beyondLeaf(files: Files | ReadonlyMap<string, Entry>, file: string): boolean {
  for (let at = file.indexOf('/'); at > 0; at = file.indexOf('/', at + 1))
    if (files.has(file.slice(0, at))) return true;
  return false;
}

const indexOf = (dir: string) => git(dir, 'ls-files', '-s');

/** `ls-files -v` tags other than `H`: lowercase is assume-unchanged, `S`/`s` skip-worktree. */
function flagsOf(dir: string): Map<string, string> {
  const flags = new Map<string, string>();
  for (const record of git(dir, 'ls-files', '-v', '-z').split('\0')) {
    if (record.length > 2 && record[0] !== 'H') flags.set(record.slice(2), record[0] as string);
  }
  return flags;
}

/** `ls-files -s -z` as path → "mode sha stage". */
function stagesOf(dir: string): Map<string, string> {
  const stages = new Map<string, string>();
  for (const record of git(dir, 'ls-files', '-s', '-z').split('\0')) {
    const tab = record.indexOf('\t');
    if (tab > 0) stages.set(record.slice(tab + 1), record.slice(0, tab));
  }
  return stages;
}

function isTracked(dir: string, file: string): boolean {
  return git(dir, 'ls-files', '-z', '--', `:(literal)${file}`).length > 0;
}
const headOf = (dir: string) => git(dir, 'rev-parse', 'HEAD').trim();

function write(dir: string, file: string, entry: Entry): void {
  const full = path.join(dir, file);
  mkdirSync(path.dirname(full), { recursive: true });
  rmSync(full, { force: true });
  if (entry.kind === 'link') symlinkSync(entry.target, full);
  else {
    writeFileSync(full, entry.bytes);
    chmodSync(full, entry.exec ? 0o755 : 0o644);
  }
}

class WriteFile implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly file: string,
    readonly bytes: Buffer,
    readonly exec: boolean,
  ) {}
  check = (m: Readonly<Model>) => !beyondLeaf(m.files, this.file);
  async run(m: Model, r: Real) {
    const entry: Entry = { kind: 'file', bytes: this.bytes, exec: this.exec };
    write(r.dir, this.file, entry);
    m.files.set(this.file, entry);
  }
  toString = () => `write(${this.file}, ${JSON.stringify(this.bytes.toString('latin1'))}, x=${this.exec})`;
}

class AppendFile implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly file: string,
    readonly bytes: Buffer,
  ) {}
  check = (m: Readonly<Model>) => m.files.get(this.file)?.kind === 'file';
  async run(m: Model, r: Real) {
    const old = m.files.get(this.file) as Extract<Entry, { kind: 'file' }>;
    const entry: Entry = { ...old, bytes: Buffer.concat([old.bytes, this.bytes]) };
    writeFileSync(path.join(r.dir, this.file), entry.bytes);
    m.files.set(this.file, entry);
  }
  toString = () => `append(${this.file}, ${JSON.stringify(this.bytes.toString('latin1'))})`;
}

class DeleteFile implements fc.AsyncCommand<Model, Real> {
  constructor(readonly file: string) {}
  check = (m: Readonly<Model>) => m.files.has(this.file);
  async run(m: Model, r: Real) {
    rmSync(path.join(r.dir, this.file));
    m.files.delete(this.file);
  }
  toString = () => `delete(${this.file})`;
}

class Chmod implements fc.AsyncCommand<Model, Real> {
  constructor(readonly file: string) {}
  check = (m: Readonly<Model>) => m.files.get(this.file)?.kind === 'file';
  async run(m: Model, r: Real) {
    const old = m.files.get(this.file) as Extract<Entry, { kind: 'file' }>;
    chmodSync(path.join(r.dir, this.file), old.exec ? 0o644 : 0o755);
    m.files.set(this.file, { ...old, exec: !old.exec });
  }
  toString = () => `chmod(${this.file})`;
}

class Symlink implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly file: string,
    readonly target: string,
  ) {}
  check = (m: Readonly<Model>) => !beyondLeaf(m.files, this.file);
  async run(m: Model, r: Real) {
    const entry: Entry = { kind: 'link', target: this.target };
    write(r.dir, this.file, entry);
    m.files.set(this.file, entry);
  }
  toString = () => `symlink(${this.file} → ${this.target})`;
}

class Rename implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly from: string,
    readonly to: string,
  ) {}
  check = (m: Readonly<Model>) =>
    this.from !== this.to && m.files.has(this.from) && !beyondLeaf(m.files, this.to);
  async run(m: Model, r: Real) {
    mkdirSync(path.dirname(path.join(r.dir, this.to)), { recursive: true });
    renameSync(path.join(r.dir, this.from), path.join(r.dir, this.to));
    m.files.set(this.to, m.files.get(this.from) as Entry);
    m.files.delete(this.from);
  }
  toString = () => `rename(${this.from} → ${this.to})`;
}

/** An empty directory: git stores none, so it is not part of the model's files; it must not disturb a rollback. */
class Mkdir implements fc.AsyncCommand<Model, Real> {
  constructor(readonly dir: string) {}
  check = (m: Readonly<Model>) =>
    ![...m.files.keys()].some((file) => file === this.dir || this.dir.startsWith(`${file}/`));
  async run(_m: Model, r: Real) {
    mkdirSync(path.join(r.dir, this.dir), { recursive: true });
  }
  toString = () => `mkdir(${this.dir})`;
}

class EditGitignore implements fc.AsyncCommand<Model, Real> {
  constructor(readonly content: string | null) {}
  check = () => true;
  async run(m: Model, r: Real) {
    if (this.content === null) {
      rmSync(path.join(r.dir, '.gitignore'), { force: true });
      m.files.delete('.gitignore');
    } else {
      const entry: Entry = { kind: 'file', bytes: Buffer.from(this.content), exec: false };
      write(r.dir, '.gitignore', entry);
      m.files.set('.gitignore', entry);
    }
  }
  toString = () => `gitignore(${JSON.stringify(this.content)})`;
}

/**
 * `git update-index --[no-]skip-worktree` on a tracked file (a no-op on an untracked one). The
 * file's later edits are hidden from `git status`, not from a checkpoint.
 */
class SkipWorktree implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly file: string,
    readonly set: boolean,
  ) {}
  check = () => true;
  async run(m: Model, r: Real) {
    if (isTracked(r.dir, this.file))
      git(r.dir, 'update-index', this.set ? '--skip-worktree' : '--no-skip-worktree', '--', this.file);
    m.flags = flagsOf(r.dir);
  }
  toString = () => `skipWorktree(${this.file}, ${this.set})`;
}

/** `git update-index --[no-]assume-unchanged` on a tracked file (a no-op on an untracked one). */
class AssumeUnchanged implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly file: string,
    readonly set: boolean,
  ) {}
  check = () => true;
  async run(m: Model, r: Real) {
    if (isTracked(r.dir, this.file))
      git(r.dir, 'update-index', this.set ? '--assume-unchanged' : '--no-assume-unchanged', '--', this.file);
    m.flags = flagsOf(r.dir);
  }
  toString = () => `assumeUnchanged(${this.file}, ${this.set})`;
}

/**
 * Removes savepoint's stat cache (`.git/savepoint/raw-index` and its state), as a fresh clone
 * of the plan's database would find it: the next scan starts from a copy of the real index,
 * flags included.
 */
class DropStatCache implements fc.AsyncCommand<Model, Real> {
  check = () => true;
  async run(_m: Model, r: Real) {
    for (const name of ['raw-index', 'raw-index.state'])
      rmSync(path.join(r.dir, '.git', 'savepoint', name), { force: true });
  }
  toString = () => 'dropStatCache()';
}

class Stage implements fc.AsyncCommand<Model, Real> {
  constructor(readonly file: string) {}
  // A flagged entry is not restaged: git refuses a skip-worktree path (without --sparse) and
  // takes an assume-unchanged file as unchanged.
  check = (m: Readonly<Model>) =>
    m.files.has(this.file) &&
    !m.flags.has(this.file) &&
    !unsnapshotted(m.files as Files, m.tracked, this.file);
  async run(m: Model, r: Real) {
    // -f: git refuses to add even a tracked file whose directory an ignore rule matches
    // (git 2.39: "The following paths are ignored"); check() never picks an untracked ignored one.
    git(r.dir, 'add', '-f', '--', this.file);
    m.tracked.add(this.file);
  }
  toString = () => `stage(${this.file})`;
}

class Commit implements fc.AsyncCommand<Model, Real> {
  check = () => true;
  async run(m: Model, r: Real) {
    git(r.dir, 'add', '-A');
    git(r.dir, 'commit', '-q', '--allow-empty', '-m', 'agent');
    // add -A: every file not ignored, plus files already tracked; deleted files leave the index.
    const gitignore = gitignoreOf(m.files);
    m.tracked = new Set([...m.files.keys()].filter((f) => m.tracked.has(f) || !ignoredBy(gitignore, f)));
    // add -A leaves flagged entries as they are (a skip-worktree one stays even when its file is gone).
    if (m.flags.size > 0) m.tracked = new Set(git(r.dir, 'ls-files', '-z').split('\0').filter(Boolean));
  }
  toString = () => 'commit()';
}

/** Every file the model says is on disk, ignored or not, must be there byte for byte. */
function assertWorktree(m: Model, r: Real) {
  expect(describeFiles(readTree(r.dir))).toEqual(describeFiles(m.files));
}

function record(m: Model, recorded: Recorded) {
  if (!m.checkpoints.some((c) => c.checkpoint.checkpointId === recorded.checkpoint.checkpointId)) {
    m.checkpoints.push(recorded);
  }
}

/** True when a snapshot leaves `file` out: an ignore rule matches it and the index does not track it. */
function unsnapshotted(files: Files, tracked: ReadonlySet<string>, file: string): boolean {
  return ignoredBy(gitignoreOf(files), file) && !tracked.has(file);
}

function snapshotOf(files: Files, tracked: ReadonlySet<string>): Files {
  return new Map([...files].filter(([file]) => !unsnapshotted(files, tracked, file)));
}

class TakeCheckpoint implements fc.AsyncCommand<Model, Real> {
  check = () => true;
  async run(m: Model, r: Real) {
    const index = indexOf(r.dir);
    const head = headOf(r.dir);
    const { checkpoint } = await r.savepoint.checkpoints.create(r.planId, {});
    // A checkpoint never disturbs the sandbox.
    assertWorktree(m, r);
    expect(indexOf(r.dir)).toBe(index);
    expect(headOf(r.dir)).toBe(head);
    expect(flagsOf(r.dir)).toEqual(m.flags);
    record(m, {
      checkpoint,
      files: snapshotOf(m.files, m.tracked),
      tracked: new Set(m.tracked),
      index,
      head,
    });
  }
  toString = () => 'checkpoint()';
}

class Rollback implements fc.AsyncCommand<Model, Real> {
  constructor(readonly pick: number) {}
  check = (m: Readonly<Model>) => m.checkpoints.length > 0;
  async run(m: Model, r: Real) {
    const target = m.checkpoints[this.pick % m.checkpoints.length] as Recorded;
    const before = {
      files: new Map(m.files),
      tracked: new Set(m.tracked),
      index: indexOf(r.dir),
      head: headOf(r.dir),
      stages: stagesOf(r.dir),
    };
    const report = await r.savepoint.rollbacks.rollback({
      planId: r.planId,
      checkpointId: target.checkpoint.checkpointId,
      force: true,
      confirm: async () => true,
    });
    const ignoredNow = [...before.files].filter(([file]) =>
      unsnapshotted(before.files, before.tracked, file),
    );
    // Expected: the checkpoint's files, plus ignored files that do not stand in their way (at a
    // checkpoint path, or under a path where the checkpoint has a file or symlink).
    const expected: Files = new Map(target.files);
    const inWay = (file: string) => target.files.has(file) || beyondLeaf(target.files, file);
    for (const [file, entry] of ignoredNow) if (!inWay(file)) expected.set(file, entry);
    // Files the checkpoint's own rules ignore are not the checkpoint's business: they stay.
    const targetIgnore = gitignoreOf(target.files);
    const preserved = [...before.files.keys()].filter(
      (file) =>
        !target.files.has(file) &&
        !beyondLeaf(target.files, file) &&
        !unsnapshotted(before.files, before.tracked, file) &&
        ignoredBy(targetIgnore, file),
    );
    for (const file of preserved) expected.set(file, before.files.get(file) as Entry);
    expect([...report.preserved].sort()).toEqual(preserved.sort());
    m.files = expected;
    m.tracked = new Set(target.tracked);
    assertWorktree(m, r);
    expect(indexOf(r.dir)).toBe(target.index);
    expect(headOf(r.dir)).toBe(target.head);
    // Index flags: an entry the rollback left as it was keeps its flags, a rewritten one keeps
    // skip-worktree (as `read-tree --reset` does) and loses assume-unchanged; none gains one.
    const stagesAfter = stagesOf(r.dir);
    const flagsAfter = flagsOf(r.dir);
    for (const [file, tag] of flagsAfter) expect(m.flags.has(file), `${file} gained ${tag}`).toBe(true);
    for (const [file, tag] of m.flags) {
      if (!stagesAfter.has(file)) continue;
      const expectedTag =
        before.stages.get(file) === stagesAfter.get(file)
          ? tag
          : tag === 'S' || tag === 's'
            ? 'S'
            : undefined;
      expect(flagsAfter.get(file), file).toBe(expectedTag);
    }
    m.flags = flagsAfter;
    // Ignored files in the way were moved aside, bytes intact.
    const inTheWay = ignoredNow.filter(([file]) => inWay(file)).map(([file]) => file);
    expect(report.movedAside.map((moved) => moved.path).sort()).toEqual(inTheWay.sort());
    for (const moved of report.movedAside) {
      const entry = before.files.get(moved.path) as Entry;
      if (entry.kind === 'file') expect(readFileSync(moved.movedTo).equals(entry.bytes)).toBe(true);
    }
    // The safety checkpoint holds the state from before the rollback: a later rollback to it is an undo.
    const safety = r.savepoint.checkpoints.get(report.safetyCheckpointId as string);
    record(m, {
      checkpoint: safety,
      files: snapshotOf(before.files, before.tracked),
      tracked: before.tracked,
      index: before.index,
      head: before.head,
    });
  }
  toString = () => `rollback(#${this.pick})`;
}

/**
 * Issue 16: a directory of the worktree replaced by a symbolic link to a directory outside the
 * sandbox whose files have the names the model uses under it. Scans record the link as a link;
 * rollbacks replace it by the directory (and back); nothing outside is ever read, moved or
 * written (checked after every run).
 */
class LinkDirOutside implements fc.AsyncCommand<Model, Real> {
  constructor(readonly dir: string) {}
  check = (m: Readonly<Model>) => !m.files.has(this.dir) && !beyondLeaf(m.files, this.dir);
  async run(m: Model, r: Real) {
    const full = path.join(r.dir, this.dir);
    rmSync(full, { recursive: true, force: true });
    mkdirSync(path.dirname(full), { recursive: true });
    symlinkSync(r.outside, full);
    for (const file of [...m.files.keys()]) if (file.startsWith(`${this.dir}/`)) m.files.delete(file);
    m.files.set(this.dir, { kind: 'link', target: r.outside });
  }
  toString = () => `linkOutside(${this.dir})`;
}

/** Issue 16: `core.ignoreCase` switched on or off on this case-sensitive file system. */
class SetIgnoreCase implements fc.AsyncCommand<Model, Real> {
  constructor(readonly on: boolean) {}
  check = () => true;
  async run(_m: Model, r: Real) {
    git(r.dir, 'config', 'core.ignoreCase', String(this.on));
  }
  toString = () => `ignoreCase(${this.on})`;
}

/** Names that differ only in letter case; none is matched by an ignore rule of {@link IGNORES} in any case. */
const CASE_RENAMES: Record<string, string> = {
  'a.txt': 'A.txt',
  'A.txt': 'a.txt',
  'dir/c.txt': 'dir/C.txt',
  'dir/C.txt': 'dir/c.txt',
  'e f.txt': 'E F.txt',
  'ü-ñ.txt': 'Ü-Ñ.txt',
};

/**
 * Issue 16: with `core.ignoreCase=true` (set here; {@link SetIgnoreCase} may turn it off again),
 * a rename that changes only the letter case (README → readme), plus an edit.
 */
class RenameCase implements fc.AsyncCommand<Model, Real> {
  readonly to: string;
  constructor(readonly from: string) {
    this.to = CASE_RENAMES[from] as string;
  }
  check = (m: Readonly<Model>) =>
    m.files.get(this.from)?.kind === 'file' && !m.files.has(this.to) && !beyondLeaf(m.files, this.to);
  async run(m: Model, r: Real) {
    const old = m.files.get(this.from) as Extract<Entry, { kind: 'file' }>;
    const entry: Entry = { ...old, bytes: Buffer.concat([old.bytes, Buffer.from('edited\n')]) };
    git(r.dir, 'config', 'core.ignoreCase', 'true');
    renameSync(path.join(r.dir, this.from), path.join(r.dir, this.to));
    writeFileSync(path.join(r.dir, this.to), entry.bytes);
    m.files.delete(this.from);
    m.files.set(this.to, entry);
  }
  toString = () => `renameCase(${this.from} → ${this.to}, ignoreCase=true)`;
}

const pathArb = fc.constantFrom(...PATHS);
const commands = [
  fc.tuple(pathArb, fc.constantFrom(...CONTENTS), fc.boolean()).map(([f, b, x]) => new WriteFile(f, b, x)),
  fc.tuple(pathArb, fc.constantFrom(...CONTENTS)).map(([f, b]) => new AppendFile(f, b)),
  pathArb.map((f) => new DeleteFile(f)),
  pathArb.map((f) => new Chmod(f)),
  fc
    .tuple(pathArb, fc.constantFrom('a.txt', 'dir', 'missing', '../outside'))
    .map(([f, t]) => new Symlink(f, t)),
  fc.tuple(pathArb, pathArb).map(([a, b]) => new Rename(a, b)),
  fc.constantFrom('empty', 'dir/empty', 'dir/sub/empty').map((d) => new Mkdir(d)),
  fc.option(fc.constantFrom(...IGNORES), { nil: null }).map((c) => new EditGitignore(c)),
  pathArb.map((f) => new Stage(f)),
  // Biased to a.txt, the file the template tracks: a flag needs a tracked entry.
  fc.tuple(fc.oneof(fc.constant('a.txt'), pathArb), fc.boolean()).map(([f, set]) => new SkipWorktree(f, set)),
  fc
    .tuple(fc.oneof(fc.constant('a.txt'), pathArb), fc.boolean())
    .map(([f, set]) => new AssumeUnchanged(f, set)),
  fc.constant(new DropStatCache()),
  fc.constant(new Commit()),
  fc.constant(new TakeCheckpoint()),
  fc.nat(20).map((n) => new Rollback(n)),
  fc.constantFrom('dir', 'dir/sub').map((d) => new LinkDirOutside(d)),
  fc.boolean().map((on) => new SetIgnoreCase(on)),
  fc.constantFrom(...Object.keys(CASE_RENAMES)).map((f) => new RenameCase(f)),
];

describe('snapshot fidelity (model-based)', () => {
  let template: string;
  let work: string;

  beforeAll(() => {
    work = realpathSync(mkdtempSync(path.join(tmpdir(), 'savepoint-model-')));
    template = path.join(work, 'template');
    mkdirSync(template);
    git(template, 'init', '-q', '-b', 'main');
    git(template, 'config', 'user.name', 'Model');
    git(template, 'config', 'user.email', 'model@example.com');
    git(template, 'config', 'gc.auto', '0');
    writeFileSync(path.join(template, 'a.txt'), 'base\n');
    writeFileSync(path.join(template, '.gitignore'), '*.log\n');
    // A committed file under `dir/`, so that linkOutside(dir) has a checkpoint directory to replace from the start.
    mkdirSync(path.join(template, 'dir'));
    writeFileSync(path.join(template, 'dir', 'c.txt'), 'base c\n');
    git(template, 'add', '-A');
    git(template, 'commit', '-q', '-m', 'base');
  });

  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it(
    `round-trips ${RUNS} random sequences byte-exactly`,
    async () => {
      let n = 0;
      await fc.assert(
        fc.asyncProperty(fc.commands(commands, { maxCommands: 14 }), async (cmds) => {
          const dir = path.join(work, `run-${n}`);
          const outside = path.join(work, `outside-${n++}`);
          cpSync(template, dir, { recursive: true, verbatimSymlinks: true });
          for (const [file, text] of Object.entries(OUTSIDE_FILES)) {
            mkdirSync(path.dirname(path.join(outside, file)), { recursive: true });
            writeFileSync(path.join(outside, file), text);
          }
          const savepoint = await Savepoint.open({ cwd: dir });
          try {
            const { plan, checkpoint } = await savepoint.plans.create({ sandbox: dir });
            const files = readTree(dir);
            const tracked = new Set(git(dir, 'ls-files', '-z').split('\0').filter(Boolean));
            const model: Model = {
              files,
              tracked,
              flags: new Map(),
              checkpoints: [
                {
                  checkpoint,
                  files: snapshotOf(files, tracked),
                  tracked: new Set(tracked),
                  index: indexOf(dir),
                  head: headOf(dir),
                },
              ],
            };
            await fc.asyncModelRun(
              () => ({ model, real: { dir, savepoint, planId: plan.planId, outside } }),
              cmds,
            );
            // Nothing outside the sandbox was read through a link, moved aside or written.
            expect(describeFiles(readTree(outside))).toEqual(
              describeFiles(
                new Map(
                  Object.entries(OUTSIDE_FILES).map(([file, text]) => [
                    file,
                    { kind: 'file', bytes: Buffer.from(text), exec: false },
                  ]),
                ),
              ),
            );
          } finally {
            savepoint.close();
            rmSync(dir, { recursive: true, force: true });
            rmSync(outside, { recursive: true, force: true });
          }
        }),
        {
          numRuns: RUNS,
          ...(SEED === undefined ? {} : { seed: SEED }),
          ...(PATH === undefined ? {} : { path: PATH }),
        },
      );
    },
    Math.max(600_000, RUNS * 1_000),
  );
});
