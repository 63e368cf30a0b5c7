import { Flags } from '@oclif/core';
import type { CheckpointSkipped } from '../../checkpoint/checkpoint-service.js';
import type { Checkpoint, SkippedPath } from '../../checkpoint/model.js';
import { SavepointCommand, waitFlag } from '../../cli/base-command.js';
import { short, skipReason } from '../../cli/render.js';

/** `--json` result of `checkpoint create`: a checkpoint (`skipped: false`) or a tool declared `skip`. */
export type CheckpointCreateResult =
  | (Checkpoint & {
      skipped: false;
      deduplicated: boolean;
      skippedPaths: SkippedPath[];
      prunedCheckpointIds: string[];
    })
  | CheckpointSkipped;

export default class CheckpointCreate extends SavepointCommand<CheckpointCreateResult> {
  static override summary = "Take a checkpoint of the plan's sandbox: worktree, index and HEAD.";

  static override description =
    `Captures every non-ignored file (tracked changes, untracked files, deletions, exec bits, symlinks), the staged state and HEAD, without touching the worktree, the index, HEAD, branches or the stash. The checkpoint commit is kept alive by refs/savepoint/<plan>/<checkpoint>. When nothing changed since the plan's latest checkpoint, that one is returned with deduplicated: true (--force makes a new one).

With --tool, the plan policy's tool declarations are consulted first (savepoint plan policy set --tool 'Read*=skip'): a tool declared skip gets no checkpoint, and the result is { skipped: true, planId, tool, reason: 'tool declared skip' } with exit 0, unless --force. After a new checkpoint, retention prunes the plan's oldest checkpoints beyond its policy's retention.max (default 50); prunedCheckpointIds lists them.

Files are captured byte for byte: line-ending conversion (core.autocrlf, core.eol, text/eol attributes) and clean/smudge filters are not applied. Nested repositories (a directory holding .git) are never entered, and untracked files over the plan policy's untrackedSizeCap, else SAVEPOINT_UNTRACKED_SIZE_CAP bytes (default 100 MiB), are never hashed; both are reported under skippedPaths.`;

  static override examples = [
    '<%= config.bin %> <%= command.id %> --plan 01JD3Q6Z5K8M2N4P6R8T0V2X4Y --reason "before rewriting parser" --tool Edit',
    '<%= config.bin %> <%= command.id %> --plan 01JD3Q6Z5K8M2N4P6R8T0V2X4Y --json',
  ];

  static override flags = {
    wait: waitFlag,
    plan: Flags.string({ char: 'p', summary: 'Plan id.', required: true }),
    reason: Flags.string({ summary: 'Why this checkpoint is taken.' }),
    tool: Flags.string({ summary: 'The tool about to run (e.g. Edit, Bash).' }),
    phase: Flags.string({ summary: 'The phase of the agent loop (e.g. plan, edit, test).' }),
    force: Flags.boolean({
      summary: 'Make a new checkpoint even if nothing changed or the tool is declared skip.',
    }),
  };

  async run(): Promise<CheckpointCreateResult> {
    const { flags } = await this.parse(CheckpointCreate);
    const savepoint = await this.open(flags);
    const request: Parameters<typeof savepoint.checkpoints.create>[1] = { force: flags.force };
    if (flags.reason !== undefined) request.reason = flags.reason;
    if (flags.tool !== undefined) request.tool = flags.tool;
    if (flags.phase !== undefined) request.phase = flags.phase;
    const outcome = await savepoint.checkpoints.create(flags.plan, request);
    if (outcome.skipped) {
      this.say(
        `Skipped: tool ${outcome.tool} is declared skip (${outcome.pattern}) in the policy of plan ${outcome.planId}; no checkpoint taken (--force takes one)`,
      );
      return outcome;
    }
    const { checkpoint, deduplicated, skippedPaths, prunedCheckpointIds } = outcome;
    for (const entry of skippedPaths) this.note(`skipped ${entry.path}: ${skipReason(entry)}`);
    if (deduplicated) {
      this.say(
        `No change since checkpoint #${checkpoint.seq} ${checkpoint.checkpointId}; reusing it (deduplicated)`,
      );
    } else {
      this.say(
        `Checkpoint #${checkpoint.seq} ${checkpoint.checkpointId} of plan ${checkpoint.planId} (tree ${short(checkpoint.treeSha)})`,
      );
    }
    if (prunedCheckpointIds.length > 0) {
      this.say(
        `  pruned ${prunedCheckpointIds.length} old ${prunedCheckpointIds.length === 1 ? 'checkpoint' : 'checkpoints'} (retention): ${prunedCheckpointIds.join(', ')}`,
      );
    }
    return { ...checkpoint, skipped: false, deduplicated, skippedPaths, prunedCheckpointIds };
  }
}
