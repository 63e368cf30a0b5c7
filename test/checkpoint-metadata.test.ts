/**
 * Caller metadata and list filters as plain data: `--meta` parsing, the zod limits, reserved
 * keys, and `--since` / `--limit` resolution against a pinned clock.
 */
import { describe, expect, it } from 'vitest';
import { resolveListFilter, resolveSince } from '../src/checkpoint/list-filter.js';
import {
  META_LIMITS,
  MetadataInvalidError,
  parseMetaPairs,
  RESERVED_META_KEYS,
  validateAnnotations,
} from '../src/checkpoint/metadata.js';
import { humanBytes } from '../src/cli/render.js';
import { UsageError } from '../src/core/errors.js';
import { expectError } from './helpers/savepoint.js';

const invalid = (fn: () => unknown) => expectError(fn, MetadataInvalidError, 'METADATA_INVALID', 2);

describe('--meta KEY=VALUE', () => {
  it('splits at the first "=", keeps empty values and "=" inside values', () => {
    expect(parseMetaPairs(['ticket=PAR-12', 'query=a=b&c=d', 'note='])).toEqual({
      ticket: 'PAR-12',
      query: 'a=b&c=d',
      note: '',
    });
    expect(parseMetaPairs([])).toEqual({});
  });

  it('refuses a pair without "=" and a key given twice, naming each', async () => {
    const error = await invalid(() => parseMetaPairs(['ticket', 'a=1', 'a=2']));
    expect(error.details.issues).toEqual([
      { path: 'meta', message: '"ticket" is not KEY=VALUE' },
      { path: 'meta.a', message: 'given more than once' },
    ]);
  });

  it('keeps a "__proto__" key as data, never as a prototype', async () => {
    const meta = parseMetaPairs(['__proto__=x']);
    expect(Object.getPrototypeOf(meta)).toBe(Object.prototype);
    expect(Object.keys(meta)).toEqual(['__proto__']);
    expect(validateAnnotations({ meta })).toEqual({ meta });
  });
});

describe('annotation limits', () => {
  it('accepts keys of A-Z a-z 0-9 _ . - up to 64 characters and values up to 1024', () => {
    const meta = { 'a.B_c-9': 'x'.repeat(META_LIMITS.valueLength), ['k'.repeat(64)]: '' };
    expect(
      validateAnnotations({ meta, reason: 'r', tool: 'Edit', phase: 'edit', resourceId: 'a.ts' }),
    ).toEqual({ meta, reason: 'r', tool: 'Edit', phase: 'edit', resourceId: 'a.ts' });
  });

  it.each([
    ['an empty key', { '': 'v' }, ''],
    ['a key of 65 characters', { ['k'.repeat(65)]: 'v' }, 'k'.repeat(65)],
    ['a key with a space', { 'my key': 'v' }, 'my key'],
    ['a key with a slash', { 'a/b': 'v' }, 'a/b'],
    ['a value of 1025 characters', { big: 'x'.repeat(1025) }, 'big'],
  ])('refuses %s', async (_name, meta, key) => {
    const error = await invalid(() => validateAnnotations({ meta }));
    expect(error.details.issues).toEqual([expect.objectContaining({ path: `meta.${key}` })]);
  });

  it.each(RESERVED_META_KEYS.map((key) => [key]))('refuses the reserved key %s', async (key) => {
    const error = await invalid(() => validateAnnotations({ meta: { [key]: 'x' } }));
    expect(error.message).toContain('reserved key');
  });

  it('refuses more than 32 pairs', async () => {
    const ok = Object.fromEntries(Array.from({ length: 32 }, (_, i) => [`k${i}`, 'v']));
    expect(validateAnnotations({ meta: ok })).toEqual({ meta: ok });
    const error = await invalid(() => validateAnnotations({ meta: { ...ok, k32: 'v' } }));
    expect(error.message).toContain('at most 32 key=value pairs');
  });

  it('refuses more than 8 KiB of keys and values, counted in UTF-8 bytes', async () => {
    // 8 pairs of key "kN" (2 bytes) + 1022 one-byte characters = 8192 bytes exactly.
    const fits = Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`k${i}`, 'x'.repeat(1022)]));
    expect(validateAnnotations({ meta: fits })).toEqual({ meta: fits });
    const over = { ...fits, k8: 'y' };
    await invalid(() => validateAnnotations({ meta: over }));
    // 'é' is one character but two bytes: 5 values of 1000 'é' are 10 000 bytes.
    const wide = Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`w${i}`, 'é'.repeat(1000)]));
    const error = await invalid(() => validateAnnotations({ meta: wide }));
    expect(error.message).toContain(`${META_LIMITS.totalBytes} bytes`);
  });

  it('refuses an over-long reason, an empty or over-long tool, phase or resource', async () => {
    await invalid(() => validateAnnotations({ reason: 'r'.repeat(4097) }));
    await invalid(() => validateAnnotations({ tool: '' }));
    await invalid(() => validateAnnotations({ phase: 'p'.repeat(257) }));
    const error = await invalid(() => validateAnnotations({ resourceId: '', tool: 't'.repeat(257) }));
    expect(error.details.issues).toHaveLength(2);
  });
});

describe('--since and --limit', () => {
  const now = new Date('2026-11-21T12:00:00.000Z');

  it.each([
    ['30s', '2026-11-21T11:59:30.000Z'],
    ['90m', '2026-11-21T10:30:00.000Z'],
    ['24h', '2026-11-20T12:00:00.000Z'],
    ['7d', '2026-11-14T12:00:00.000Z'],
    ['2w', '2026-11-07T12:00:00.000Z'],
    ['0m', '2026-11-21T12:00:00.000Z'],
    ['2026-11-20', '2026-11-20T00:00:00.000Z'],
    ['2026-11-20T09:30:00Z', '2026-11-20T09:30:00.000Z'],
    ['2026-11-20T09:30:00.250+02:00', '2026-11-20T07:30:00.250Z'],
  ])('reads %s as %s', (text, iso) => {
    expect(resolveSince(text, now)).toBe(iso);
  });

  it.each([
    ['yesterday'],
    ['24'],
    ['h'],
    ['-1h'],
    ['1.5h'],
    ['24 hours'],
    ['2026-13-45'],
    ['20261120'],
    [''],
  ])('refuses %j with USAGE', async (text) => {
    const error = await expectError(() => resolveSince(text, now), UsageError, 'USAGE', 2);
    expect(error.message).toContain('--since must be a duration');
  });

  it('resolves a whole filter and refuses a limit below 1', async () => {
    expect(resolveListFilter({ tool: 'Edit', phase: 'edit', since: '1h', limit: 3 }, now)).toEqual({
      tool: 'Edit',
      phase: 'edit',
      since: '2026-11-21T11:00:00.000Z',
      limit: 3,
    });
    expect(resolveListFilter({}, now)).toEqual({});
    await expectError(() => resolveListFilter({ limit: 0 }, now), UsageError, 'USAGE', 2);
    await expectError(() => resolveListFilter({ limit: 1.5 }, now), UsageError, 'USAGE', 2);
  });
});

describe('human byte counts', () => {
  it.each([
    [null, '-'],
    [0, '0 B'],
    [1023, '1023 B'],
    [1024, '1 KiB'],
    [1536, '1.5 KiB'],
    [10 * 1024 + 300, '10 KiB'],
    [5 * 1024 * 1024, '5 MiB'],
    [3.25 * 1024 ** 3, '3.3 GiB'],
  ])('%j bytes read %s', (bytes, text) => {
    expect(humanBytes(bytes)).toBe(text);
  });
});
