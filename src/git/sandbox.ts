/**
 * The git adapter of the {@link GitSandbox} and {@link SandboxProvider} ports: snapshots a
 * worktree into trees and commits without touching it, and restores one path-by-path.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Stats } from 'node:fs';
import {
  copyFile,
  cp,
  link,
  lstat,
  mkdir,
  mkdtemp,
  open,
  readdir,
  readFile,
  realpath,
  rename,
  rm,
  rmdir,
  stat,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { PathInTheWayError, PathNotUtf8Error, UnmergedIndexError } from '../checkpoint/errors.js';
import { unsafeTreePathReason } from '../checkpoint/tree-paths.js';
import { BusyError, GitCommandError, InternalError, SandboxInvalidError } from '../core/errors.js';
import type {
  AsideReturn,
  DiffStatEntry,
  EntryChange,
  GitSandbox,
  HeadState,
  IndexDelta,
  IndexStamp,
  MovedAside,
  PatchApplication,
  RefEntry,
  ReturnedFromAside,
  SandboxProvider,
  ScanOptions,
  SkippedPath,
  SnapshotScan,
  TreeChange,
  TreeDelta,
} from '../core/ports.js';
import { processAlive } from '../core/process.js';
import { attributesConvert, autocrlfConverts, ensureRawView, RAW_CONFIG } from './raw-view.js';
import { type GitRunOptions, runGit, SAVEPOINT_IDENTITY } from './runner.js';
import { trackTempFile } from './temp-files.js';

/** A scan backed by a private (raw-view) index file that matches the worktree at scan time. */
class GitScan implements SnapshotScan {
  private released = false;

  constructor(
    readonly treeSha: string,
    readonly indexTreeSha: string,
    readonly head: HeadState,
    readonly skipped: readonly SkippedPath[],
    /** Raw-view index: every non-ignored, non-skipped file, with fresh stat data. */
    readonly indexFile: string,
    private readonly release: () => Promise<void>,
  ) {
    this.rawTree = treeSha;
  }

  /** The tree `indexFile` holds now (`checkoutTree` moves it on); null when unknown. */
  rawTree: string | null;

  /** How `rawTree` differs from the index tree, when the scan left the raw index as it found it. */
  membership: Membership | null = null;

  async dispose(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await this.release();
  }
}

/**
 * True when every leading component of `rel` (a `/`-separated path under `root`) is a real
 * directory, not a symbolic link or a file, so that a path operation on `root/rel` acts on
 * an entry inside `root` and follows no link. A missing component counts as not real.
 */
async function leadingDirectoriesReal(root: string, rel: string): Promise<boolean> {
  for (let at = rel.indexOf('/'); at > 0; at = rel.indexOf('/', at + 1)) {
    const info = await lstat(path.join(root, rel.slice(0, at))).catch(() => undefined);
    if (!info?.isDirectory()) return false;
  }
  return true;
}

/**
 * Creates the missing leading directories of `rel` under `root` one component at a time
 * (`mkdir -p` would follow a symbolic link among them). False, creating nothing more, when a
 * component exists and is not a real directory.
 */
async function makeLeadingDirectories(root: string, rel: string): Promise<boolean> {
  for (let at = rel.indexOf('/'); at > 0; at = rel.indexOf('/', at + 1)) {
    const dir = path.join(root, rel.slice(0, at));
    const info = await lstat(dir).catch(() => undefined);
    if (info?.isDirectory()) continue;
    if (info) return false;
    await mkdir(dir);
  }
  return true;
}

/** Renames `from` to `to` (a file, symlink or directory); across file systems, copies then removes. */
async function moveEntry(from: string, to: string): Promise<void> {
  await rename(from, to).catch(async (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EXDEV') throw error;
    await cp(from, to, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true });
    await rm(from, { recursive: true, force: true });
  });
}

/** Size of a file in bytes, or undefined when it is not a regular file. */
async function fileSize(file: string): Promise<number | undefined> {
  const info = await lstat(file).catch(() => undefined);
  return info?.isFile() ? info.size : undefined;
}

/** What {@link GitWorktree.fillRaw} made: both trees, what it left out, and the raw index's membership if unchanged. */
interface Filled {
  treeSha: string;
  indexTreeSha: string;
  skipped: SkippedPath[];
  membership: Membership | null;
  /** The raw index is still the untouched copy of the real index it started as. */
  pristine: boolean;
  /** The real index's checksum and tree, to remember; undefined when it has no checksum. */
  real: IndexTreeMemo | undefined;
}

/** An index file's trailing checksum (hex) and the tree `write-tree` gives for it. */
interface IndexTreeMemo {
  trailer: string;
  tree: string;
}

/** Where a scan's raw index starts: the kept one, a copy of the real index, or nothing. */
type RawOrigin = 'kept' | 'real' | 'empty';

/**
 * What savepoint remembers about the raw index it keeps (`<gitDir>/savepoint/raw-index.state`):
 * the file's trailing checksum and the tree `write-tree` gives for it. The checksum is git's
 * hash of the whole file (gitformat-index(5), "Index checksum"), so a matching one means the
 * same entries; the tree then names exactly the raw index's paths.
 */
interface RawIndexState {
  /** Hex of the index file's last `hashBytes` bytes. */
  trailer: string;
  tree: string;
  /** How `tree` differed from the real index's tree `indexTree` (a pure function of the two ids). */
  membership?: Membership;
  /** The real index as the last scan saw it: its checksum and its tree. */
  real?: IndexTreeMemo;
  /** The file holds no assume-unchanged or skip-worktree entry (written so since these are cleared). */
  flagFree?: boolean;
}

/** Entries of the raw index the real index lacks, and the reverse, for one pair of trees. */
interface Membership {
  indexTree: string;
  untrackedInRaw: string[];
  forced: string[];
}

/** Longest membership lists remembered in the state file (beyond, they are asked of git again). */
const MEMBERSHIP_MEMO_LIMIT = 10_000;

/**
 * Hex of an index file's trailing checksum, or null when the file is missing, too short or
 * the checksum is all zeros (`index.skipHash`, git ≥ 2.40: the file then names nothing).
 */
async function indexTrailer(file: string, hashBytes: number): Promise<string | null> {
  const handle = await open(file, 'r').catch(() => null);
  if (handle === null) return null;
  try {
    const { size } = await handle.stat();
    if (size < 12 + hashBytes) return null;
    const buffer = Buffer.alloc(hashBytes);
    await handle.read(buffer, 0, hashBytes, size - hashBytes);
    return buffer.every((byte) => byte === 0) ? null : buffer.toString('hex');
  } finally {
    await handle.close();
  }
}

/** The version in an index file's header (`DIRC`, then a 32-bit big-endian version), or null. */
async function indexVersion(file: string): Promise<number | null> {
  const handle = await open(file, 'r').catch(() => null);
  if (handle === null) return null;
  try {
    const header = Buffer.alloc(8);
    const { bytesRead } = await handle.read(header, 0, 8, 0);
    return bytesRead === 8 && header.toString('latin1', 0, 4) === 'DIRC' ? header.readUInt32BE(4) : null;
  } finally {
    await handle.close();
  }
}

/** The empty tree's id per object format (`git hash-object -t tree /dev/null`). */
const EMPTY_TREE: Record<string, string> = {
  sha1: '4b825dc642cb6eb9a060e54bf8d69288fbee4904',
  sha256: '6ef19b41225c5369f1c104d45d8d85efa9b057b53b14b4b9b939dd74decc5321',
};

/** A blob in a tree: regular file, executable or symlink (gitlinks `160000` and trees are not). */
const BLOB_MODE = /^(100644|100755|120000)$/;

/**
 * Flags that keep a tree diff byte-exact whatever the user configured: no textconv (diff-tree,
 * as plumbing, skips it by default; said explicitly all the same), no external diff driver, no
 * colour, no rename detection (every path is its own add/delete/modify).
 */
const PLAIN_DIFF = ['--no-color', '--no-ext-diff', '--no-textconv', '--no-renames'];

/**
 * Past this many rewritten paths, rollback refreshes the whole index: git matches every entry
 * against every pathspec, so a long pathspec list costs more than one lstat per entry.
 */
export const TARGETED_REFRESH_LIMIT = 200;

/** Past this many changed paths, listing the whole tree once is cheaper than one pathspec per path. */
const PATHSPEC_LIMIT = 1000;

/** A `.lock` left in savepoint's tmp dir by a dead process is stale once this old (ms): its git child had time to finish. */
export const TEMP_LOCK_STALE_MS = 5_000;

const LOCK_MESSAGE = /Unable to create '.*\.lock': File exists/;

function firstLine(text: string): string {
  return text.trim().split('\n')[0] ?? '';
}

/** Paths git names in "would be overwritten" / "not uptodate" errors, one per tab-indented line or quoted. */
function pathsFromGitError(stderr: string): string[] {
  const paths = new Set<string>();
  for (const match of stderr.matchAll(/^\t(.+)$/gm)) if (match[1]) paths.add(match[1]);
  for (const match of stderr.matchAll(/Entry '(.+)' not uptodate/g)) if (match[1]) paths.add(match[1]);
  for (const match of stderr.matchAll(
    /Untracked working tree file '(.+)' would be (?:overwritten|removed)/g,
  )) {
    if (match[1]) paths.add(match[1]);
  }
  return [...paths];
}

/** Where a worktree's git state lives. */
interface WorktreeLayout {
  /** This worktree's own git dir (differs from `commonDir` in a linked worktree). */
  gitDir: string;
  /** The real index file of this worktree. */
  indexFile: string;
  /** The repository's object database. */
  objectsDir: string;
  /** `sha1` or `sha256`. */
  objectFormat: string;
}

/** A git worktree, opened by {@link GitSandboxProvider.open}. */
export class GitWorktree implements GitSandbox {
  private rawView: Promise<string> | undefined;
  private filtersOff: Promise<string[]> | undefined;
  private caseExact: Promise<boolean> | undefined;

  constructor(
    readonly path: string,
    readonly commonDir: string,
    private readonly layout: WorktreeLayout,
  ) {}

  /** savepoint's per-worktree directory inside the git dir (temp indexes, raw view, moved-aside files). */
  private get ownDir(): string {
    return path.join(this.layout.gitDir, 'savepoint');
  }

  /** The raw index kept between scans as savepoint's own stat cache (see {@link scan}). */
  private get rawIndexFile(): string {
    return path.join(this.ownDir, 'raw-index');
  }

  /** Runs git on the sandbox's real git dir, with every filter driver off ({@link noFilters}). */
  private async git(args: readonly string[], options: Omit<GitRunOptions, 'cwd'> = {}) {
    const { config = [], ...rest } = options;
    return runGit(args, { cwd: this.path, ...rest, config: [...(await this.noFilters()), ...config] });
  }

  /**
   * Runs git through the raw view: same objects, no content conversion. The work tree is the
   * sandbox, or `workTree` (a scratch directory, e.g. to evaluate another tree's ignore rules).
   */
  private async raw(
    args: readonly string[],
    options: Omit<GitRunOptions, 'cwd' | 'env'> & { workTree?: string; ignoreRules?: boolean } = {},
  ) {
    this.rawView ??= ensureRawView({
      gitDir: this.layout.gitDir,
      commonDir: this.commonDir,
      objectFormat: this.layout.objectFormat,
    });
    const { workTree = this.path, config = [], ignoreRules = false, ...rest } = options;
    // Names are compared as the file system compares them (see caseSensitive); a call that only
    // evaluates ignore rules keeps the repository's core.ignoreCase, which is how they match.
    const exact = !ignoreRules && (await this.caseSensitive());
    return runGit(args, {
      ...rest,
      cwd: workTree,
      config: [...RAW_CONFIG, ...(exact ? ['core.ignoreCase=false'] : []), ...config],
      env: {
        GIT_DIR: await this.rawView,
        GIT_WORK_TREE: workTree,
        GIT_OBJECT_DIRECTORY: this.layout.objectsDir,
      },
    });
  }

  /**
   * True when the sandbox's file system tells names apart by case: `<sandbox>/.GIT` is not the
   * sandbox's `.git` entry (every worktree has one; nothing is created to find out). There the
   * raw view runs with `core.ignoreCase=false` whatever the repository says: with
   * `core.ignoreCase=true` git matches an untracked `readme` to the index entry `README`, so
   * `ls-files -o` does not list it while `diff-files` reports `README` deleted, and a rename
   * README → readme would leave the new file out of the snapshot. Once per sandbox, two lstats.
   */
  private caseSensitive(): Promise<boolean> {
    this.caseExact ??= Promise.all([
      lstat(path.join(this.path, '.git')),
      lstat(path.join(this.path, '.GIT')).catch(() => undefined),
    ]).then(
      ([lower, upper]) => !upper || upper.ino !== lower.ino || upper.dev !== lower.dev,
      () => false,
    );
    return this.caseExact;
  }

  /**
   * Throws PATH_NOT_UTF8 when NUL-separated git output holds a name that is not valid UTF-8:
   * decoding turned its bytes into U+FFFD (runner.ts reads stdout as UTF-8), so the name
   * could not be given back to git or the file system exactly. A name that really holds U+FFFD
   * is refused as well.
   *
   * @throws {PathNotUtf8Error} `PATH_NOT_UTF8` (4)
   */
  private refuseNonUtf8(...outputs: string[]): void {
    const names = outputs.flatMap((output) =>
      output.includes('\uFFFD') ? output.split('\0').filter((field) => field.includes('\uFFFD')) : [],
    );
    if (names.length > 0) throw new PathNotUtf8Error(this.path, [...new Set(names)].sort());
  }

  /**
   * Of `untracked` (listed by a walk that matched ignore rules case-sensitively, see
   * {@link caseSensitive}), those the repository's own rules ignore when it says
   * `core.ignoreCase=true`: left out of the snapshot, as `git status` leaves them out. git is
   * asked only when the walk found files the raw index does not hold yet (new since the last
   * scan; files it holds are re-checked by {@link ignoredNow} with the repository's rules), so a
   * scan without new files spawns nothing more.
   */
  private async ignoredByCase(untracked: readonly string[]): Promise<Set<string>> {
    if (untracked.length === 0 || !(await this.caseSensitive())) return new Set();
    const { stdout } = await this.git(['config', '--bool', '--get', 'core.ignoreCase'], { allowExit: [1] });
    if (stdout.trim() !== 'true') return new Set();
    // check-ignore refuses pathspec magic (a leading `:`): such a name stays in the snapshot.
    const asked = untracked.filter((file) => !file.endsWith('/') && !file.startsWith(':'));
    if (asked.length === 0) return new Set();
    const answer = await this.checkIgnore(asked);
    if ('refused' in answer) throw this.refusedCheckIgnore(answer.refused);
    return new Set(answer.ignored);
  }

  /**
   * `-c` settings that switch off every content filter driver the repository's config (any
   * scope) defines: `filter.<driver>.clean`, `.smudge` and `.process` set empty (git runs no
   * program for an empty command, convert.c `apply_filter`) and `.required=false` (so the
   * missing filter is no error). For every call on the real git dir, where the in-tree
   * `.gitattributes` still name drivers: a refresh (`status`, `update-index --refresh`) or
   * `write-tree` re-hashes a file whose stat changed, and would run the clean filter (the raw
   * view cannot serve the real index: a split index's shared file lives in the real git dir).
   * Read once per sandbox with `git config -z --get-regexp`.
   */
  private noFilters(): Promise<string[]> {
    this.filtersOff ??= runGit(['config', '-z', '--name-only', '--get-regexp', '^filter\\..*\\.'], {
      cwd: this.path,
      allowExit: [1],
    }).then(({ stdout }) => {
      const drivers = new Set<string>();
      for (const key of stdout.split('\0')) {
        const match = /^filter\.(.+)\.[^.]+$/s.exec(key.trim());
        if (match?.[1]) drivers.add(match[1]);
      }
      return [...drivers].flatMap((driver) =>
        ['clean=', 'smudge=', 'process=', 'required=false'].map((setting) => `filter.${driver}.${setting}`),
      );
    });
    return this.filtersOff;
  }

  private get repositoryIdFile(): string {
    return path.join(this.commonDir, 'savepoint', 'repository-id');
  }

  async repositoryId(): Promise<string | null> {
    const text = await readFile(this.repositoryIdFile, 'utf8').catch(() => null);
    return text?.trim() || null;
  }

  async ensureRepositoryId(candidate: string): Promise<string> {
    await mkdir(path.dirname(this.repositoryIdFile), { recursive: true, mode: 0o700 });
    await writeFile(this.repositoryIdFile, `${candidate}\n`, { flag: 'wx', mode: 0o600 }).catch(
      (error: NodeJS.ErrnoException) => {
        if (error.code !== 'EEXIST') throw error;
      },
    );
    return (await this.repositoryId()) ?? candidate;
  }

  /**
   * HEAD's commit and branch in one `rev-parse HEAD^{commit} --symbolic-full-name HEAD`: the
   * commit id, then the full ref name HEAD resolves to, or `HEAD` when it is detached
   * (git-rev-parse(1)). On an unborn branch (no commit: rev-parse fails) or a broken HEAD, the
   * two questions are asked apart (`symbolic-ref -q HEAD`, `rev-parse -q --verify`).
   */
  async head(): Promise<HeadState> {
    const both = await this.git(['rev-parse', 'HEAD^{commit}', '--symbolic-full-name', 'HEAD', '--'], {
      allowExit: [128],
    });
    const [sha = '', name = ''] = both.stdout.split('\n');
    if (both.exitCode === 0 && /^[0-9a-f]{40,64}$/.test(sha) && name.length > 0) {
      return { ref: name === 'HEAD' ? null : name, sha };
    }
    const [ref, commit] = await Promise.all([
      this.git(['symbolic-ref', '-q', 'HEAD'], { allowExit: [1] }),
      this.git(['rev-parse', '-q', '--verify', 'HEAD^{commit}'], { allowExit: [1] }),
    ]);
    return { ref: ref.stdout.trim() || null, sha: commit.stdout.trim() || null };
  }

  /**
   * Snapshots the worktree without touching it (DESIGN §4):
   *
   * - the index tree: `write-tree` of a private copy of the real index;
   * - the worktree tree: `write-tree` through the raw view of a private index made to match the
   *   worktree. That index starts from the previous scan's raw index (savepoint's own stat
   *   cache, so the cost is O(changed files)); on the first scan of a worktree, from the real
   *   index if no content conversion is configured (then its blobs are the raw bytes), else
   *   empty (every file hashed once).
   *
   * The worktree is walked once: `ls-files -o --exclude-standard` (the untracked, non-ignored
   * files: a directory walk) and `diff-files --name-only` (the entries whose file changed or is
   * gone: an lstat of each entry) run side by side, then `update-index --add --remove
   * --replace -z --stdin` re-hashes exactly those paths (git-update-index(1)). Entries that
   * changed go first, so a file replaced by a directory is removed before the files under it
   * are added. git's racy-entry rule keeps this exact: an entry whose mtime is not older than
   * its index file is compared by content, never trusted by stat (git
   * `Documentation/technical/racy-git.txt`); both index copies keep their source's mtime for it.
   *
   * Which entries of the raw index are untracked files (to re-check against ignore rules, nested
   * repositories and the size cap) and which tracked files it lacks comes from one `diff-tree`
   * between the tree the raw index held at the end of the previous scan and the index tree:
   * O(differences), no listing of either index. That tree is remembered keyed by the raw
   * index's trailing checksum (see {@link RawIndexState}); when it does not match, when the real
   * index is not version 2 (only v2 guarantees no intent-to-add entry, which no tree shows), or
   * when the tree is gone, both indexes are listed instead (`ls-files -c`).
   *
   * Entries flagged assume-unchanged or skip-worktree in a copy of the real index are cleared
   * first ({@link clearEntryFlags}): the walk compares every file. A tree remembered from the
   * previous scan is reused only when `knownTrees` vouches for it and it is still in the object
   * store ({@link presentTrees}).
   *
   * Nested repositories and untracked files over `untrackedSizeCap` are excluded and reported.
   */
  async scan(options: ScanOptions): Promise<SnapshotScan> {
    const tmp = path.join(this.ownDir, 'tmp');
    await mkdir(tmp, { recursive: true, mode: 0o700 });
    const stamp = `${process.pid}-${randomBytes(6).toString('hex')}`;
    const indexCopy = path.join(tmp, `index-${stamp}`);
    const rawIndex = path.join(tmp, `raw-${stamp}`);
    const removeCopy = trackTempFile(indexCopy);
    const removeRaw = trackTempFile(rawIndex);
    const headPromise = this.head();
    // Never left unobserved: a failure below must not become an unhandled rejection.
    headPromise.catch(() => undefined);
    try {
      const [seeded, indexed] = await Promise.all([
        this.snapshotFile(this.rawIndexFile, rawIndex),
        this.snapshotFile(this.layout.indexFile, indexCopy),
      ]);
      let origin: RawOrigin = 'empty';
      if (seeded) origin = 'kept';
      else if (indexed && (await this.conversionFree())) {
        await this.snapshotFile(indexCopy, rawIndex);
        origin = 'real';
      }
      let fill: Promise<Filled>;
      try {
        fill = this.fillRaw(rawIndex, indexCopy, indexed, origin, options);
        await fill;
      } catch (error) {
        if (origin !== 'kept' || error instanceof UnmergedIndexError || error instanceof PathNotUtf8Error)
          throw error;
        // A stale or damaged stat cache is only a cache: start over from nothing.
        await rm(rawIndex, { force: true });
        fill = this.fillRaw(rawIndex, indexCopy, indexed, 'empty', options);
      }
      const { treeSha, indexTreeSha, skipped, membership, pristine, real } = await fill;
      await removeCopy();
      const scan: GitScan = new GitScan(
        treeSha,
        indexTreeSha,
        await headPromise,
        skipped,
        rawIndex,
        async () => {
          // Any index git wrote is a valid stat cache for the next scan; rename is atomic (and
          // does nothing when `rawIndex` is still a link to the kept file: no git call replaced
          // it). The state is written first: if another scan renames its own index in between,
          // the checksum no longer matches and the next scan lists both indexes instead.
          if (scan.rawTree !== null) await this.saveRawState(rawIndex, scan.rawTree, scan.membership, real);
          const shared = pristine && scan.rawTree === treeSha && (await this.linkRealIndex(rawIndex));
          if (!shared) await rename(rawIndex, this.rawIndexFile).catch(() => undefined);
          await removeRaw();
        },
      );
      scan.membership = membership;
      return scan;
    } catch (error) {
      await removeCopy();
      await removeRaw();
      throw error;
    }
  }

  /**
   * Brings the private raw index `rawIndex` (as `origin` left it) to the worktree's state and
   * writes both trees. See {@link scan}.
   */
  private async fillRaw(
    rawIndex: string,
    indexCopy: string,
    indexed: boolean,
    origin: RawOrigin,
    options: ScanOptions,
  ): Promise<Filled> {
    // Read before the walk starts: on two cores the walk's two git processes leave this process
    // little CPU, and what is read here decides what runs beside the walk.
    const [loaded, keptTrailer, realTrailer, realVersion] = await Promise.all([
      this.loadRawState(),
      indexTrailer(rawIndex, this.hashBytes),
      indexed ? indexTrailer(indexCopy, this.hashBytes) : null,
      indexed ? indexVersion(indexCopy) : null,
    ]);
    // A copy of the real index carries its assume-unchanged and skip-worktree flags, which would
    // hide those entries' files from the walk: cleared first, in the copy only. A kept raw index
    // is flag-free when its state says so (savepoint's own calls never set a flag, RAW_CONFIG);
    // one an older version wrote may hold flags copied from the real index or set by a sparse
    // `read-tree -u`.
    const flagFree = origin === 'kept' && loaded?.flagFree === true && loaded.trailer === keptTrailer;
    const unflagged = origin !== 'empty' && !flagFree && (await this.clearEntryFlags(rawIndex));
    const [state, rawTrailer] = unflagged
      ? await Promise.all([this.loadRawState(), indexTrailer(rawIndex, this.hashBytes)])
      : [loaded, keptTrailer];
    // The walk reads only the raw index and the worktree: it runs while the trees are compared.
    const walk = Promise.all([
      this.raw(['ls-files', '-z', '-o', '--exclude-standard'], { indexFile: rawIndex }),
      this.raw(['diff-files', '-z', '--name-only', '--ignore-submodules=dirty'], { indexFile: rawIndex }),
    ]);
    walk.catch(() => undefined);
    // The raw index is still the file the state describes.
    const described =
      origin === 'kept' && state !== null && rawTrailer !== null && state.trailer === rawTrailer;
    // A tree the latest checkpoint's ref keeps may still be gone: the ref deleted behind
    // savepoint's back, then `git gc --prune=now`. Only trees that are there are reused.
    const knownTrees = options.knownTrees ?? new Set<string>();
    const candidates = [
      realTrailer !== null && state?.real?.trailer === realTrailer ? state.real.tree : null,
      described ? state.tree : null,
    ].filter((tree): tree is string => tree !== null && knownTrees.has(tree));
    const known = await this.presentTrees(new Set(candidates));
    // An index's tree is a function of its bytes: the same checksum as last time gives the same
    // tree, which is reused when a ref is known to keep it (else it may have been pruned since).
    const rememberedIndexTree =
      realTrailer !== null && state?.real?.trailer === realTrailer && known.has(state.real.tree)
        ? state.real.tree
        : null;
    const indexTreeSha = rememberedIndexTree ?? (await this.writeTree(indexCopy, 'real'));
    const real = realTrailer === null ? undefined : { trailer: realTrailer, tree: indexTreeSha };
    // The raw index must hold what the user's index tracks (a tracked file is captured even
    // when an ignore rule matches it) plus the untracked files no rule ignores. Ignore rules
    // are matched only against the difference of the two.
    const { untrackedInRaw, forced, reusable } = await this.rawMembership(
      rawIndex,
      indexCopy,
      indexed,
      realVersion,
      origin,
      indexTreeSha,
      described ? state : null,
    );
    // These names go back to git (check-ignore, update-index): only exact ones.
    this.refuseNonUtf8(...untrackedInRaw, ...forced);
    // Untracked files the raw index remembers that an ignore rule matches now: asked while the
    // walk runs. A path beyond a symbolic link is gone from the worktree (diff-files reports it).
    // Per leading directory, one lstat however many paths ask at once.
    const symlinked = new Map<string, Promise<boolean>>();
    const beyondSymlink = async (file: string) => {
      for (let at = file.indexOf('/'); at > 0; at = file.indexOf('/', at + 1)) {
        const dir = file.slice(0, at);
        let link = symlinked.get(dir);
        if (link === undefined) {
          link = lstat(path.join(this.path, dir)).then(
            (info) => info.isSymbolicLink(),
            () => false,
          );
          symlinked.set(dir, link);
        }
        if (await link) return true;
      }
      return false;
    };
    const ignoring = this.ignoredNow(rawIndex, untrackedInRaw, beyondSymlink);
    ignoring.catch(() => undefined);
    const [others, changed] = await walk;
    this.refuseNonUtf8(others.stdout, changed.stdout);
    const listed = others.stdout.split('\0').filter(Boolean);
    const ignoredByCase = await this.ignoredByCase(listed);
    const untracked = ignoredByCase.size > 0 ? listed.filter((file) => !ignoredByCase.has(file)) : listed;
    const modified = changed.stdout.split('\0').filter(Boolean);
    const submodules = await this.submodulePaths();
    // A remembered path beyond a symbolic link is gone (diff-files lists it): never looked at
    // through the link, which may lead out of the sandbox (its `.git`, its size).
    const rawHidden = await Promise.all(untrackedInRaw.map(beyondSymlink));
    const excluded = await this.findSkipped(
      [...untracked, ...untrackedInRaw.filter((_, at) => !rawHidden[at])],
      options.untrackedSizeCap,
      submodules,
    );
    const excludedPaths = new Set(excluded.map((entry) => entry.path));
    const isExcluded = (file: string) => {
      for (let at = file.length; at > 0; at = file.lastIndexOf('/', at - 1)) {
        if (excludedPaths.has(file.slice(0, at))) return true;
      }
      return false;
    };
    // Untracked files the raw index remembers but that left the snapshot: ignored now, or
    // now inside a nested repository, or grown over the size cap.
    const ignoredNow = new Set(await ignoring);
    const gone = new Set(untrackedInRaw.filter((file) => ignoredNow.has(file) || isExcluded(file)));
    // update-index refuses a path beyond a symbolic link (a tracked file whose directory became
    // a symlink): such entries are gone from the worktree and leave with --force-remove.
    // Changed and deleted entries first (a file that became a directory leaves before the
    // files under it arrive), then new files. A directory git lists with a trailing slash is
    // a nested repository (never entered, see findSkipped).
    const removals = new Set(gone);
    const updates = new Set<string>();
    const kept = modified.filter((file) => !gone.has(file) && !isExcluded(file));
    const hidden = await Promise.all(kept.map(beyondSymlink));
    kept.forEach((file, at) => {
      (hidden[at] ? removals : updates).add(file);
    });
    for (const file of untracked) if (!file.endsWith('/') && !isExcluded(file)) updates.add(file);
    // Tracked files the raw index lacks, e.g. because an ignore rule matches them. A directory
    // there is a declared submodule (recorded as its gitlink) or holds files the walk lists.
    const forcedInfo = await Promise.all(
      forced.map(async (file) =>
        (await beyondSymlink(file)) ? undefined : lstat(path.join(this.path, file)).catch(() => undefined),
      ),
    );
    forced.forEach((file, at) => {
      const info = forcedInfo[at];
      if (info && (!info.isDirectory() || submodules.has(file))) updates.add(file);
    });
    // What each updated path was before update-index ran (see carriedMembership).
    const kindBefore = reusable && origin === 'kept' ? await this.fileKinds(updates) : null;
    if (removals.size > 0) {
      await this.raw(['update-index', '--force-remove', '-z', '--stdin'], {
        indexFile: rawIndex,
        input: [...removals].map((file) => `${file}\0`).join(''),
      });
    }
    if (updates.size > 0) {
      await this.raw(['update-index', '--add', '--remove', '--replace', '-z', '--stdin'], {
        indexFile: rawIndex,
        input: [...updates].map((file) => `${file}\0`).join(''),
      });
    }
    // A submodule the index tracks stays in the snapshot as a gitlink (its commit id); its
    // files are never entered. Report it like the other paths whose content is left out.
    const skipped = [
      ...excluded,
      ...[...submodules]
        .filter((dir) => !excludedPaths.has(dir))
        .map((dir): SkippedPath => ({ path: dir, reason: 'submodule' })),
    ];
    // A raw index that is still the copy of the real index it started as holds the same
    // entries, hence the same tree (write-tree reads entries only; ITA entries are left out by
    // both), and stays byte-identical to the real index, which lets it be shared (linkRealIndex).
    const pristine = origin === 'real' && !unflagged && removals.size === 0 && updates.size === 0;
    // Untouched, the raw index still holds the tree the state names (reused if a ref keeps it).
    const untouched = described && removals.size === 0 && updates.size === 0 && known.has(state.tree);
    const treeSha = pristine ? indexTreeSha : untouched ? state.tree : await this.writeTree(rawIndex, 'raw');
    // Left as found, the raw index still differs from the index tree exactly so: remember it;
    // changed, carry the difference forward where that is exact.
    let membership: Membership | null = null;
    if (reusable && untrackedInRaw.length + forced.length <= MEMBERSHIP_MEMO_LIMIT) {
      if (removals.size === 0 && updates.size === 0)
        membership = { indexTree: indexTreeSha, untrackedInRaw, forced };
      else if (kindBefore !== null) {
        membership = await this.carriedMembership(
          { indexTree: indexTreeSha, untrackedInRaw, forced },
          new Set(modified),
          removals,
          updates,
          kindBefore,
        );
      }
    }
    return { treeSha, indexTreeSha, skipped, membership, pristine, real };
  }

  /**
   * Clears the assume-unchanged (`CE_VALID`) and skip-worktree flags of every entry of the raw
   * index `rawIndex` that has them, so the walk compares those entries' files like any other:
   * `diff-files` skips a flagged entry (git-update-index(1), "USING ASSUME UNCHANGED BIT",
   * "SKIP-WORKTREE BIT"), and a checkpoint would record the staged blob instead of the bytes on
   * disk. Found with one `ls-files -v` (a lowercase tag is assume-unchanged, `S`/`s`
   * skip-worktree, git-ls-files(1)), cleared with `update-index --no-assume-unchanged` and
   * `--no-skip-worktree`, which change the flag and nothing else. Only the private copy changes:
   * the real index keeps its flags, and rollback's one-way merge keeps them too.
   *
   * @returns true when an entry had a flag (the raw index then differs from the real index)
   */
  private async clearEntryFlags(rawIndex: string): Promise<boolean> {
    const { stdout } = await this.raw(['ls-files', '-z', '-v'], { indexFile: rawIndex });
    const assumed: string[] = [];
    const skipped: string[] = [];
    for (const record of stdout.split('\0')) {
      const tag = record.slice(0, 1);
      const file = record.slice(2);
      if (file.length === 0) continue;
      if (tag === 'S' || tag === 's') skipped.push(file);
      if (tag !== tag.toUpperCase()) assumed.push(file);
    }
    for (const [flag, files] of [
      ['--no-assume-unchanged', assumed],
      ['--no-skip-worktree', skipped],
    ] as const) {
      if (files.length === 0) continue;
      await this.raw(['update-index', flag, '-z', '--stdin'], {
        indexFile: rawIndex,
        input: files.map((file) => `${file}\0`).join(''),
      });
    }
    return assumed.length + skipped.length > 0;
  }

  /**
   * Which of `trees` are in the object store as trees: one `cat-file --batch-check`
   * ("<id> <type>", or "<id> missing", git-cat-file(1)). Empty input asks nothing.
   */
  private async presentTrees(trees: ReadonlySet<string>): Promise<Set<string>> {
    const present = new Set<string>();
    if (trees.size === 0) return present;
    const { stdout } = await this.git(['cat-file', '--batch-check=%(objectname) %(objecttype)'], {
      input: [...trees].map((sha) => `${sha}\n`).join(''),
    });
    for (const line of stdout.split('\n')) {
      const [sha = '', type] = line.split(' ');
      if (type === 'tree' && trees.has(sha)) present.add(sha);
    }
    return present;
  }

  /** `file`, `symlink`, `directory` or `missing` for each path, by lstat. */
  private async fileKinds(paths: Iterable<string>): Promise<Map<string, string>> {
    const kinds = new Map<string, string>();
    await Promise.all(
      [...paths].map(async (file) => {
        const info = await lstat(path.join(this.path, file)).catch(() => undefined);
        kinds.set(
          file,
          !info ? 'missing' : info.isFile() ? 'file' : info.isSymbolicLink() ? 'symlink' : 'directory',
        );
      }),
    );
    return kinds;
  }

  /**
   * The raw index's membership after `removals` (`--force-remove`) and `updates` (`--add
   * --remove --replace`) were applied to a raw index whose membership was `before`, without
   * asking git again; null (ask git next time) whenever the tracked side may have changed.
   *
   * Exact because `update-index` adds a listed path whose file or symlink exists and removes
   * one that is missing (git-update-index(1) `--add`, `--remove`), and every entry `--replace`
   * drops on the way (a file under a path that became a file, a file where a directory now is)
   * is itself listed, as diff-files reports it changed. Only untracked entries (not in the real
   * index) may come and go: a tracked entry removed (file deleted, gone beyond a symlink, now a
   * directory) or a forced one added would change `forced`, and gives null. A path whose kind
   * differs between the lstat before update-index and the one after (it changed while git
   * looked) gives null too.
   */
  private async carriedMembership(
    before: Membership,
    modified: ReadonlySet<string>,
    removals: ReadonlySet<string>,
    updates: ReadonlySet<string>,
    kindBefore: ReadonlyMap<string, string>,
  ): Promise<Membership | null> {
    const untracked = new Set(before.untrackedInRaw);
    const forced = new Set(before.forced);
    for (const file of removals) {
      if (!untracked.has(file)) return null;
      untracked.delete(file);
    }
    const kindAfter = await this.fileKinds(updates);
    for (const file of updates) {
      const kind = kindAfter.get(file);
      if (kind !== kindBefore.get(file)) return null;
      const present = kind === 'file' || kind === 'symlink';
      if (forced.has(file)) return null;
      if (untracked.has(file)) {
        if (!present) untracked.delete(file);
      } else if (modified.has(file)) {
        // A tracked entry (in the raw index, not untracked): it must stay.
        if (!present) return null;
      } else if (present) {
        // New to the raw index and not forced, so not tracked either.
        untracked.add(file);
      }
    }
    return { indexTree: before.indexTree, untrackedInRaw: [...untracked], forced: [...forced] };
  }

  /**
   * Entries of the raw index that the real index does not track (`untrackedInRaw`) and
   * entries of the real index the raw index lacks (`forced`). See {@link scan}. `state` is the
   * remembered state when it still describes `rawIndex` (same checksum), else null.
   */
  private async rawMembership(
    rawIndex: string,
    indexCopy: string,
    indexed: boolean,
    realVersion: number | null,
    origin: RawOrigin,
    indexTreeSha: string,
    state: RawIndexState | null,
  ): Promise<{ untrackedInRaw: string[]; forced: string[]; reusable: boolean }> {
    if (origin === 'real') return { untrackedInRaw: [], forced: [], reusable: false };
    if (origin === 'empty') {
      // Tracked files no ignore rule matches are found by the walk like any other.
      const forced = indexed ? await this.ignoredAmong(indexCopy, 'real', null) : [];
      return { untrackedInRaw: [], forced, reusable: false };
    }
    // Only a version 2 index is sure to hold no intent-to-add entry, which no tree shows.
    const reusable = !indexed || realVersion === 2;
    if (reusable && state !== null) {
      if (state.membership?.indexTree === indexTreeSha) return { ...state.membership, reusable };
      const fromTrees = await this.membershipFromTrees(state.tree, indexTreeSha).catch(() => null);
      if (fromTrees !== null) return { ...fromTrees, reusable };
    }
    const tracked = indexed ? await this.entries(indexCopy, 'real') : [];
    const known = new Set(await this.entries(rawIndex, 'raw'));
    const trackedSet = new Set(tracked);
    return {
      untrackedInRaw: [...known].filter((file) => !trackedSet.has(file)),
      forced: tracked.filter((file) => !known.has(file)),
      reusable,
    };
  }

  /**
   * {@link rawMembership} from trees: `rawTree` holds exactly the raw index's paths, `indexTree`
   * the real index's (version 2: no intent-to-add entries, which `write-tree` leaves out).
   * `diff-tree -r` reads only the subtrees that differ (git-diff-tree(1)).
   *
   * @throws {GitCommandError} when a tree is gone (e.g. `git gc` pruned an unrecorded scan's tree)
   */
  private async membershipFromTrees(
    rawTree: string,
    indexTree: string,
  ): Promise<{ untrackedInRaw: string[]; forced: string[] }> {
    const untrackedInRaw: string[] = [];
    const forced: string[] = [];
    for (const { path: file, change } of await this.diffTrees(rawTree, indexTree)) {
      if (change === 'deleted') untrackedInRaw.push(file);
      else if (change === 'added') forced.push(file);
    }
    return { untrackedInRaw, forced };
  }

  /** Bytes of an object id (and of an index file's trailing checksum) in this repository. */
  private get hashBytes(): number {
    return this.layout.objectFormat === 'sha256' ? 32 : 20;
  }

  private get rawStateFile(): string {
    return path.join(this.ownDir, 'raw-index.state');
  }

  /** The remembered tree of the kept raw index, or null when there is none or it is unreadable. */
  private async loadRawState(): Promise<RawIndexState | null> {
    const text = await readFile(this.rawStateFile, 'utf8').catch(() => null);
    if (text === null) return null;
    try {
      const parsed = JSON.parse(text) as Partial<RawIndexState>;
      const hex = /^[0-9a-f]+$/;
      if (
        typeof parsed.trailer === 'string' &&
        typeof parsed.tree === 'string' &&
        hex.test(parsed.trailer) &&
        hex.test(parsed.tree)
      ) {
        const memo = parsed.membership;
        const strings = (value: unknown): value is string[] =>
          Array.isArray(value) && value.every((item) => typeof item === 'string');
        const membership =
          memo && typeof memo.indexTree === 'string' && strings(memo.untrackedInRaw) && strings(memo.forced)
            ? { membership: memo }
            : {};
        const real =
          parsed.real && typeof parsed.real.trailer === 'string' && typeof parsed.real.tree === 'string'
            ? { real: { trailer: parsed.real.trailer, tree: parsed.real.tree } }
            : {};
        const flagFree = parsed.flagFree === true ? { flagFree: true } : {};
        return { trailer: parsed.trailer, tree: parsed.tree, ...membership, ...real, ...flagFree };
      }
    } catch {
      // A damaged state is no state.
    }
    return null;
  }

  /**
   * Remembers that the raw index file `rawIndex` holds exactly the paths of `tree`, and what the
   * real index's tree was (atomic write; none when the file already says exactly that).
   */
  private async saveRawState(
    rawIndex: string,
    tree: string,
    membership: Membership | null,
    real: IndexTreeMemo | undefined,
  ): Promise<void> {
    const trailer = await indexTrailer(rawIndex, this.hashBytes);
    if (trailer === null) {
      await rm(this.rawStateFile, { force: true });
      return;
    }
    // Every raw index a scan leaves is flag-free: seeds are cleared, savepoint sets no flag.
    const state: RawIndexState = {
      trailer,
      tree,
      ...(membership ? { membership } : {}),
      ...(real ? { real } : {}),
      flagFree: true,
    };
    const text = `${JSON.stringify(state)}\n`;
    if ((await readFile(this.rawStateFile, 'utf8').catch(() => null)) === text) return;
    // Written in savepoint's tmp dir under the writer's pid, where doctor finds it if a crash
    // between write and rename leaves it behind (see staleTempFiles).
    const { file: temp, remove } = await this.tempFile('state');
    try {
      await writeFile(temp, text, { mode: 0o600 });
      await rename(temp, this.rawStateFile);
    } finally {
      await remove();
    }
  }

  /**
   * Keeps the real index itself, hard-linked, as the raw index, instead of the byte-identical
   * copy `rawIndex` (the first scan of a clean, conversion-free worktree): the kept stat cache
   * then costs no disk until git replaces the real index. Safe because neither file is ever
   * written in place: git writes an index to `<name>.lock` and renames it over the old one
   * (gitformat-index(5), api-lockfile), and savepoint only reads the kept raw index (each scan
   * works on a copy and renames that over it). Linked only when the real index still has the
   * copy's trailing checksum, size and mtime (within the millisecond the copy kept), so the kept
   * file is exactly what the copy was, with the mtime git itself gives it.
   *
   * @returns false when the files differ or the file system refuses the link (the copy is kept)
   */
  private async linkRealIndex(rawIndex: string): Promise<boolean> {
    const [real, copy] = await Promise.all([
      stat(this.layout.indexFile).catch(() => undefined),
      stat(rawIndex).catch(() => undefined),
    ]);
    // utimes keeps the copy's mtime to the millisecond, rounded down (here: 1 ns below it).
    if (!real || !copy || real.size !== copy.size || Math.abs(real.mtimeMs - copy.mtimeMs) >= 1) return false;
    const [realTrailer, copyTrailer] = await Promise.all([
      indexTrailer(this.layout.indexFile, this.hashBytes),
      indexTrailer(rawIndex, this.hashBytes),
    ]);
    if (realTrailer === null || realTrailer !== copyTrailer) return false;
    const temp = `${rawIndex}.link`;
    try {
      await link(this.layout.indexFile, temp);
      await rename(temp, this.rawIndexFile);
      return true;
    } catch {
      await rm(temp, { force: true });
      return false;
    }
  }

  /**
   * Which of the raw index's `paths` an ignore rule matches now: one `check-ignore --no-index
   * -v -n -z --stdin` through the raw view, which reads the rules only (the .gitignore files on
   * the way to each path, `info/exclude`, `core.excludesFile`) and no index, so it costs what
   * the paths cost, not what the index holds. A path is ignored when its last matching rule is
   * not a negation, or a leading directory is ignored (git `dir.c` `last_matching_pattern`, the
   * rule `ls-files -i --exclude-standard` applies too). check-ignore refuses pathspec magic and
   * paths beyond a symbolic link: those beyond a link are gone from the worktree and left out
   * here (asked again without them when git refuses), and a set with a path starting with `:`
   * is asked of `ls-files -c -i` instead.
   */
  private async ignoredNow(
    rawIndex: string,
    paths: readonly string[],
    beyondSymlink: (file: string) => Promise<boolean>,
  ): Promise<string[]> {
    if (paths.length === 0) return [];
    if (paths.some((file) => file.startsWith(':'))) return this.ignoredAmong(rawIndex, 'raw', paths);
    // Asked at once (no lstat first: this runs beside the walk); only when git refuses a path
    // beyond a symbolic link are those paths found and left out.
    let answer = await this.checkIgnore(paths);
    if ('refused' in answer && /beyond a symbolic link/.test(answer.refused)) {
      const asked: string[] = [];
      for (const file of paths) if (!(await beyondSymlink(file))) asked.push(file);
      if (asked.length === 0) return [];
      answer = await this.checkIgnore(asked);
    }
    if ('refused' in answer) throw this.refusedCheckIgnore(answer.refused);
    return answer.ignored;
  }

  /**
   * Which of `paths` an ignore rule matches, by the rules of `workTree` (the sandbox, or a
   * scratch directory holding another tree's .gitignore files): one `check-ignore --no-index
   * -v -n -z --stdin` through the raw view. `--no-index` (with an index file that does not
   * exist) treats tracked paths like any other; `-v -n` gives one record per path, in order,
   * "<source> NUL <line> NUL <pattern> NUL <path> NUL", with an empty source when no rule
   * matches and a pattern starting with "!" when the last rule un-ignores (git-check-ignore(1)).
   *
   * @returns the ignored paths, or `refused`: git's message when it refuses a path (exit 128:
   *   pathspec magic such as a leading `:`, a path beyond a symbolic link)
   */
  private async checkIgnore(
    paths: readonly string[],
    workTree: string = this.path,
  ): Promise<{ ignored: string[] } | { refused: string }> {
    const answer = await this.raw(['check-ignore', '--no-index', '-v', '-n', '-z', '--stdin'], {
      workTree,
      ignoreRules: true,
      indexFile: path.join(this.ownDir, 'tmp', 'no-index'),
      input: paths.map((file) => `${file}\0`).join(''),
      allowExit: [1, 128],
    });
    if (answer.exitCode === 128) return { refused: answer.stderr };
    const fields = answer.stdout.split('\0');
    const ignored: string[] = [];
    for (let i = 0; i + 3 < fields.length; i += 4) {
      if (fields[i] !== '' && !(fields[i + 2] as string).startsWith('!'))
        ignored.push(fields[i + 3] as string);
    }
    return { ignored };
  }

  private refusedCheckIgnore(stderr: string): GitCommandError {
    return new GitCommandError(`git check-ignore failed: ${firstLine(stderr)}`, {
      details: { args: ['check-ignore'], exitCode: 128, stderr: stderr.trim() },
    });
  }

  /** Paths of an index's entries (`ls-files -c`; reads the index only). */
  private async entries(indexFile: string, view: 'real' | 'raw'): Promise<string[]> {
    const args = ['ls-files', '-z', '-c'];
    const { stdout } =
      view === 'raw' ? await this.raw(args, { indexFile }) : await this.git(args, { indexFile });
    return stdout.split('\0').filter(Boolean);
  }

  /**
   * The entries among `paths` (all entries when null) of an index that an ignore rule
   * matches (`ls-files -c -i --exclude-standard`; no stat calls).
   */
  private async ignoredAmong(
    indexFile: string,
    view: 'real' | 'raw',
    paths: readonly string[] | null,
  ): Promise<string[]> {
    if (paths?.length === 0) return [];
    const chunks =
      paths === null
        ? [[]]
        : Array.from({ length: Math.ceil(paths.length / 1000) }, (_, n) =>
            paths.slice(n * 1000, n * 1000 + 1000),
          );
    const found: string[] = [];
    for (const chunk of chunks) {
      const args = [
        'ls-files',
        '-z',
        '-c',
        '-i',
        '--exclude-standard',
        '--',
        ...chunk.map((file) => `:(literal)${file}`),
      ];
      const { stdout } =
        view === 'raw'
          ? await this.raw(args, { indexFile, ignoreRules: true })
          : await this.git(args, { indexFile });
      found.push(...stdout.split('\0').filter(Boolean));
    }
    return found;
  }

  /**
   * Makes `to` name the index file `from` names now, as a hard link: O(1) whatever its size,
   * and safe because git never writes an index file in place (it writes `<name>.lock` and
   * renames it over the old name, gitformat-index(5), api-lockfile), so the git calls of a scan
   * replace `to` and leave the linked file as it was. The link shares the file's mtime, which
   * git's racy-entry rule compares entries against. Where the file system refuses the link, a
   * copy keeping the mtime. False when `from` does not exist.
   */
  private async snapshotFile(from: string, to: string): Promise<boolean> {
    try {
      await link(from, to);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      return this.copyKeepingMtime(from, to);
    }
  }

  /** Copies `from` to `to` with its atime/mtime; false when `from` does not exist. */
  private async copyKeepingMtime(from: string, to: string): Promise<boolean> {
    const original = await stat(from).catch(() => undefined);
    if (!original) return false;
    await copyFile(from, to);
    await utimes(to, original.atime, original.mtime);
    return true;
  }

  /**
   * True when git stores every file as its exact bytes here: `core.autocrlf` off and no
   * attributes file (in-tree, `info/attributes`, global, system) sets a converting attribute.
   * Only then may the real index's blobs seed the raw index.
   */
  private async conversionFree(): Promise<boolean> {
    // Three independent questions, asked at once (the first scan of a worktree waits for them).
    const [autocrlf, globalFile, inTree] = await Promise.all([
      this.git(['config', '--get', 'core.autocrlf'], { allowExit: [1] }),
      this.git(['config', '--path', '--get', 'core.attributesFile'], { allowExit: [1] }),
      this.git(['ls-files', '-z', '-c', '-o', '--exclude-standard', '--', ':(glob)**/.gitattributes']),
    ]);
    if (autocrlfConverts(autocrlf.stdout.trim() || null)) return false;
    const xdg = process.env.XDG_CONFIG_HOME || path.join(homedir(), '.config');
    const files = [
      ...inTree.stdout
        .split('\0')
        .filter(Boolean)
        .map((name) => path.join(this.path, name)),
      path.join(this.commonDir, 'info', 'attributes'),
      globalFile.stdout.trim() || path.join(xdg, 'git', 'attributes'),
      '/etc/gitattributes',
    ];
    for (const file of files) {
      const content = await readFile(file, 'utf8').catch(() => '');
      if (attributesConvert(content)) return false;
    }
    return true;
  }

  /** Paths of the submodules `.gitmodules` declares that are present on disk. */
  private async submodulePaths(): Promise<Set<string>> {
    const text = await readFile(path.join(this.path, '.gitmodules'), 'utf8').catch(() => '');
    const found = new Set<string>();
    for (const match of text.matchAll(/^\s*path\s*=\s*(.+?)\s*$/gm)) {
      const dir = match[1];
      if (
        dir &&
        (await leadingDirectoriesReal(this.path, dir)) &&
        (await lstat(path.join(this.path, dir)).catch(() => undefined))
      )
        found.add(dir);
    }
    return found;
  }

  /**
   * Of the untracked `candidates` (as `ls-files -o` lists them), those a snapshot must leave
   * alone: nested repositories (a directory holding `.git`, a directory or a file; a declared
   * submodule when `.gitmodules` names it) and files over `cap` bytes.
   */
  private async findSkipped(
    candidates: readonly string[],
    cap: number,
    submodules: ReadonlySet<string>,
  ): Promise<SkippedPath[]> {
    const skipped = new Map<string, SkippedPath>();
    // Per directory, one lstat of its `.git` however many candidates ask at once.
    const hasGit = new Map<string, Promise<boolean>>();
    const nestedRoot = async (file: string): Promise<string | undefined> => {
      const parts = file.split('/');
      for (let depth = 1; depth < parts.length; depth++) {
        const dir = parts.slice(0, depth).join('/');
        let found = hasGit.get(dir);
        if (found === undefined) {
          found = lstat(path.join(this.path, dir, '.git')).then(
            () => true,
            () => false,
          );
          hasGit.set(dir, found);
        }
        if (await found) return dir;
      }
      return undefined;
    };
    const verdict = async (entry: string): Promise<SkippedPath | undefined> => {
      // git lists a directory it recognises as a repository as "dir/" and does not enter it.
      const root = entry.endsWith('/') ? entry.slice(0, -1) : await nestedRoot(entry);
      if (root !== undefined)
        return { path: root, reason: submodules.has(root) ? 'submodule' : 'nested-repository' };
      const size = await fileSize(path.join(this.path, entry));
      return size !== undefined && size > cap
        ? { path: entry, reason: 'too-large', sizeBytes: size }
        : undefined;
    };
    // Asked concurrently, a chunk at a time; reported in the order git listed them.
    for (let at = 0; at < candidates.length; at += 512) {
      for (const found of await Promise.all(candidates.slice(at, at + 512).map(verdict)))
        if (found) skipped.set(found.path, found);
    }
    return [...skipped.values()];
  }

  private async writeTree(indexFile: string, view: 'real' | 'raw'): Promise<string> {
    try {
      const run =
        view === 'raw' ? this.raw(['write-tree'], { indexFile }) : this.git(['write-tree'], { indexFile });
      return (await run).stdout.trim();
    } catch (error) {
      if (error instanceof GitCommandError && /unmerged/i.test(String(error.details.stderr))) {
        throw new UnmergedIndexError(this.path);
      }
      throw error;
    }
  }

  /**
   * Writes the checkpoint commit and, like `git stash`, its second parent recording the staged
   * state (the index commit), in one `hash-object -t commit -w --stdin-paths --no-filters`
   * instead of two `commit-tree`: the index commit's id is computed here (an object id is the
   * hash of `commit <size>\0<body>`, git-hash-object(1)) so the checkpoint
   * commit can name it before either is written. The bodies are what `commit-tree` writes for
   * savepoint's fixed identity (`tree`, `parent` lines, `author`, `committer`, blank line,
   * message); hash-object checks their format, and the ids git reports must equal the computed
   * ones or nothing is returned.
   *
   * @returns the checkpoint commit's id
   * @throws {InternalError} git wrote objects under other ids than computed (never expected)
   */
  async commitScan(scan: SnapshotScan, message: string): Promise<string> {
    const stamp = `${SAVEPOINT_IDENTITY.name} <${SAVEPOINT_IDENTITY.email}> ${Math.floor(Date.now() / 1000)} +0000`;
    const body = (tree: string, parents: readonly string[], text: string) =>
      Buffer.from(
        [
          `tree ${tree}`,
          ...parents.map((p) => `parent ${p}`),
          `author ${stamp}`,
          `committer ${stamp}`,
          '',
          `${text}\n`,
        ].join('\n'),
        'utf8',
      );
    const head = scan.head.sha ? [scan.head.sha] : [];
    const indexBody = body(scan.indexTreeSha, head, `index of ${message}`);
    const indexId = this.objectId('commit', indexBody);
    const commitBody = body(scan.treeSha, [...head, indexId], message);
    const commitId = this.objectId('commit', commitBody);
    const indexFile = await this.tempFile('commit');
    const commitFile = await this.tempFile('commit');
    try {
      await writeFile(indexFile.file, indexBody, { mode: 0o600 });
      await writeFile(commitFile.file, commitBody, { mode: 0o600 });
      const { stdout } = await this.git(
        ['hash-object', '-t', 'commit', '-w', '--no-filters', '--stdin-paths'],
        {
          input: `${indexFile.file}\n${commitFile.file}\n`,
        },
      );
      const written = stdout.split('\n').filter(Boolean);
      if (written[0] !== indexId || written[1] !== commitId) {
        throw new InternalError(
          `git wrote the checkpoint commits as ${written.join(', ')}, computed ${indexId}, ${commitId}`,
        );
      }
      return commitId;
    } finally {
      await indexFile.remove();
      await commitFile.remove();
    }
  }

  /** The id git gives an object of `type` with these bytes: the hash of `<type> <size>\0<bytes>`. */
  private objectId(type: string, bytes: Buffer): string {
    const algorithm = this.layout.objectFormat === 'sha256' ? 'sha256' : 'sha1';
    return createHash(algorithm).update(`${type} ${bytes.byteLength}\0`).update(bytes).digest('hex');
  }

  async createRef(ref: string, sha: string): Promise<void> {
    // An empty old value makes update-ref fail if the ref already exists (git-update-ref(1)).
    await this.git(['update-ref', '-m', 'savepoint: checkpoint', ref, sha, '']);
  }

  async deleteRef(ref: string, sha: string): Promise<void> {
    await this.git(['update-ref', '-d', ref, sha]);
  }

  async listRefs(prefix: string): Promise<RefEntry[]> {
    const { stdout } = await this.git(['for-each-ref', '--format=%(refname)%00%(objectname)', prefix]);
    return stdout
      .split('\n')
      .filter((line) => line.length > 0)
      .map((line) => {
        const [ref = '', sha = ''] = line.split('\0');
        return { ref, sha };
      });
  }

  async resolveCommit(ref: string): Promise<string | null> {
    const result = await this.git(['rev-parse', '-q', '--verify', `${ref}^{commit}`], {
      allowExit: [1, 128],
    });
    return result.exitCode === 0 ? result.stdout.trim() : null;
  }

  /** A fresh path under savepoint's temp directory, removed at process end if its owner does not. */
  private async tempFile(prefix: string): Promise<{ file: string; remove: () => Promise<void> }> {
    await mkdir(path.join(this.ownDir, 'tmp'), { recursive: true, mode: 0o700 });
    const file = path.join(this.ownDir, 'tmp', `${prefix}-${process.pid}-${randomBytes(6).toString('hex')}`);
    return { file, remove: trackTempFile(file) };
  }

  /**
   * Runs plumbing `diff-tree -p` through the raw view into a temp file (`--output`): git writes
   * the bytes, so content that is not UTF-8 survives (stdout would be decoded as text). Plumbing
   * reads none of the porcelain's diff settings (`diff.noprefix`, `diff.renames`,
   * `diff.mnemonicPrefix`, textconv); the flags pin everything else that shapes a patch.
   */
  async diffFromBase(baseCommit: string | null, tree: string): Promise<Buffer> {
    const { file, remove } = await this.tempFile('patch');
    try {
      await this.raw([
        'diff-tree',
        '-r',
        '-p',
        '--binary',
        '--full-index',
        '--no-renames',
        '--no-color',
        '--no-ext-diff',
        '--no-textconv',
        '--ignore-submodules=none',
        '--src-prefix=a/',
        '--dst-prefix=b/',
        `--output=${file}`,
        baseCommit ?? this.emptyTree(),
        tree,
      ]);
      return await readFile(file);
    } finally {
      await remove();
    }
  }

  async baseTree(baseCommit: string | null): Promise<string | null> {
    if (baseCommit === null) return this.emptyTree();
    const result = await this.git(['rev-parse', '-q', '--verify', `${baseCommit}^{tree}`], {
      allowExit: [1, 128],
    });
    return result.exitCode === 0 ? result.stdout.trim() : null;
  }

  /**
   * `read-tree <base>` (or `--empty`) into a scratch index, `apply --cached` the patch, then
   * `write-tree`. `--cached` applies to the index only (git-apply(1)); `apply --cached` writes
   * the blobs of the postimage, `write-tree` the trees. `--whitespace=nowarn` and
   * `apply.ignoreWhitespace=no` keep the user's whitespace settings from changing or refusing
   * bytes (a CRLF line is "trailing whitespace" to git).
   */
  async treeFromPatch(baseCommit: string | null, patch: Uint8Array): Promise<PatchApplication> {
    const index = await this.tempFile('patch-index');
    const patchFile = await this.tempFile('patch');
    try {
      const base = await this.raw(['read-tree', ...(baseCommit === null ? ['--empty'] : [baseCommit])], {
        indexFile: index.file,
        allowExit: [128],
      });
      if (base.exitCode !== 0) return { applied: false, message: firstLine(base.stderr) };
      if (patch.byteLength > 0) {
        await writeFile(patchFile.file, patch, { mode: 0o600 });
        const applied = await this.raw(
          ['apply', '--cached', '--binary', '--whitespace=nowarn', '-p1', patchFile.file],
          { indexFile: index.file, config: ['apply.ignoreWhitespace=no'], allowExit: [1, 128] },
        );
        if (applied.exitCode !== 0) return { applied: false, message: firstLine(applied.stderr) };
      }
      const { stdout } = await this.raw(['write-tree'], { indexFile: index.file });
      return { applied: true, treeSha: stdout.trim() };
    } finally {
      await index.remove();
      await patchFile.remove();
    }
  }

  async diffTrees(fromTree: string, toTree: string): Promise<TreeChange[]> {
    if (fromTree === toTree) return [];
    const { stdout } = await this.git([
      'diff-tree',
      '-r',
      '-z',
      '--no-renames',
      '--name-status',
      fromTree,
      toTree,
    ]);
    const fields = stdout.split('\0');
    const changes: TreeChange[] = [];
    for (let i = 0; i + 1 < fields.length; i += 2) {
      const status = fields[i];
      const file = fields[i + 1] as string;
      if (status === 'A') changes.push({ path: file, change: 'added' });
      else if (status === 'D') changes.push({ path: file, change: 'deleted' });
      else if (status === 'M' || status === 'T') changes.push({ path: file, change: 'modified' });
      else throw new InternalError(`unexpected diff-tree status ${status ?? '(none)'} for ${file}`);
    }
    return changes;
  }

  /**
   * One `diff-tree --stdin -r -z --raw --no-renames` for every pair: given two trees per input
   * line, git prints the line's two ids and a newline, then that pair's records
   * (git-diff-tree(1), "--stdin"); `--raw -z` records are ":<old mode> <new mode> <old id>
   * <new id> <status>" NUL "<path>" NUL. Pairs of equal trees are answered without git.
   */
  async diffTreePairs(pairs: readonly (readonly [string, string])[]): Promise<EntryChange[][]> {
    const results: EntryChange[][] = pairs.map(() => []);
    const asked = pairs.flatMap(([from, to], index) => (from === to ? [] : [index]));
    if (asked.length === 0) return results;
    const { stdout, stderr } = await this.git(['diff-tree', '--stdin', '-r', '-z', '--raw', '--no-renames'], {
      input: asked
        .map(
          (index) => `${(pairs[index] as readonly [string, string]).join(' ')}
`,
        )
        .join(''),
    });
    // With --stdin, git 2.39 reports a tree it cannot read on stderr ("error: Could not read
    // <id>"), prints nothing for that pair and still exits 0: an empty answer would be a lie.
    if (/^(error|fatal):/m.test(stderr)) {
      throw new GitCommandError(`git diff-tree failed: ${firstLine(stderr)}`, {
        details: { args: ['diff-tree', '--stdin'], exitCode: 0, stderr: stderr.trim() },
      });
    }
    this.refuseNonUtf8(stdout);
    let group = -1;
    let at = 0;
    while (at < stdout.length) {
      if (stdout[at] !== ':') {
        // "<from> <to>\n": the next pair's records follow.
        const end = stdout.indexOf('\n', at);
        group += 1;
        at = end < 0 ? stdout.length : end + 1;
        continue;
      }
      const metaEnd = stdout.indexOf('\0', at);
      const pathEnd = stdout.indexOf('\0', metaEnd + 1);
      const [, mode = '', , sha = '', status = ''] = stdout.slice(at + 1, metaEnd).split(' ');
      const file = stdout.slice(metaEnd + 1, pathEnd < 0 ? stdout.length : pathEnd);
      at = pathEnd < 0 ? stdout.length : pathEnd + 1;
      const list = results[asked[group] ?? -1];
      if (list === undefined)
        throw new InternalError(`unexpected diff-tree --stdin output before a pair line`);
      const change =
        status === 'A'
          ? 'added'
          : status === 'D'
            ? 'deleted'
            : status === 'M' || status === 'T'
              ? 'modified'
              : null;
      if (change === null) throw new InternalError(`unexpected diff-tree status ${status} for ${file}`);
      list.push({ path: file, change, mode, sha });
    }
    return results;
  }

  /** Id of the empty tree in this repository's object format (sha1 or sha256); a constant, never written. */
  private emptyTree(): string {
    const sha = EMPTY_TREE[this.layout.objectFormat];
    if (!sha) throw new InternalError(`unknown object format ${this.layout.objectFormat}`);
    return sha;
  }

  async treeDelta(fromTree: string | null, toTree: string, scan?: SnapshotScan): Promise<TreeDelta> {
    const from = fromTree ?? this.emptyTree();
    if (from === toTree) return { filesChanged: 0, addedBlobBytes: 0 };
    // --raw -z: ":<old mode> <new mode> <old id> <new id> <status>" NUL "<path>" NUL, per path.
    const { stdout } = await this.git(['diff-tree', '-r', '-z', '--raw', ...PLAIN_DIFF, from, toTree]);
    const fields = stdout.split('\0');
    let filesChanged = 0;
    /** path → [mode, blob id] of the content `toTree` brings. */
    const wanted = new Map<string, [string, string]>();
    for (let i = 0; i + 1 < fields.length; i += 2) {
      const [, newMode = '', oldSha = '', newSha = ''] = (fields[i] as string).slice(1).split(' ');
      filesChanged += 1;
      // A mode-only change (chmod +x) brings no new content.
      if (BLOB_MODE.test(newMode) && newSha !== oldSha)
        wanted.set(fields[i + 1] as string, [newMode, newSha]);
    }
    /** blob id → size; a blob counts once however many paths hold it. */
    const sizes = new Map<string, number>();
    let unsized = [...wanted.keys()];
    if (scan?.treeSha === toTree && unsized.length > 0) {
      // The scan's blobs are the worktree files' exact bytes (the raw view converts nothing;
      // a symlink's blob is its target, whose length lstat reports), so the files' sizes are
      // the blobs' sizes without another git call. A path that is gone or changed type since
      // the scan is sized from the tree below.
      unsized = [];
      // A path whose leading directory became a symbolic link since the scan is not looked at
      // through it (it may lead out of the sandbox): sized from the tree.
      const real = new Map<string, Promise<boolean>>();
      const inside = (file: string) => {
        const dir = file.includes('/') ? file.slice(0, file.lastIndexOf('/')) : '';
        if (dir === '') return Promise.resolve(true);
        let known = real.get(dir);
        if (known === undefined) {
          known = leadingDirectoriesReal(this.path, `${dir}/`);
          real.set(dir, known);
        }
        return known;
      };
      await Promise.all(
        [...wanted].map(async ([file, [mode, sha]]) => {
          const info = (await inside(file))
            ? await lstat(path.join(this.path, file)).catch(() => undefined)
            : undefined;
          if (info && (mode === '120000' ? info.isSymbolicLink() : info.isFile())) sizes.set(sha, info.size);
          else unsized.push(file);
        }),
      );
    }
    if (unsized.length > 0) {
      // ls-tree -l prints each blob's size: one call for the paths (the whole tree when they
      // are many: a thousand pathspecs cost more to match than one listing).
      const pathspecs =
        unsized.length > PATHSPEC_LIMIT ? [] : ['--', ...unsized.map((p) => `:(literal)${p}`)];
      const listing = await this.git(['ls-tree', '-r', '-l', '-z', '--full-tree', toTree, ...pathspecs]);
      // "<mode> blob <id> <size, space-padded>\t<path>"
      for (const record of listing.stdout.split('\0')) {
        const match = /^\d+ blob ([0-9a-f]+) +(\d+)\t(.+)$/s.exec(record);
        if (match?.[1] && match[2] && match[3] && wanted.get(match[3])?.[1] === match[1])
          sizes.set(match[1], Number(match[2]));
      }
    }
    let addedBlobBytes = 0;
    for (const size of sizes.values()) addedBlobBytes += size;
    return { filesChanged, addedBlobBytes };
  }

  async diffStat(fromTree: string | null, toTree: string): Promise<DiffStatEntry[]> {
    const from = fromTree ?? this.emptyTree();
    if (from === toTree) return [];
    const [changes, numstat] = await Promise.all([
      this.diffTrees(from, toTree),
      // --numstat -z: "<added>\t<removed>\t<path>" NUL; "-\t-" for a binary file.
      this.git(['diff-tree', '-r', '-z', '--numstat', ...PLAIN_DIFF, from, toTree]),
    ]);
    const counts = new Map<string, { added: number; removed: number; binary: boolean }>();
    for (const record of numstat.stdout.split('\0')) {
      const match = /^(\d+|-)\t(\d+|-)\t(.+)$/s.exec(record);
      if (!match?.[1] || !match[2] || !match[3]) continue;
      const binary = match[1] === '-';
      // A type change (file to symlink) is two entries of one path, a deletion and an addition.
      const seen = counts.get(match[3]) ?? { added: 0, removed: 0, binary: false };
      counts.set(match[3], {
        added: seen.added + (binary ? 0 : Number(match[1])),
        removed: seen.removed + (binary ? 0 : Number(match[2])),
        binary: seen.binary || binary,
      });
    }
    return changes
      .map(({ path: file, change }) => ({
        path: file,
        change,
        ...(counts.get(file) ?? { added: 0, removed: 0, binary: false }),
      }))
      .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  async diffPatch(fromTree: string | null, toTree: string): Promise<Buffer> {
    const from = fromTree ?? this.emptyTree();
    if (from === toTree) return Buffer.alloc(0);
    const { stdoutBytes } = await this.git(
      ['diff-tree', '-r', '-p', '--binary', ...PLAIN_DIFF, from, toTree],
      {
        bytes: true,
      },
    );
    return stdoutBytes ?? Buffer.alloc(0);
  }

  async hasTree(sha: string): Promise<boolean> {
    // Peeling to a tree reads the object, so a missing one fails (exit 1 with -q).
    const result = await this.git(['rev-parse', '-q', '--verify', `${sha}^{tree}`], { allowExit: [1, 128] });
    return result.exitCode === 0;
  }

  async findInTheWay(changes: readonly TreeChange[]): Promise<string[]> {
    const held = new Set(changes.filter((c) => c.change !== 'added').map((c) => c.path));
    const inTheWay = new Set<string>();
    const at = (rel: string) => lstat(path.join(this.path, rel)).catch(() => undefined);
    /** Entries under `dir` the current tree does not hold; a nested repository counts as one entry, never entered. */
    const unheldUnder = async (dir: string): Promise<string[]> => {
      if (await at(`${dir}/.git`)) return [dir];
      const found: string[] = [];
      for (const entry of await readdir(path.join(this.path, dir), { withFileTypes: true })) {
        const rel = `${dir}/${entry.name}`;
        if (entry.isDirectory()) found.push(...(await unheldUnder(rel)));
        else if (!held.has(rel)) found.push(rel);
      }
      return found;
    };
    added: for (const { path: file, change } of changes) {
      if (change !== 'added') continue;
      const parts = file.split('/');
      for (let depth = 1; depth < parts.length; depth++) {
        const dir = parts.slice(0, depth).join('/');
        const info = await at(dir);
        if (!info) break;
        if (info.isDirectory()) {
          // Writing into a nested repository would enter it: the repository is in the way.
          if (!(await at(`${dir}/.git`))) continue;
          inTheWay.add(dir);
          break;
        }
        // A file or symbolic link where a directory must go: git replaces it when the current
        // tree holds it, else it is in the way. Nothing below it is looked at: an lstat of
        // `dir/x` would follow a link `dir`, perhaps to a directory outside the sandbox.
        if (!held.has(dir)) inTheWay.add(dir);
        continue added;
      }
      const info = await at(file);
      if (!info) continue;
      if (info.isDirectory()) for (const rel of await unheldUnder(file)) inTheWay.add(rel);
      else inTheWay.add(file);
    }
    return [...inTheWay].sort();
  }

  async ignoredByRulesOf(tree: string | null, paths: readonly string[]): Promise<string[]> {
    if (paths.length === 0) return [];
    let scratch: string | null = null;
    if (tree !== null) {
      await mkdir(path.join(this.ownDir, 'tmp'), { recursive: true, mode: 0o700 });
      scratch = await mkdtemp(path.join(this.ownDir, 'tmp', 'rules-'));
    }
    try {
      // check-ignore reads the .gitignore files of its work tree: the sandbox's own when the
      // tree's rules are today's, else a scratch directory holding only the tree's .gitignore
      // files (ls-tree has no glob pathspecs: list the tree and pick them).
      const listing = tree === null ? '' : (await this.git(['ls-tree', '-r', '-z', tree])).stdout;
      const workTree = scratch ?? this.path;
      for (const record of listing.split('\0')) {
        const match = /^\d+ blob ([0-9a-f]+)\t((?:.*\/)?\.gitignore)$/s.exec(record);
        if (!match?.[1] || !match[2]) continue;
        const { stdout } = await this.git(['cat-file', 'blob', match[1]]);
        await mkdir(path.dirname(path.join(workTree, match[2])), { recursive: true });
        await writeFile(path.join(workTree, match[2]), stdout);
      }
      const answer = await this.checkIgnore(paths, scratch ?? this.path);
      if ('refused' in answer) throw this.refusedCheckIgnore(answer.refused);
      return answer.ignored;
    } finally {
      if (scratch !== null) await rm(scratch, { recursive: true, force: true });
    }
  }

  async graftEntries(baseTree: string, fromTree: string, paths: readonly string[]): Promise<string> {
    if (paths.length === 0) return baseTree;
    const file = path.join(this.ownDir, 'tmp', `graft-${process.pid}-${randomBytes(6).toString('hex')}`);
    const remove = trackTempFile(file);
    try {
      await this.git(['read-tree', baseTree], { indexFile: file });
      const { stdout } = await this.git([
        'ls-tree',
        '-r',
        '-z',
        '--full-tree',
        fromTree,
        '--',
        ...paths.map((p) => `:(literal)${p}`),
      ]);
      const entries = stdout
        .split('\0')
        .map((record) => /^(\d+) \w+ ([0-9a-f]+)\t(.+)$/s.exec(record))
        .filter((match): match is RegExpExecArray => match !== null)
        .map(([, mode, sha, file]) => `${mode},${sha},${file}`);
      for (let i = 0; i < entries.length; i += 500) {
        const args = entries.slice(i, i + 500).flatMap((entry) => ['--cacheinfo', entry]);
        await this.git(['update-index', '--add', ...args], { indexFile: file });
      }
      return (await this.git(['write-tree'], { indexFile: file })).stdout.trim();
    } finally {
      await remove();
    }
  }

  async checkoutTree(scan: SnapshotScan, toTree: string): Promise<void> {
    if (!(scan instanceof GitScan)) throw new InternalError('checkoutTree needs a scan made by this adapter');
    if (scan.treeSha === toTree) return;
    try {
      // Two-tree merge on the private index that matches the worktree: git updates only the
      // paths that differ, refuses to overwrite files absent from the index (ignored files),
      // refuses entries whose file changed since the scan, and checks all that before it
      // writes anything (git-read-tree(1), "Two Tree Merge").
      scan.rawTree = null;
      scan.membership = null;
      await this.raw(['read-tree', '-u', '-m', scan.treeSha, toTree], { indexFile: scan.indexFile });
      scan.rawTree = toTree;
    } catch (error) {
      if (error instanceof GitCommandError) {
        const stderr = String(error.details.stderr);
        if (/would be (overwritten|removed)|would lose untracked/.test(stderr)) {
          throw new PathInTheWayError(pathsFromGitError(stderr), 'untracked');
        }
        if (/not uptodate/.test(stderr)) throw new PathInTheWayError(pathsFromGitError(stderr), 'changed');
      }
      throw error;
    }
  }

  async moveAside(paths: readonly string[], label: string): Promise<MovedAside[]> {
    const moved: MovedAside[] = [];
    for (const file of paths) {
      // Re-checked right before the move: a leading directory that became a symbolic link since
      // the scan would make the rename take a file from wherever the link points.
      if (!(await leadingDirectoriesReal(this.path, file))) throw new PathInTheWayError([file], 'changed');
      const from = path.join(this.path, file);
      const to = path.join(this.asideDir(label), file);
      await mkdir(path.dirname(to), { recursive: true, mode: 0o700 });
      await moveEntry(from, to);
      moved.push({ path: file, movedTo: to });
    }
    return moved;
  }

  /** Where {@link moveAside} puts the files of `label`. */
  private asideDir(label: string): string {
    return path.join(this.ownDir, 'aside', label);
  }

  async asideEntries(label: string): Promise<MovedAside[]> {
    const root = this.asideDir(label);
    const found: MovedAside[] = [];
    // withFileTypes reports a symbolic link as a link: it is an entry, never followed.
    const walk = async (rel: string): Promise<void> => {
      const entries = await readdir(path.join(root, rel), { withFileTypes: true }).catch(() => []);
      for (const entry of entries) {
        const child = rel === '' ? entry.name : `${rel}/${entry.name}`;
        if (entry.isDirectory()) await walk(child);
        else found.push({ path: child, movedTo: path.join(root, child) });
      }
    };
    await walk('');
    return found.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  async returnAside(label: string, entries: readonly MovedAside[]): Promise<AsideReturn> {
    const returned: ReturnedFromAside[] = [];
    const left: MovedAside[] = [];
    for (const entry of entries) {
      const to = path.join(this.path, entry.path);
      const free =
        unsafeTreePathReason(entry.path) === null &&
        (await makeLeadingDirectories(this.path, entry.path)) &&
        !(await lstat(to).catch(() => undefined));
      if (!free) {
        left.push(entry);
        continue;
      }
      await moveEntry(entry.movedTo, to);
      returned.push({ path: entry.path, movedFrom: entry.movedTo });
    }
    // Directories the returns emptied go; the label's directory too once nothing is left in it.
    const root = this.asideDir(label);
    for (const { movedFrom } of returned) {
      for (let dir = path.dirname(movedFrom); dir.startsWith(root); dir = path.dirname(dir)) {
        if (
          !(await rmdir(dir).then(
            () => true,
            () => false,
          ))
        )
          break;
      }
    }
    return { returned, left };
  }

  /**
   * Sets the real index to `indexTree`, as `read-tree --reset <indexTree>` does: a one-way
   * merge in which entries whose mode and object id are unchanged keep their stat data (and
   * flags), and, unlike `-m`, entries whose file rollback just rewrote do not abort it
   * (git-read-tree(1), "Single Tree Merge"; unpack-trees.c `oneway_merge`). Without `-u` the
   * worktree is not touched.
   *
   * With a `delta` that provably applies ({@link deltaApplies}), the same index is reached by
   * writing only the entries that differ, in one `update-index -z --index-info`
   * (git-update-index(1), "USING --INDEX-INFO": `<mode> SP <object> TAB <path>`, mode 0
   * removes the path): O(changed paths) instead of reading every tree of the target (the
   * one-way merge walks the whole tree, then primes the cache tree from it). Every other
   * entry stays byte for byte as it was, which is what the one-way merge keeps; a written
   * entry gets no stat data, as the merge's new entries do. What differs is only the
   * cache-tree extension: still valid where nothing changed, instead of primed whole.
   *
   * Then only the `rewritten` paths get fresh stat data, not every entry (a full `update-index
   * --refresh` lstats the whole tree: as much as a scan's walk). That is `git status -uno --
   * <paths>` run for its side effect: status refreshes the entries its pathspec matches and
   * writes the index back when it can take the lock ("background refresh", git-status(1);
   * savepoint's calls otherwise set `GIT_OPTIONAL_LOCKS=0`, so this one sets it to 1). Unlike
   * `add --refresh`, a path the index does not hold is no error. Past
   * {@link TARGETED_REFRESH_LIMIT} paths, the whole index is refreshed instead. Both run with
   * every filter driver switched off ({@link noFilters}): a file whose stat changed is re-hashed,
   * and the in-tree `.gitattributes` would otherwise run the configured clean filter.
   *
   * Correctness never depends on that refresh: an entry whose stat does not match its file is
   * compared by content by every git command, and an entry whose stale stat could match by
   * chance (same size, mtime in the second the index was written) is caught by git's
   * racy-entry rule (`Documentation/technical/racy-git.txt`; git smudges such entries when it
   * rewrites the index, whichever command writes it).
   *
   * @param rewritten worktree paths the rollback wrote (relative to the top level)
   * @param delta how the real index differs from `indexTree`, when known (see {@link IndexDelta})
   * @throws {BusyError} `BUSY` (6): another git process holds `index.lock`
   * @throws {InternalError} `delta.toTree` is not `indexTree`
   */
  async resetIndex(indexTree: string, rewritten: readonly string[] = [], delta?: IndexDelta): Promise<void> {
    if (delta && delta.toTree !== indexTree)
      throw new InternalError(`index delta leads to ${delta.toTree}, not to ${indexTree}`);
    try {
      if (delta && (await this.deltaApplies(delta))) {
        if (delta.changes.length > 0) {
          await this.git(['update-index', '-z', '--index-info'], {
            input: delta.changes.map((c) => `${c.mode} ${c.sha}\t${c.path}\0`).join(''),
          });
        }
      } else {
        await this.git(['read-tree', '--reset', indexTree]);
      }
    } catch (error) {
      throw this.lockError(error);
    }
    if (rewritten.length === 0) return;
    // A failed refresh leaves stat data stale, which costs git a re-hash, never a wrong answer.
    if (rewritten.length > TARGETED_REFRESH_LIMIT) {
      await this.git(['update-index', '-q', '--refresh'], { allowExit: [1, 128] });
      return;
    }
    await this.git(
      [
        'status',
        '--porcelain',
        '-z',
        '--untracked-files=no',
        '--ignore-submodules=all',
        '--no-renames',
        '--',
        ...rewritten.map((file) => `:(literal)${file}`),
      ],
      { env: { GIT_OPTIONAL_LOCKS: '1' }, allowExit: [1, 128] },
    );
  }

  /**
   * True when writing `delta.changes` into the real index gives exactly what `read-tree --reset`
   * of the target tree gives, i.e. when all of these hold:
   *
   * - the real index's trailing checksum is still the one of `delta.stamp`, read before the scan
   *   that wrote `delta.fromTree`: the file is byte for byte the one that scan copied, so its
   *   entries are those of `fromTree` (the checksum is git's hash of the whole file,
   *   gitformat-index(5); `index.skipHash` leaves it zero: no proof, no delta);
   * - it is a version 2 index: entry flags beyond the stage (intent-to-add, skip-worktree) need
   *   version 3 or 4, which git writes as soon as one entry has them (gitformat-index(5),
   *   "extended flags"). An intent-to-add entry is in no tree, so no tree diff would remove it,
   *   and the one-way merge carries a skip-worktree flag over to a changed entry, which
   *   `--index-info` does not; a sparse index's directory entries are skip-worktree too;
   * - no sparse-checkout pattern file (`<git-dir>/info/sparse-checkout`): with one (and
   *   `core.sparseCheckout`), read-tree may mark entries outside the patterns skip-worktree
   *   (git-read-tree(1), "SPARSE CHECKOUT"). git 2.39 does so only when it updates the
   *   worktree (`-u`), not for `--reset` alone; that rule is left to git, not reproduced.
   *
   * Unmerged entries never get here: the scan refuses an index that has them.
   */
  private async deltaApplies(delta: IndexDelta): Promise<boolean> {
    if (delta.stamp.checksum === null || delta.stamp.version !== 2) return false;
    const [now, sparse] = await Promise.all([
      this.indexStamp(),
      lstat(path.join(this.layout.gitDir, 'info', 'sparse-checkout')).then(
        () => true,
        () => false,
      ),
    ]);
    return !sparse && now.version === 2 && now.checksum === delta.stamp.checksum;
  }

  async indexStamp(): Promise<IndexStamp> {
    const [checksum, version] = await Promise.all([
      indexTrailer(this.layout.indexFile, this.hashBytes),
      indexVersion(this.layout.indexFile),
    ]);
    return { checksum, version };
  }

  async moveHead(current: HeadState, target: HeadState, reason: string): Promise<void> {
    if (current.ref !== target.ref) throw new InternalError('moveHead cannot switch branches');
    if (current.sha === target.sha) return;
    try {
      if (current.ref === null) {
        if (!target.sha || !current.sha) throw new InternalError('a detached HEAD always has a commit');
        await this.git(['update-ref', '--no-deref', '-m', reason, 'HEAD', target.sha, current.sha]);
      } else if (target.sha === null) {
        // The checkpoint was taken on an unborn branch: make it unborn again. The commits stay
        // reachable from the safety checkpoint, whose commit has them as parent.
        await this.git(['update-ref', '-d', '-m', reason, current.ref, current.sha ?? '']);
      } else {
        await this.git(['update-ref', '-m', reason, current.ref, target.sha, current.sha ?? '']);
      }
    } catch (error) {
      throw this.lockError(error);
    }
  }

  async indexLocked(): Promise<boolean> {
    return stat(`${this.layout.indexFile}.lock`).then(
      () => true,
      () => false,
    );
  }

  /**
   * Files under `<gitDir>/savepoint/tmp/` whose owner is gone. Names carry the creating pid
   * (`index-<pid>-…`, `raw-<pid>-…`, `graft-<pid>-…`, `commit-<pid>-…`, `patch-<pid>-…`,
   * `patch-index-<pid>-…`, `state-<pid>-…`, and git's `<name>.lock` next to them);
   * a file of a dead pid is garbage, except a `.lock` git may still hold: a killed savepoint
   * does not kill its git child, which finishes and removes its lock itself, so a `.lock`
   * counts as stale only once {@link TEMP_LOCK_STALE_MS} old. Nameless scratch directories
   * (`rules-…`) are stale after an hour.
   */
  async staleTempFiles(): Promise<{ stale: string[]; busy: string[] }> {
    const dir = path.join(this.ownDir, 'tmp');
    const names = await readdir(dir).catch(() => [] as string[]);
    const stale: string[] = [];
    const busy: string[] = [];
    const now = Date.now();
    for (const name of names) {
      const full = path.join(dir, name);
      const info = await lstat(full).catch(() => undefined);
      if (!info) continue;
      const pid = Number(
        /^(?:index|raw|graft|commit|patch|patch-index|state)-(\d+)-/.exec(name)?.[1] ?? Number.NaN,
      );
      if (Number.isNaN(pid)) {
        if (name.startsWith('rules-') && now - info.mtimeMs > 3_600_000) stale.push(full);
        continue;
      }
      if (pid === process.pid || processAlive(pid)) continue;
      if (name.endsWith('.lock') && now - info.mtimeMs < TEMP_LOCK_STALE_MS) busy.push(full);
      else stale.push(full);
    }
    return { stale, busy };
  }

  async removeTempFiles(files: readonly string[]): Promise<void> {
    const dir = path.join(this.ownDir, 'tmp');
    for (const file of files) {
      if (path.dirname(file) !== dir)
        throw new InternalError(`refusing to remove ${file}: not a savepoint temp file`);
      await rm(file, { recursive: true, force: true });
    }
  }

  async objectsExist(shas: readonly string[]): Promise<boolean> {
    // `cat-file -e` exits 0 when the object exists and is valid, non-zero otherwise (git-cat-file(1)).
    for (let i = 0; i < shas.length; i += 8) {
      const results = await Promise.all(
        shas.slice(i, i + 8).map((sha) => this.git(['cat-file', '-e', sha], { allowExit: [1, 128] })),
      );
      if (results.some((r) => r.exitCode !== 0)) return false;
    }
    return true;
  }

  async listTreePaths(tree: string): Promise<string[]> {
    // -z: paths unquoted, NUL-terminated (git-ls-tree(1)).
    const { stdout } = await this.git(['ls-tree', '-r', '-z', '--name-only', tree]);
    return stdout.split('\0').filter((entry) => entry.length > 0);
  }

  private lockError(error: unknown): unknown {
    if (error instanceof GitCommandError && LOCK_MESSAGE.test(String(error.details.stderr))) {
      return new BusyError(
        `another git process holds a lock in ${this.path}: ${firstLine(String(error.details.stderr))}`,
        {
          cause: error,
        },
      );
    }
    return error;
  }
}

/** What identifies a file system entry between two looks at it: a replaced or changed entry differs. */
function identityOf(info: Stats): string {
  return `${info.dev}:${info.ino}:${info.mtimeMs}:${info.ctimeMs}:${info.birthtimeMs}`;
}

/**
 * Opens sandboxes with git; refuses directories that are not in a git worktree (bare
 * repositories included).
 *
 * What `open` learns from git (`rev-parse`) is kept per directory for the provider's lifetime
 * (one process: `Savepoint.open` and the service opening the plan's sandbox ask the same
 * question), and reused only while the directory and the worktree's `.git` entry are the very
 * same file system entries, unchanged (device, inode, mtime, ctime, birth time): deleting,
 * replacing or moving either, re-initialising the repository, or any write directly inside a
 * `.git` directory (git writes its config, index and HEAD by renaming a lock file there) asks
 * git again.
 */
export class GitSandboxProvider implements SandboxProvider {
  private readonly opened = new Map<string, { worktree: GitWorktree; dir: string; dotGit: string }>();

  async open(dir: string): Promise<GitSandbox> {
    const absolute = path.resolve(dir);
    const info = await stat(absolute).catch(() => undefined);
    if (!info?.isDirectory()) {
      throw new SandboxInvalidError(`sandbox ${absolute} does not exist or is not a directory`, {
        details: { path: absolute },
      });
    }
    const known = this.opened.get(absolute);
    if (known && known.dir === identityOf(info)) {
      const dotGit = await lstat(path.join(known.worktree.path, '.git')).catch(() => undefined);
      if (dotGit && identityOf(dotGit) === known.dotGit) return known.worktree;
    }
    this.opened.delete(absolute);
    const worktree = await this.discover(absolute);
    const dotGit = await lstat(path.join(worktree.path, '.git')).catch(() => undefined);
    if (dotGit) this.opened.set(absolute, { worktree, dir: identityOf(info), dotGit: identityOf(dotGit) });
    return worktree;
  }

  /** Asks git where the worktree containing `absolute` (an existing directory) keeps its state. */
  private async discover(absolute: string): Promise<GitWorktree> {
    let lines: string[];
    try {
      const result = await runGit(
        [
          'rev-parse',
          '--path-format=absolute',
          '--show-toplevel',
          '--git-dir',
          '--git-common-dir',
          '--git-path',
          'index',
          '--git-path',
          'objects',
          '--show-object-format',
        ],
        { cwd: absolute },
      );
      lines = result.stdout.split('\n');
    } catch (error) {
      const reason =
        error instanceof GitCommandError ? firstLine(String(error.details.stderr)) : String(error);
      throw new SandboxInvalidError(`${absolute} is not inside a git worktree (${reason})`, {
        cause: error,
        details: { path: absolute },
      });
    }
    const [toplevel, gitDir, commonDir, indexFile, objectsDir, objectFormat] = lines;
    if (!toplevel || !gitDir || !commonDir || !indexFile || !objectsDir || !objectFormat) {
      throw new SandboxInvalidError(`${absolute} is not inside a git worktree`, {
        details: { path: absolute },
      });
    }
    const top = await realpath(toplevel);
    return new GitWorktree(top, await realpath(commonDir), { gitDir, indexFile, objectsDir, objectFormat });
  }

  async addWorktree(from: GitSandbox, dir: string, branch: string): Promise<GitSandbox> {
    const head = await from.head();
    if (!head.sha) {
      throw new SandboxInvalidError(`cannot add a linked worktree to ${from.path}: HEAD has no commit yet`, {
        details: { path: from.path },
      });
    }
    const target = path.resolve(dir);
    try {
      await runGit(['worktree', 'add', '-b', branch, target, head.sha], { cwd: from.path });
    } catch (error) {
      const reason =
        error instanceof GitCommandError ? firstLine(String(error.details.stderr)) : String(error);
      throw new SandboxInvalidError(`cannot create linked worktree at ${target}: ${reason}`, {
        cause: error,
        details: { path: target, branch },
      });
    }
    return this.open(target);
  }
}
