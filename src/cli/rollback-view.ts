/**
 * Flags, human rendering and confirmation shared by the commands that roll a sandbox back:
 * `plan rollback`, `correction revert` and `undo`.
 */
import * as Flags from '@oclif/core/flags';
import type { SkippedPath } from '../checkpoint/model.js';
import { CancelledError } from '../ledger/errors.js';
import { ConfirmationError, SandboxChangedSincePreviewError } from '../plan/errors.js';
import type { ConfirmContext, RollbackPreview, RollbackReport } from '../plan/rollback-service.js';
import { changeLetter, color, short, skipReason, visible } from './render.js';

/**
 * The flags of every rollback command: `--dry-run`, `--yes`, `--force`, `--head`.
 *
 * @param target what the command rolls back to, as the help text names it
 *   (`the checkpoint`, `the safety checkpoint`)
 */
export function rollbackFlags(target: string) {
  return {
    'dry-run': Flags.boolean({ summary: 'Show what would change; change nothing.' }),
    yes: Flags.boolean({ char: 'y', summary: 'Do not ask for confirmation.' }),
    force: Flags.boolean({
      summary: `Move ignored files that stand where ${target} has files aside (into .git/savepoint/aside/) instead of stopping.`,
    }),
    head: Flags.string({
      summary: `restore: move HEAD back to ${target}'s commit; keep: leave HEAD where it is. Default: the plan policy's head (restore unless set).`,
      options: ['restore', 'keep'] as const,
    }),
  };
}

/** What the rollback flags ask of the rollback: `dryRun`, `force` and `head` when given. */
export function rollbackChoices(flags: { 'dry-run': boolean; force: boolean; head?: string | undefined }): {
  dryRun: boolean;
  force: boolean;
  head?: 'restore' | 'keep';
} {
  const choices: { dryRun: boolean; force: boolean; head?: 'restore' | 'keep' } = {
    dryRun: flags['dry-run'],
    force: flags.force,
  };
  // oclif has checked the value against the flag's options.
  if (flags.head !== undefined) choices.head = flags.head as 'restore' | 'keep';
  return choices;
}

/** The stderr notes for paths a rollback left as they are (nested repositories, files over the size cap). */
export function skippedNotes(skippedPaths: readonly SkippedPath[]): string[] {
  return skippedPaths.map((entry) => `skipped ${visible(entry.path)}: ${skipReason(entry)} (left as it is)`);
}

/** Paths listed in human output before "… and N more". */
const MAX_LISTED = 50;

/** The lines that say what a rollback changes (or changed): counts, paths, kept and in-the-way files, HEAD. */
export function describeRollback(preview: RollbackPreview): string[] {
  const { added, modified, deleted, total } = preview.restored;
  const lines = [
    `${total} ${total === 1 ? 'file' : 'files'}: ${added} added, ${modified} modified, ${deleted} deleted`,
  ];
  for (const { path, change } of preview.paths.slice(0, MAX_LISTED))
    lines.push(`  ${changeLetter[change]}  ${visible(path)}`);
  if (preview.paths.length > MAX_LISTED)
    lines.push(`  … and ${preview.paths.length - MAX_LISTED} more (--json lists all)`);
  for (const file of preview.preserved)
    lines.push(`  =  ${visible(file)} (ignored by the checkpoint's .gitignore: left on disk)`);
  for (const file of preview.inTheWay)
    lines.push(`  !  ${visible(file)} (not in any checkpoint, in the way: --force moves it aside)`);
  for (const { path, movedTo } of preview.aside)
    lines.push(`  <  ${visible(path)} (moved aside by a --force rollback, goes back: ${visible(movedTo)})`);
  if (preview.head.action === 'move')
    lines.push(`HEAD: ${short(preview.head.from)} → ${short(preview.head.to)}`);
  if (preview.head.action === 'kept') lines.push(`HEAD: kept at ${short(preview.head.from)} (--head keep)`);
  return lines;
}

/** The lines after a rollback that ran: what it restored, moved aside, the safety checkpoint, the time. */
export function describeDone(report: RollbackReport): string[] {
  const lines = [`  restored ${describeRollback(report).join('\n  ')}`];
  for (const { path, movedTo } of report.movedAside)
    lines.push(`  moved aside ${visible(path)} → ${visible(movedTo)}`);
  for (const { path, movedFrom } of report.returnedFromAside)
    lines.push(`  put back ${visible(path)} ← ${visible(movedFrom)}`);
  for (const { path, movedTo } of report.leftAside)
    lines.push(`  left aside ${visible(path)} at ${visible(movedTo)} (something else stands at its path)`);
  lines.push(`  safety checkpoint ${color.bold(report.safetyCheckpointId ?? '')}`);
  return lines;
}

/**
 * The confirmation of every rollback command, as the service's `confirm`: none with `--yes`
 * (`undefined`: the rollback asks nothing and scans once, under the lock). Otherwise, off a
 * terminal (stdin or stderr not a TTY) it refuses with CONFIRMATION_REQUIRED; on a terminal it
 * shows `lines(preview)` on stderr and asks `question` (default no). The rollback asks without
 * holding the sandbox lock; when the sandbox changed before it took the lock, it asks again
 * with the new preview, announced as such (off a terminal by then: SANDBOX_CHANGED_SINCE_PREVIEW).
 * Ctrl-C at the question is CANCELLED (exit 130), nothing changed.
 *
 * @throws {ConfirmationError} `CONFIRMATION_REQUIRED` (exit 8)
 * @throws {SandboxChangedSincePreviewError} `SANDBOX_CHANGED_SINCE_PREVIEW` (exit 8)
 * @throws {CancelledError} `CANCELLED` (exit 130)
 */
export function confirmRollback<P extends RollbackPreview>(
  yes: boolean,
  lines: (preview: P) => string[],
  question: string,
): ((preview: P, context: ConfirmContext) => Promise<boolean>) | undefined {
  if (yes) return undefined;
  return async (preview, { changedSince }) => {
    if (!process.stdin.isTTY || !process.stderr.isTTY) {
      if (changedSince !== null) throw new SandboxChangedSincePreviewError();
      throw new ConfirmationError(false);
    }
    if (changedSince !== null)
      process.stderr.write('The sandbox changed while the question was open. The new preview:\n');
    for (const line of lines(preview)) process.stderr.write(`${line}\n`);
    const { default: confirm } = await import('@inquirer/confirm');
    try {
      return await confirm({ message: question, default: false }, { output: process.stderr });
    } catch (error) {
      // Ctrl-C in the prompt's raw mode is a key, not a signal: @inquirer/core rejects with this.
      if (error instanceof Error && error.name === 'ExitPromptError') throw new CancelledError('SIGINT');
      throw error;
    }
  };
}
