import * as Flags from '@oclif/core/flags';
import type { CheckpointSkipped } from '../../checkpoint/checkpoint-service.js';
import type { Checkpoint, CheckpointType, SkippedPath } from '../../checkpoint/model.js';
import { SavepointCommand, waitFlag } from '../../cli/base-command.js';
import { humanBytes, short, skipReason, visible } from '../../cli/render.js';

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
    `Captures every non-ignored file (tracked changes, untracked files, deletions, exec bits, symlinks), the staged state and HEAD, without touching the worktree, the index, HEAD, branches or the stash. The checkpoint commit is kept alive by refs/savepoint/<plan>/<checkpoint>. With --type patch (or the plan policy's defaultType patch), no commit or ref is made: the row stores the binary diff from the plan's base commit to the snapshot (worktree and staged state), verified by re-applying it before it is recorded. When nothing changed since the plan's latest checkpoint, that one is returned with deduplicated: true (--force makes a new one).

With --tool, the plan policy's tool declarations are consulted first (savepoint plan policy set --tool 'Read*=skip'): a tool declared skip gets no checkpoint, and the result is { skipped: true, planId, tool, reason: 'tool declared skip' } with exit 0, unless --force. After a new checkpoint, retention prunes the plan's oldest checkpoints beyond its policy's retention.max (default 50); prunedCheckpointIds lists them.

Files are captured byte for byte: line-ending conversion (core.autocrlf, core.eol, text/eol attributes) and clean/smudge filters are not applied. Nested repositories (a directory holding .git) are never entered, and untracked files over the plan policy's untrackedSizeCap, else SAVEPOINT_UNTRACKED_SIZE_CAP bytes (default 100 MiB), are never hashed; both are reported under skippedPaths.

Accounting: filesChanged counts the paths that differ from the plan's previous checkpoint (the first one: from the plan's base commit); sizeBytes is the uncompressed size of the distinct blobs at the added or modified paths. --resource sets resourceId; each --meta KEY=VALUE lands in metadata.meta (keys 1-64 characters of A-Z a-z 0-9 _ . -, not kind/reason/tool/phase/rollbackTarget/skippedPaths; at most 32 pairs, 1024 characters per value, 8 KiB in all). Metadata that breaks a rule fails with METADATA_INVALID (exit 2) before anything is written.`;

  static override examples = [
    '<%= config.bin %> <%= command.id %> --plan 01JD3Q6Z5K8M2N4P6R8T0V2X4Y --reason "before rewriting parser" --tool Edit',
    '<%= config.bin %> <%= command.id %> --plan 01JD3Q6Z5K8M2N4P6R8T0V2X4Y --json',
    '<%= config.bin %> <%= command.id %> --plan 01JD3Q6Z5K8M2N4P6R8T0V2X4Y --type patch',
    '<%= config.bin %> <%= command.id %> --plan 01JD3Q6Z5K8M2N4P6R8T0V2X4Y --resource src/parser.ts --meta ticket=PAR-12 --meta attempt=2',
  ];

  static override flags = {
    wait: waitFlag,
    plan: Flags.string({ char: 'p', summary: 'Plan id.', required: true }),
    reason: Flags.string({ summary: 'Why this checkpoint is taken.' }),
    tool: Flags.string({ summary: 'The tool about to run (e.g. Edit, Bash).' }),
    phase: Flags.string({ summary: 'The phase of the agent loop (e.g. plan, edit, test).' }),
    resource: Flags.string({ summary: 'What the checkpoint is about: a file, a ticket, a resource id.' }),
    meta: Flags.string({
      summary: 'A KEY=VALUE pair to record with the checkpoint (repeatable).',
      multiple: true,
    }),
    force: Flags.boolean({
      summary: 'Make a new checkpoint even if nothing changed or the tool is declared skip.',
    }),
    type: Flags.string({
      summary:
        "How to store it: commit (a ref'd commit) or patch (a diff in the row); default: the plan policy's defaultType.",
      options: ['commit', 'patch'] as const,
    }),
  };

  async run(): Promise<CheckpointCreateResult> {
    const { flags } = await this.parse(CheckpointCreate);
    const savepoint = await this.open(flags);
    const request: Parameters<typeof savepoint.checkpoints.create>[1] = { force: flags.force };
    if (flags.reason !== undefined) request.reason = flags.reason;
    if (flags.tool !== undefined) request.tool = flags.tool;
    if (flags.phase !== undefined) request.phase = flags.phase;
    if (flags.type !== undefined) request.type = flags.type as CheckpointType;
    if (flags.resource !== undefined) request.resourceId = flags.resource;
    if (flags.meta !== undefined) {
      // Loaded here, not at the top: zod stays out of `--help`.
      const { parseMetaPairs } = await import('../../checkpoint/metadata.js');
      request.meta = parseMetaPairs(flags.meta);
    }
    const outcome = await savepoint.checkpoints.create(flags.plan, request);
    if (outcome.skipped) {
      this.say(
        `Skipped: tool ${visible(outcome.tool)} is declared skip (${visible(outcome.pattern)}) in the policy of plan ${outcome.planId}; no checkpoint taken (--force takes one)`,
      );
      return outcome;
    }
    const { checkpoint, deduplicated, skippedPaths, prunedCheckpointIds } = outcome;
    for (const entry of skippedPaths) this.note(`skipped ${visible(entry.path)}: ${skipReason(entry)}`);
    if (deduplicated) {
      this.say(
        `No change since checkpoint #${checkpoint.seq} ${checkpoint.checkpointId}; reusing it (deduplicated)`,
      );
    } else {
      this.say(
        `Checkpoint #${checkpoint.seq} ${checkpoint.checkpointId} of plan ${checkpoint.planId} (${checkpoint.checkpointType}, tree ${short(checkpoint.treeSha)}; ${checkpoint.filesChanged ?? '?'} ${checkpoint.filesChanged === 1 ? 'file' : 'files'} changed, ${humanBytes(checkpoint.sizeBytes)} ${checkpoint.checkpointType === 'patch' ? 'patch' : 'new'})`,
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
