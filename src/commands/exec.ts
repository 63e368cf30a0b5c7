import * as Flags from '@oclif/core/flags';
import { SavepointCommand, waitFlag } from '../cli/base-command.js';
import { visible } from '../cli/render.js';
import { UsageError } from '../core/errors.js';
import type { ExecResult } from '../exec/exec-service.js';

export default class Exec extends SavepointCommand<ExecResult> {
  // SIGINT/SIGTERM go to the command it runs (src/process/command-runner.ts); exec exits with its status.
  static override exitOnSignal = false;

  static override summary = 'Run a tool call as a transactional step: checkpoint, run, record the attempt.';

  static override description =
    `Takes a checkpoint of the plan's sandbox first, unless the plan's policy declares --tool as skip (a checkpoint is reused when nothing changed since the latest one). Then runs the command after -- in the plan's sandbox, as an argv without a shell, with stdin and stderr passed through, and records an attempt: tool, argv, exit code or signal, elapsed ms, outcome (success, failed, timeout, rolled_back) and the checkpoint id. No savepoint lock is held while the command runs.

With --rollback-on-failure, a non-zero exit, a signal or a timeout rolls the sandbox back to the pre-call checkpoint (undo that rollback with savepoint undo). A tool declared skip cannot be combined with --rollback-on-failure: exit 2 (USAGE) before anything runs.

Exit code: the command's own; 128 + the signal number when a signal killed it; 124 when --timeout killed it (SIGTERM, then SIGKILL after 2 s). savepoint's own failures (plan unknown 3, plan not active 4, BUSY 6, …) keep their codes and print an error (the --json error envelope); a command that cannot be started is COMMAND_NOT_STARTED (3 when not found). With --json the command's stdout goes to stderr, and stdout holds only the attempt record.`;

  static override examples = [
    '<%= config.bin %> <%= command.id %> --plan 01JD3Q6Z5K8M2N4P6R8T0V2X4Y --tool Bash -- npm test',
    '<%= config.bin %> <%= command.id %> --plan 01JD3Q6Z5K8M2N4P6R8T0V2X4Y --tool Codemod --rollback-on-failure --timeout 60 --json -- npx jscodeshift -t t.js src',
  ];

  // Only savepoint's flags are parsed: everything after the first `--` is the command's argv,
  // untouched (it may itself hold `--`, `--plan` or `--json`). See `run`.
  static override strict = false;

  static override flags = {
    wait: waitFlag,
    plan: Flags.string({ char: 'p', summary: 'Plan id.', required: true }),
    tool: Flags.string({
      char: 't',
      summary: "Tool name, matched against the plan's tool declarations.",
      required: true,
    }),
    'rollback-on-failure': Flags.boolean({
      summary: 'Roll back to the pre-call checkpoint on a non-zero exit, a signal or a timeout.',
    }),
    timeout: Flags.string({
      summary: 'Kill the command after this many seconds (exit 124).',
      helpValue: 'SECONDS',
    }),
  };

  async run(): Promise<ExecResult> {
    const separator = this.argv.indexOf('--');
    const command = separator < 0 ? [] : this.argv.slice(separator + 1);
    const { flags, argv: stray } = await this.parse(
      Exec,
      separator < 0 ? this.argv : this.argv.slice(0, separator),
    );
    if (stray.length > 0)
      throw new UsageError(`unexpected argument "${String(stray[0])}": the command goes after --`, {
        details: { argument: String(stray[0]) },
      });
    if (command.length === 0)
      throw new UsageError('exec needs a command after --: savepoint exec --plan P --tool T -- cmd args…');
    let timeoutMs: number | undefined;
    if (flags.timeout !== undefined) {
      const seconds = Number(flags.timeout);
      if (flags.timeout.trim() === '' || !Number.isFinite(seconds) || seconds <= 0)
        throw new UsageError(`--timeout must be a number of seconds > 0, got "${flags.timeout}"`, {
          details: { timeout: flags.timeout },
        });
      timeoutMs = Math.round(seconds * 1000);
    }
    const savepoint = await this.open(flags);
    const result = await savepoint.exec({
      planId: flags.plan,
      tool: flags.tool,
      argv: command,
      rollbackOnFailure: flags['rollback-on-failure'],
      stdoutToStderr: this.jsonEnabled(),
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
    });
    const ended = result.timedOut
      ? 'timed out'
      : result.signal
        ? `killed by ${result.signal}`
        : `exit ${result.exitCode}`;
    this.note(
      `savepoint: ${visible(result.tool)} ${ended} after ${result.elapsedMs} ms — ${result.outcome}; attempt ${result.attemptId}, checkpoint ${result.checkpointId ?? 'none (tool declared skip)'}`,
    );
    if (result.rollbackSafetyCheckpointId)
      this.note(`savepoint: rolled back; undo with: ${this.config.bin} undo --plan ${result.planId} --yes`);
    process.exitCode = result.processExitCode;
    return result;
  }
}
