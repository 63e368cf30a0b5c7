/**
 * The patch bundle: what a `patch` checkpoint stores in its row's `patch` BLOB. Pure
 * encoding and decoding over bytes; git never sees the bundle itself, only its parts.
 *
 * A bundle is self-describing: the base commit both patches apply to, the worktree patch
 * (base → worktree tree) and the index patch (base → index tree, the staged state), each a
 * `git diff --binary --full-index` byte for byte. Layout (ASCII header lines, raw parts):
 *
 * ```
 * savepoint-patch 1\n
 * base <commit id, or "-" for the empty tree>\n
 * worktree <n>\n<n bytes>
 * index <n | "worktree">\n<n bytes>
 * ```
 *
 * `index worktree` (no bytes) says the index tree equals the worktree tree (everything
 * staged), so the worktree patch is not stored twice. A part of 0 bytes is the base tree.
 */

/** What a bundle holds. */
export interface PatchBundle {
  /** Commit both patches apply to; null: the empty tree (the plan began on an unborn branch). */
  readonly base: string | null;
  /** `git diff --binary --full-index` from `base` to the worktree tree; empty when they are equal. */
  readonly worktree: Uint8Array;
  /** The same from `base` to the index tree, or `'worktree'` when the index tree is the worktree tree. */
  readonly index: Uint8Array | 'worktree';
}

const MAGIC = 'savepoint-patch 1';

/** Serializes a bundle for the `patch` column. */
export function encodePatchBundle(bundle: PatchBundle): Buffer {
  const parts: Buffer[] = [
    Buffer.from(`${MAGIC}\nbase ${bundle.base ?? '-'}\nworktree ${bundle.worktree.byteLength}\n`, 'ascii'),
    Buffer.from(bundle.worktree),
  ];
  if (bundle.index === 'worktree') parts.push(Buffer.from('index worktree\n', 'ascii'));
  else parts.push(Buffer.from(`index ${bundle.index.byteLength}\n`, 'ascii'), Buffer.from(bundle.index));
  return Buffer.concat(parts);
}

/** A bundle's bytes do not follow the layout (truncated, edited, or written by something else). */
export class MalformedPatchBundleError extends Error {
  constructor(reason: string) {
    super(`malformed patch bundle: ${reason}`);
    this.name = 'MalformedPatchBundleError';
  }
}

/**
 * Parses the bytes of the `patch` column.
 *
 * @throws {MalformedPatchBundleError} when the bytes are not a version-1 bundle
 */
export function decodePatchBundle(bytes: Uint8Array): PatchBundle {
  const data = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 0;
  const line = (): string => {
    const end = data.indexOf(0x0a, at);
    if (end < 0) throw new MalformedPatchBundleError(`header line missing at byte ${at}`);
    const text = data.subarray(at, end).toString('ascii');
    at = end + 1;
    return text;
  };
  const field = (name: string): string => {
    const text = line();
    if (!text.startsWith(`${name} `))
      throw new MalformedPatchBundleError(`expected "${name}", got "${text}"`);
    return text.slice(name.length + 1);
  };
  const part = (size: string): Buffer => {
    if (!/^\d+$/.test(size)) throw new MalformedPatchBundleError(`bad part size "${size}"`);
    const end = at + Number(size);
    if (end > data.length) throw new MalformedPatchBundleError('truncated');
    const slice = data.subarray(at, end);
    at = end;
    return slice;
  };
  const magic = line();
  if (magic !== MAGIC) throw new MalformedPatchBundleError(`unknown header "${magic}"`);
  const baseField = field('base');
  if (baseField !== '-' && !/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(baseField)) {
    throw new MalformedPatchBundleError(`bad base "${baseField}"`);
  }
  const worktree = part(field('worktree'));
  const indexField = field('index');
  const index = indexField === 'worktree' ? 'worktree' : part(indexField);
  if (at !== data.length) throw new MalformedPatchBundleError('trailing bytes');
  return { base: baseField === '-' ? null : baseField, worktree, index };
}
