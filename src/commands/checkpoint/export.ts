import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as Args from '@oclif/core/args';
import * as Flags from '@oclif/core/flags';
import type { CheckpointType } from '../../checkpoint/model.js';
import { SavepointCommand } from '../../cli/base-command.js';
import { short } from '../../cli/render.js';
import { UsageError } from '../../core/errors.js';

/** `--json` result of `checkpoint export` (the patch itself is in the `--output` file). */
export interface CheckpointExportResult {
  checkpointId: string;
  planId: string;
  checkpointType: CheckpointType;
  /** The commit the patch applies to (the plan's base commit); null: the empty tree. */
  base: string | null;
  /** Size of the patch, bytes. */
  bytes: number;
  /** Absolute path of the file written. */
  output: string;
}

export default class CheckpointExport extends SavepointCommand<CheckpointExportResult | undefined> {
  static override summary =
    "Write a checkpoint as a patch that plain git apply applies on the plan's base commit.";

  static override description =
    `The patch is git diff --binary --full-index from the plan's base commit (the commit HEAD was on when the plan was created; the empty tree if there was none) to the checkpoint's worktree tree: every non-ignored file, binary files, deletions, exec bits and symlinks included. A patch checkpoint writes the patch it stores; a commit checkpoint's patch is computed from its commit. Apply it elsewhere with git apply on a checkout of the base commit. The staged state and HEAD are not part of the export.

Without --output the patch goes to stdout, raw bytes and nothing else. --json needs --output (stdout then carries only the JSON result). An empty patch means the checkpoint equals the base commit. Works on plans in any state.`;

  static override examples = [
    '<%= config.bin %> <%= command.id %> 01JD3QA1B2C3D4E5F6G7H8J9K0 --output agent-work.patch',
    '<%= config.bin %> <%= command.id %> 01JD3QA1B2C3D4E5F6G7H8J9K0 --output agent-work.patch --json',
    '<%= config.bin %> <%= command.id %> 01JD3QA1B2C3D4E5F6G7H8J9K0 | git -C ../clone apply',
  ];

  static override args = { checkpoint: Args.string({ description: 'Checkpoint id.', required: true }) };

  static override flags = {
    output: Flags.string({
      char: 'o',
      summary: 'File to write the patch to (replaced if it exists); default: stdout.',
    }),
  };

  async run(): Promise<CheckpointExportResult | undefined> {
    const { args, flags } = await this.parse(CheckpointExport);
    if (this.jsonEnabled() && flags.output === undefined) {
      throw new UsageError('--json needs --output FILE: stdout carries the JSON result, not the patch');
    }
    const savepoint = await this.open(flags);
    const exported = await savepoint.checkpoints.export(args.checkpoint);
    if (flags.output === undefined) {
      process.stdout.write(exported.patch);
      return undefined;
    }
    const output = path.resolve(flags.cwd ?? process.cwd(), flags.output);
    await writeFile(output, exported.patch).catch((error: NodeJS.ErrnoException) => {
      throw new UsageError(`cannot write --output ${output}: ${error.code ?? error.message}`, {
        cause: error,
        details: { output },
      });
    });
    this.say(
      `Wrote ${exported.patch.byteLength} bytes to ${output}: checkpoint ${exported.checkpointId} (${exported.checkpointType}) against ${exported.base === null ? 'the empty tree' : `base commit ${short(exported.base)}`}`,
    );
    this.say(
      `Apply it with: git apply ${JSON.stringify(output)} (on a checkout of ${exported.base ?? 'an empty repository'})`,
    );
    return {
      checkpointId: exported.checkpointId,
      planId: exported.planId,
      checkpointType: exported.checkpointType,
      base: exported.base,
      bytes: exported.patch.byteLength,
      output,
    };
  }
}
