/**
 * The zod schemas of caller metadata: the specification `validateAnnotations` (in
 * `metadata.ts`, zod-free so a checkpoint does not load zod) implements, exported by the
 * library for callers that validate with zod themselves.
 */
import { z } from 'zod';
import { META_LIMITS, RESERVED_META_KEYS } from './metadata.js';

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
