/**
 * What a caller may attach to a checkpoint, validated before anything is written: reason,
 * tool, phase, a resource id and free-form `key=value` pairs (stored under `metadata.meta`,
 * so they can never clash with savepoint's own metadata keys). Pure: no I/O.
 *
 * Checked by hand, without zod (which every checkpoint would otherwise load): the zod schemas
 * in `metadata-schema.ts` are the specification, and `test/checkpoint-metadata.test.ts` checks
 * that {@link validateAnnotations} reports exactly their issues.
 */
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

/** What a caller may attach to a new checkpoint (the zod schema: `CheckpointAnnotations` in `metadata-schema.ts`). */
export interface CheckpointAnnotations {
  reason?: string | undefined;
  tool?: string | undefined;
  phase?: string | undefined;
  resourceId?: string | undefined;
  meta?: Record<string, string> | undefined;
}

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
  const issues = annotationIssues(input);
  if (issues.length === 0) return input;
  throw new MetadataInvalidError(issues);
}

/** zod's wording for a value of the wrong type, so library callers see the same message as before. */
function typeIssue(path: string, expected: string, value: unknown): MetadataIssue {
  const received = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
  return { path, message: `Invalid input: expected ${expected}, received ${received}` };
}

/** A string within `min`–`max` characters, else its issues (each broken bound reports). */
function textIssues(
  path: string,
  value: unknown,
  limits: { min?: [number, string]; max: [number, string] },
): MetadataIssue[] {
  if (typeof value !== 'string') return [typeIssue(path, 'string', value)];
  const issues: MetadataIssue[] = [];
  if (limits.min && value.length < limits.min[0]) issues.push({ path, message: limits.min[1] });
  if (value.length > limits.max[0]) issues.push({ path, message: limits.max[1] });
  return issues;
}

const META_KEY = /^[A-Za-z0-9_.-]{1,64}$/;

/** The problems of {@link CheckpointAnnotations}, in the order the zod schema reports them. */
function annotationIssues(input: CheckpointAnnotations): MetadataIssue[] {
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    return [typeIssue('(metadata)', 'object', input)];
  const issues: MetadataIssue[] = [];
  const { reason, tool, phase, resourceId, meta } = input;
  if (reason !== undefined)
    issues.push(...textIssues('reason', reason, { max: [4096, 'reason is at most 4096 characters'] }));
  if (tool !== undefined)
    issues.push(
      ...textIssues('tool', tool, {
        min: [1, 'tool is not empty'],
        max: [256, 'tool is at most 256 characters'],
      }),
    );
  if (phase !== undefined)
    issues.push(
      ...textIssues('phase', phase, {
        min: [1, 'phase is not empty'],
        max: [256, 'phase is at most 256 characters'],
      }),
    );
  if (resourceId !== undefined)
    issues.push(
      ...textIssues('resourceId', resourceId, {
        min: [1, 'resource id is not empty'],
        max: [256, 'resource id is at most 256 characters'],
      }),
    );
  if (meta !== undefined) issues.push(...metaIssues(meta));
  return issues;
}

function metaIssues(meta: unknown): MetadataIssue[] {
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta))
    return [typeIssue('meta', 'record', meta)];
  const issues: MetadataIssue[] = [];
  const entries = Object.entries(meta);
  for (const [key, value] of entries) {
    if (!META_KEY.test(key)) {
      issues.push({ path: `meta.${key}`, message: 'keys are 1-64 characters of A-Z a-z 0-9 _ . -' });
      continue;
    }
    if (RESERVED_META_KEYS.includes(key)) {
      issues.push({
        path: `meta.${key}`,
        message: `reserved key (savepoint's own: ${RESERVED_META_KEYS.join(', ')})`,
      });
      continue;
    }
    issues.push(
      ...textIssues(`meta.${key}`, value, {
        max: [META_LIMITS.valueLength, `values are at most ${META_LIMITS.valueLength} characters`],
      }),
    );
  }
  // The record-wide limits are checked once every pair is valid.
  if (issues.length > 0) return issues;
  if (entries.length > META_LIMITS.pairs)
    issues.push({ path: 'meta', message: `at most ${META_LIMITS.pairs} key=value pairs` });
  const bytes = entries.reduce((sum, [key, value]) => sum + utf8Bytes(key) + utf8Bytes(value as string), 0);
  if (bytes > META_LIMITS.totalBytes)
    issues.push({
      path: 'meta',
      message: `keys and values together are at most ${META_LIMITS.totalBytes} bytes`,
    });
  return issues;
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
