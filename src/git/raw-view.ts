/**
 * The raw view: a private git dir through which savepoint hashes and writes worktree files
 * with every content conversion turned off, so a round trip is byte-exact.
 *
 * Why: git converts content on the way in and out (`core.autocrlf`, `core.eol`, the `text`,
 * `eol`, `filter`, `ident` and `working-tree-encoding` attributes). A conversion is not always
 * its own inverse: with `core.autocrlf=input` a CRLF file is stored as LF and checked out as
 * LF, so a naive snapshot and restore silently rewrites it. Config can be overridden with
 * `-c`, but in-tree `.gitattributes` cannot, except by `$GIT_DIR/info/attributes`, which
 * takes precedence over them (gitattributes(5), "the highest precedence"). git 2.39 has no
 * `GIT_ATTR_SOURCE` (added in 2.40). So savepoint runs those calls with `GIT_DIR` pointing at
 * a private directory that includes the repository's config, shares its object database
 * (`GIT_OBJECT_DIRECTORY`) and has an `info/attributes` that unsets every converting attribute.
 * The user's repository files are never modified.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** Unsets every attribute that makes git change content between the worktree and a blob. */
export const RAW_ATTRIBUTES = '* -text -eol -crlf -filter -ident -working-tree-encoding\n';

/** Bump when the layout below changes, so existing raw views are rebuilt. */
const LAYOUT_VERSION = '1';

/**
 * `-c` settings of raw-view calls: no line-ending conversion, exec bits and symlinks as on
 * disk, and every file's bytes compared by stat and content whatever the repository says:
 * `core.ignoreStat=false` (true makes `update-index` mark the entries it writes
 * assume-unchanged, which `diff-files` then never looks at, git-config(1)) and
 * `core.sparseCheckout=false` (true makes `read-tree -u` mark entries outside the pattern file
 * skip-worktree and not write them, git-read-tree(1) "SPARSE CHECKOUT"; the raw index holds
 * exactly what is on disk, so a rollback writes every file its tree holds).
 */
export const RAW_CONFIG = [
  'core.autocrlf=false',
  'core.safecrlf=false',
  'core.fileMode=true',
  'core.splitIndex=false',
  'core.untrackedCache=false',
  'core.ignoreStat=false',
  'core.sparseCheckout=false',
];

/** Where a worktree's raw view lives, and what it needs to find. */
export interface RawViewLayout {
  /** The worktree's own git dir (`.git`, or `.git/worktrees/<name>` for a linked worktree). */
  gitDir: string;
  /** The repository's common git dir. */
  commonDir: string;
  /** `sha1` or `sha256`. */
  objectFormat: string;
}

/**
 * Creates (once) the raw view of a worktree at `<gitDir>/savepoint/git` and returns its path.
 * Safe to race with another process: files are written under a temp name and renamed.
 */
export async function ensureRawView(layout: RawViewLayout): Promise<string> {
  const dir = path.join(layout.gitDir, 'savepoint', 'git');
  const marker = path.join(dir, 'savepoint-layout');
  if (existsSync(marker) && (await readFile(marker, 'utf8').catch(() => '')) === LAYOUT_VERSION) return dir;
  await mkdir(path.join(dir, 'info'), { recursive: true, mode: 0o700 });
  // git recognises a git dir by HEAD, refs/ and objects/ (GIT_OBJECT_DIRECTORY stands in for objects/).
  await mkdir(path.join(dir, 'refs'), { recursive: true, mode: 0o700 });
  const sha256 = layout.objectFormat === 'sha256';
  const config = [
    '[core]',
    `\trepositoryformatversion = ${sha256 ? 1 : 0}`,
    '\tbare = false',
    ...(sha256 ? ['[extensions]', '\tobjectformat = sha256'] : []),
    '[include]',
    `\tpath = ${path.join(layout.commonDir, 'config')}`,
    '',
  ].join('\n');
  const files: Array<[string, string]> = [
    ['HEAD', 'ref: refs/heads/savepoint-raw-view\n'],
    ['config', config],
    [path.join('info', 'attributes'), RAW_ATTRIBUTES],
  ];
  for (const [name, content] of files) {
    const target = path.join(dir, name);
    const temp = `${target}.${process.pid}.tmp`;
    await writeFile(temp, content, { mode: 0o600 });
    await rename(temp, target);
  }
  // Ignore rules are the repository's own. The sparse-checkout pattern file is linked too, but
  // never read: RAW_CONFIG turns sparse checkout off.
  const links: Array<[string, string]> = [
    [path.join('info', 'exclude'), path.join(layout.commonDir, 'info', 'exclude')],
    [path.join('info', 'sparse-checkout'), path.join(layout.gitDir, 'info', 'sparse-checkout')],
  ];
  for (const [name, target] of links) {
    await symlink(target, path.join(dir, name)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
    });
  }
  await writeFile(marker, LAYOUT_VERSION);
  return dir;
}

/** Attribute names whose presence (set, or set to a value) makes git convert content. */
const CONVERTING = new Set(['text', 'eol', 'crlf', 'filter', 'ident', 'working-tree-encoding']);

/**
 * True when an attributes file sets any converting attribute, on a pattern line or in a
 * `[attr]` macro. `-text`, `!text` and `binary` do not convert and are ignored.
 */
export function attributesConvert(content: string): boolean {
  for (const raw of content.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    for (const token of line.split(/\s+/).slice(1)) {
      if (token.startsWith('-') || token.startsWith('!')) continue;
      const name = token.split('=')[0] ?? '';
      if (CONVERTING.has(name)) return true;
    }
  }
  return false;
}

/** True when `core.autocrlf` makes git convert line endings. */
export function autocrlfConverts(value: string | null): boolean {
  return value !== null && ['true', 'input', 'yes', 'on', '1'].includes(value.trim().toLowerCase());
}
