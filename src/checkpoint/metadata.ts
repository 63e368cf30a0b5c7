/**
 * What a caller may attach to a checkpoint, validated before anything is written: reason,
 * tool, phase, a resource id and free-form `key=value` pairs (stored under `metadata.meta`,
 * so they can never clash with savepoint's own metadata keys). Pure: no I/O.
 */
import { z } from 'zod';
import { ExitCode, SavepointError } from '../core/errors.js';

/** Keys savepoint itself uses in `metadata_json`; refused as caller keys so nothing reads ambiguously. */
export const RESERVED_META_KEYS: readonly string[] = [
  'kind',
  'reason',
  'tool',
  'phase',
  'rollbackTarget',
  'skippedPaths',
];

/** Limits of caller metadata. Sizes are UTF-8 bytes; lengths are UTF-16 code units (JS string length). */
export const META_LIMITS = {
  /** At most this many pairs per checkpoint. */
  pairs: 32,
  /** Characters per value. */
  valueLength: 1024,
  /** UTF-8 bytes of all keys and values together: 8 KiB. */
  totalBytes: 8 * 1024,
} as const;

const utf8Bytes = (text: string): number => new TextEncoder().encode(text).length;

/** A caller key: 1–64 of `A-Z a-z 0-9 _ . -`, not one of {@link RESERVED_META_KEYS}. */
export const MetaKey = z
  .string()
  .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'keys are 1-64 characters of A-Z a-z 0-9 _ . -')
  .refine((key) => !RESERVED_META_KEYS.includes(key), {
    message: `reserved key (savepoint's own: ${RESERVED_META_KEYS.join(', ')})`,
  });

/** Caller metadata: string keys to string values, within {@link META_LIMITS}. */
export const CheckpointMeta = z
  .record(
    MetaKey,
    z.string().max(META_LIMITS.valueLength, `values are at most ${META_LIMITS.valueLength} characters`),
  )
  .refine((meta) => Object.keys(meta).length <= META_LIMITS.pairs, {
    message: `at most ${META_LIMITS.pairs} key=value pairs`,
  })
  .refine(
    (meta) =>
      Object.entries(meta).reduce((sum, [key, value]) => sum + utf8Bytes(key) + utf8Bytes(value), 0) <=
      META_LIMITS.totalBytes,
    { message: `keys and values together are at most ${META_LIMITS.totalBytes} bytes` },
  );
export type CheckpointMeta = z.infer<typeof CheckpointMeta>;

/** Everything a caller may say about a new checkpoint, with the limits the store's schema enforces. */
export const CheckpointAnnotations = z.object({
  reason: z.string().max(4096, 'reason is at most 4096 characters').optional(),
  tool: z.string().min(1, 'tool is not empty').max(256, 'tool is at most 256 characters').optional(),
  phase: z.string().min(1, 'phase is not empty').max(256, 'phase is at most 256 characters').optional(),
  resourceId: z
    .string()
    .min(1, 'resource id is not empty')
    .max(256, 'resource id is at most 256 characters')
    .optional(),
  meta: CheckpointMeta.optional(),
});
export type CheckpointAnnotations = z.infer<typeof CheckpointAnnotations>;

/** One problem with caller metadata: where (`meta.owner`, `reason`) and what. */
export interface MetadataIssue {
  path: string;
  message: string;
}

/** Caller metadata breaks a rule (exit 2, `METADATA_INVALID`); nothing was written. */
export class MetadataInvalidError extends SavepointError {
  constructor(issues: MetadataIssue[]) {
    super(
      'METADATA_INVALID',
      ExitCode.usage,
      `invalid checkpoint metadata: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
      {
        details: { issues },
        hint: `--meta takes KEY=VALUE; keys are 1-64 characters of A-Z a-z 0-9 _ . -; at most ${META_LIMITS.pairs} pairs, ${META_LIMITS.valueLength} characters per value, ${META_LIMITS.totalBytes} bytes in all`,
      },
    );
  }
}

/**
 * Validates what a caller attaches to a checkpoint.
 *
 * @returns the annotations, unchanged
 * @throws {MetadataInvalidError} `METADATA_INVALID` (exit 2), listing every problem
 */
export function validateAnnotations(input: CheckpointAnnotations): CheckpointAnnotations {
  const result = CheckpointAnnotations.safeParse(input);
  if (result.success) return input;
  throw new MetadataInvalidError(
    result.error.issues.map((issue) => ({
      path: issue.path.map(String).join('.') || '(metadata)',
      // zod reports a bad record key as "Invalid key in record", with the key's own issues inside.
      message:
        issue.code === 'invalid_key' ? issue.issues.map((inner) => inner.message).join('; ') : issue.message,
    })),
  );
}

/**
 * Turns `--meta` arguments (`KEY=VALUE`, split at the first `=`; the value may be empty or
 * hold more `=`) into an object. Keys and sizes are checked by {@link validateAnnotations}.
 *
 * @throws {MetadataInvalidError} `METADATA_INVALID` (exit 2): no `=`, or a key given twice
 */
export function parseMetaPairs(pairs: readonly string[]): Record<string, string> {
  // A Map, then fromEntries: a key like `__proto__` becomes an own property, never a prototype.
  const meta = new Map<string, string>();
  const issues: MetadataIssue[] = [];
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at < 0) {
      issues.push({ path: 'meta', message: `"${pair}" is not KEY=VALUE` });
      continue;
    }
    const key = pair.slice(0, at);
    if (meta.has(key)) issues.push({ path: `meta.${key}`, message: 'given more than once' });
    meta.set(key, pair.slice(at + 1));
  }
  if (issues.length > 0) throw new MetadataInvalidError(issues);
  return Object.fromEntries(meta);
}
