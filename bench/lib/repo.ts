/**
 * Deterministic benchmark repositories: a seeded generator of a committed git repository of
 * N files over a realistic directory tree and size mix, and seeded workloads of
 * modifications, new untracked files and deletions on it.
 */
import { spawnSync } from 'node:child_process';
import { lstatSync, mkdirSync, readdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** mulberry32: a small, fast, seeded PRNG returning floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)] as T;
}

function between(random: () => number, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

/**
 * Runs git synchronously with argv only; throws with git's stderr on a non-zero exit.
 * The benchmark's own setup calls, never timed.
 */
export function git(cwd: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): string {
  const result = spawnSync('git', args, { cwd, env, encoding: 'utf8', maxBuffer: 1 << 30 });
  if (result.error) throw result.error;
  if (result.status !== 0)
    throw new Error(
      `git ${args.join(' ')} failed in ${cwd} (exit ${result.status}): ${result.stderr.trim()}`,
    );
  return result.stdout;
}

/** Identity and settings for the benchmark's own commits, whatever the machine's git config says. */
export const SETUP_CONFIG = [
  '-c',
  'user.name=bench',
  '-c',
  'user.email=bench@localhost',
  '-c',
  'commit.gpgSign=false',
  '-c',
  'core.hooksPath=/dev/null',
];

const DIR_WORDS = [
  'src',
  'lib',
  'core',
  'utils',
  'components',
  'services',
  'models',
  'api',
  'internal',
  'test',
  'fixtures',
  'docs',
  'assets',
  'config',
  'scripts',
  'vendor',
  'pkg',
  'handlers',
  'views',
  'styles',
];
const FILE_WORDS = [
  'index',
  'main',
  'parser',
  'client',
  'server',
  'helpers',
  'types',
  'store',
  'router',
  'config',
  'schema',
  'render',
  'cache',
  'errors',
  'format',
  'logger',
];
const TEXT_EXTENSIONS = ['.ts', '.ts', '.ts', '.js', '.py', '.go', '.json', '.md', '.css', '.txt', '.yaml'];
const BINARY_EXTENSIONS = ['.png', '.jpg', '.woff2', '.bin'];

/** One generated file: repository-relative path and size in bytes. */
export interface GeneratedFile {
  path: string;
  size: number;
  binary: boolean;
}

/** A generated, committed benchmark repository. */
export interface GeneratedRepo {
  dir: string;
  files: GeneratedFile[];
  /** Sum of file sizes (bytes). */
  bytes: number;
  /** Directories in the tree (not counting the root). */
  dirs: number;
  maxDepth: number;
  /** Wall time of generating, adding, committing and repacking (ms). */
  generateMs: number;
}

/**
 * Size mix (bytes): 70 % small text 100 B–2 KiB, 25 % 2–8 KiB, 4.5 % 8–64 KiB, 0.5 % binaries
 * 16–256 KiB. Mean ≈ 4.5 KiB, so 100k files ≈ 450 MB.
 */
function drawSize(random: () => number): { size: number; binary: boolean } {
  const r = random();
  if (r < 0.7) return { size: between(random, 100, 2048), binary: false };
  if (r < 0.95) return { size: between(random, 2048, 8192), binary: false };
  if (r < 0.995) return { size: between(random, 8192, 65536), binary: false };
  return { size: between(random, 16384, 262144), binary: true };
}

/** Seeded pools files take their bytes from (text lines and random bytes), so generating is fast. */
function pools(random: () => number): { text: Buffer; bytes: Buffer } {
  const words = [
    ...DIR_WORDS,
    ...FILE_WORDS,
    'const',
    'return',
    'function',
    'if',
    'else',
    '=',
    '{',
    '}',
    '(x)',
  ];
  const lines: string[] = [];
  let length = 0;
  while (length < 1 << 20) {
    const count = between(random, 2, 12);
    const line = `${' '.repeat(between(random, 0, 4) * 2)}${Array.from({ length: count }, () => pick(random, words)).join(' ')}\n`;
    lines.push(line);
    length += line.length;
  }
  const bytes = Buffer.alloc(1 << 20);
  for (let i = 0; i < bytes.length; i += 4) bytes.writeUInt32LE(Math.floor(random() * 0x100000000), i);
  return { text: Buffer.from(lines.join(''), 'utf8'), bytes };
}

/** Content of generated file `index` of `size` bytes: a unique header, then a slice of a pool. */
function content(
  file: GeneratedFile,
  index: number,
  random: () => number,
  pool: { text: Buffer; bytes: Buffer },
) {
  const header = Buffer.from(`// ${file.path} #${index}\n`);
  const source = file.binary ? pool.bytes : pool.text;
  const length = Math.max(0, file.size - header.length);
  const parts: Buffer[] = [header];
  let remaining = length;
  while (remaining > 0) {
    const take = Math.min(remaining, source.length);
    const start = Math.floor(random() * (source.length - take + 1));
    parts.push(source.subarray(start, start + take));
    remaining -= take;
  }
  return Buffer.concat(parts);
}

/**
 * Generates a repository of `fileCount` files in `dir` (created), commits it in one commit
 * and repacks it, so a `git clone --local` of it looks like a fresh clone (one pack, no loose
 * objects). Same `seed` and `fileCount` → same paths and bytes.
 *
 * Tree shape: about one directory per 12 files; each new directory hangs under a random
 * earlier one of depth < 7 (a random recursive tree: a few deep chains, wide near the root);
 * files go to random directories, with a `.gitignore` at the root ignoring `*.log` and `build/`.
 */
export function generateRepo(dir: string, fileCount: number, seed: number): GeneratedRepo {
  const started = performance.now();
  const random = seededRandom(seed);
  const pool = pools(random);
  mkdirSync(dir, { recursive: true });
  const dirs: { path: string; depth: number }[] = [{ path: '', depth: 0 }];
  const dirCount = Math.max(1, Math.round(fileCount / 12));
  const taken = new Set<string>();
  const open = [...dirs];
  while (dirs.length <= dirCount) {
    const parent = pick(random, open);
    let name = pick(random, DIR_WORDS);
    let candidate = parent.path ? `${parent.path}/${name}` : name;
    for (let n = 2; taken.has(candidate); n += 1) {
      name = `${pick(random, DIR_WORDS)}${n}`;
      candidate = parent.path ? `${parent.path}/${name}` : name;
    }
    taken.add(candidate);
    const child = { path: candidate, depth: parent.depth + 1 };
    dirs.push(child);
    if (child.depth < 7) open.push(child);
  }
  for (const d of dirs) if (d.path) mkdirSync(path.join(dir, d.path), { recursive: true });
  const files: GeneratedFile[] = [];
  let bytes = 0;
  const names = new Set<string>();
  for (let i = 0; i < fileCount; i += 1) {
    const parent = pick(random, dirs);
    const { size, binary } = drawSize(random);
    const ext = binary ? pick(random, BINARY_EXTENSIONS) : pick(random, TEXT_EXTENSIONS);
    let base = `${pick(random, FILE_WORDS)}${ext}`;
    let rel = parent.path ? `${parent.path}/${base}` : base;
    for (let n = 2; names.has(rel); n += 1) {
      base = `${pick(random, FILE_WORDS)}-${n}${ext}`;
      rel = parent.path ? `${parent.path}/${base}` : base;
    }
    names.add(rel);
    const file = { path: rel, size, binary };
    const data = content(file, i, random, pool);
    file.size = data.length;
    writeFileSync(path.join(dir, rel), data);
    files.push(file);
    bytes += data.length;
  }
  writeFileSync(path.join(dir, '.gitignore'), '*.log\nbuild/\n');
  git(dir, ['init', '-q', '-b', 'main']);
  git(dir, ['add', '-A']);
  git(dir, [...SETUP_CONFIG, 'commit', '-q', '-m', `generated: ${fileCount} files, seed ${seed}`]);
  git(dir, ['repack', '-adq']);
  git(dir, ['prune-packed']);
  return {
    dir,
    files,
    bytes,
    dirs: dirs.length - 1,
    maxDepth: Math.max(...dirs.map((d) => d.depth)),
    generateMs: performance.now() - started,
  };
}

/** How many paths a workload changes, by kind. */
export interface WorkloadShape {
  modify: number;
  add: number;
  remove: number;
}

/** Splits `total` changed paths 60 % modified / 20 % new untracked / 20 % deleted (at least one modified). */
export function mixedShape(total: number): WorkloadShape {
  const add = Math.floor(total * 0.2);
  const remove = Math.floor(total * 0.2);
  return { modify: total - add - remove, add, remove };
}

/** A planned workload: which tracked files change and which new files appear. */
export interface Workload {
  modified: string[];
  added: string[];
  removed: string[];
}

/**
 * Chooses a workload on `repo` from `seed`: distinct tracked files to modify and delete, and new
 * file paths next to existing ones. Same seed → same paths; apply it with {@link applyWorkload}.
 */
export function planWorkload(repo: GeneratedRepo, shape: WorkloadShape, seed: number): Workload {
  const random = seededRandom(seed);
  const chosen = new Set<number>();
  const need = shape.modify + shape.remove;
  if (need > repo.files.length)
    throw new Error(`workload of ${need} files on a ${repo.files.length}-file repo`);
  while (chosen.size < need) chosen.add(Math.floor(random() * repo.files.length));
  const picked = [...chosen].map((i) => (repo.files[i] as GeneratedFile).path);
  const added: string[] = [];
  for (let i = 0; i < shape.add; i += 1) {
    const near = pick(random, repo.files).path;
    added.push(path.posix.join(path.posix.dirname(near), `new-${seed}-${i}.ts`));
  }
  return { modified: picked.slice(0, shape.modify), added, removed: picked.slice(shape.modify) };
}

/** Writes a workload into the worktree; `round` makes the new bytes differ between rounds. */
export function applyWorkload(dir: string, workload: Workload, round: number): void {
  for (const file of workload.modified)
    writeFileSync(path.join(dir, file), `// modified in round ${round}\nexport const round = ${round};\n`);
  for (const file of workload.added) writeFileSync(path.join(dir, file), `// new file, round ${round}\n`);
  for (const file of workload.removed) rmSync(path.join(dir, file), { force: true });
}

/**
 * Bytes used by a directory tree on disk (allocated blocks, like `du -s --block-size=1`: a file
 * with several hard links in the tree counts once, e.g. savepoint's raw index sharing the real
 * index's inode).
 */
export function diskBytes(dir: string): number {
  let total = 0;
  const seen = new Set<string>();
  const walk = (current: string) => {
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      const full = path.join(current, entry.name);
      if (entry.isDirectory()) walk(full);
      const info = lstatSync(full, { bigint: false, throwIfNoEntry: false });
      if (!info) continue;
      const inode = `${info.dev}:${info.ino}`;
      if (info.nlink > 1 && seen.has(inode)) continue;
      seen.add(inode);
      total += info.blocks * 512;
    }
  };
  walk(dir);
  return total;
}

/** Removes every loose object of a repository (the benchmark's clone has only a pack before each run). */
export function removeLooseObjects(gitDir: string): void {
  const objects = path.join(gitDir, 'objects');
  for (const entry of readdirSync(objects)) {
    if (/^[0-9a-f]{2}$/.test(entry)) rmSync(path.join(objects, entry), { recursive: true, force: true });
  }
}

/** Deletes a file if present. */
export function removeFile(file: string): void {
  try {
    unlinkSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}
