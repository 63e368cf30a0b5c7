/**
 * Human rendering helpers: aligned tables (cli-table3), colours only on a TTY (picocolors).
 */
import { createRequire } from 'node:module';
import type TableConstructor from 'cli-table3';
import pc from 'picocolors';
import { visible } from './visible.js';

export { visible } from './visible.js';

/**
 * cli-table3, loaded on the first table: only human output draws tables, so `--json` runs
 * never load it (a CommonJS package, so a synchronous `require` keeps {@link table} sync).
 */
let Table: typeof TableConstructor | undefined;
function loadTable(): typeof TableConstructor {
  Table ??= createRequire(import.meta.url)('cli-table3') as typeof TableConstructor;
  return Table;
}

/** Colours for stdout: plain text when stdout is not a terminal. */
export const color = process.stdout.isTTY ? pc : pc.createColors(false);

/** An aligned, borderless table. Every cell is printed {@link visible}. */
export function table(head: string[], rows: string[][]): string {
  const t = new (loadTable())({
    head: head.map((h) => color.bold(h)),
    chars: {
      top: '',
      'top-mid': '',
      'top-left': '',
      'top-right': '',
      bottom: '',
      'bottom-mid': '',
      'bottom-left': '',
      'bottom-right': '',
      left: '',
      'left-mid': '',
      mid: '',
      'mid-mid': '',
      right: '',
      'right-mid': '',
      middle: '  ',
    },
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0 },
  });
  t.push(...rows.map((row) => row.map((cell) => visible(cell))));
  return t
    .toString()
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n');
}

/** First 10 characters of an object id. */
export function short(sha: string | null | undefined): string {
  return sha ? sha.slice(0, 10) : '-';
}

/** "3m ago"-style age of an ISO timestamp. */
export function age(iso: string, now = Date.now()): string {
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (seconds < 60) return `${seconds}s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ago`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)}h ago`;
  return `${Math.floor(seconds / 86400)}d ago`;
}

/** One letter per change kind, as git prints them. */
export const changeLetter = { added: 'A', modified: 'M', deleted: 'D' } as const;

/** Why a snapshot left a path out, for humans. */
export function skipReason(entry: {
  reason: 'nested-repository' | 'submodule' | 'too-large';
  sizeBytes?: number;
}): string {
  if (entry.reason === 'nested-repository') return 'nested repository, never entered';
  if (entry.reason === 'submodule')
    return 'submodule: only its commit id is recorded, its files are never entered';
  return `untracked file of ${entry.sizeBytes ?? '?'} bytes, over the size cap (the plan policy's untrackedSizeCap, else SAVEPOINT_UNTRACKED_SIZE_CAP)`;
}

/** A byte count for humans, in binary units: `0 B`, `512 B`, `1.5 KiB`, `12 MiB`; `-` when unknown (null). */
export function humanBytes(bytes: number | null): string {
  if (bytes === null) return '-';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const text = unit === 0 || value >= 10 ? String(Math.round(value)) : value.toFixed(1).replace(/\.0$/, '');
  return `${text} ${units[unit]}`;
}
