import * as Flags from '@oclif/core/flags';
import { SavepointCommand, waitFlag } from '../cli/base-command.js';
import { visible } from '../cli/render.js';
import type { DoctorProblem, DoctorReport } from '../ledger/doctor-service.js';
import { DoctorProblemsError } from '../ledger/errors.js';

export default class Doctor extends SavepointCommand<DoctorReport> {
  static override summary = "Check savepoint's invariants in this repository; exit 0 only when clean.";

  static override description =
    `Checks: PRAGMA integrity_check of the database; every checkpoint row's ref under refs/savepoint/ names its commit and its objects exist (cat-file -e; a row without a ref, such as a patch checkpoint, needs none); every ref under refs/savepoint/ has its row; no operation awaits savepoint recover; no temp files or sandbox locks left by dead processes.

--fix repairs what is safe: removes orphan refs (under the plan's sandbox lock, or past the 10-minute gc grace period), stale temp files and stale locks, and closes interrupted operations that changed no sandbox file. Interrupted rollbacks and missing objects are reported, never guessed at. Exit 9 (DOCTOR_PROBLEMS) while any problem remains.`;

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --fix --json',
  ];

  static override flags = {
    wait: waitFlag,
    fix: Flags.boolean({ summary: 'Repair what is safe to repair; report the rest.' }),
  };

  async run(): Promise<DoctorReport> {
    const { flags } = await this.parse(Doctor);
    const savepoint = await this.open(flags);
    try {
      const report = await savepoint.doctor.check({ fix: flags.fix });
      this.describe(report.problems);
      const { plans, checkpoints, refs, operations } = report.checked;
      this.say(
        `Clean: ${plans} plans, ${checkpoints} checkpoints, ${refs} refs, ${operations} operations checked.`,
      );
      return report;
    } catch (error) {
      if (error instanceof DoctorProblemsError) this.describe(error.details.problems as DoctorProblem[]);
      throw error;
    }
  }

  private describe(problems: readonly DoctorProblem[]): void {
    for (const problem of problems)
      this.say(`${problem.fixed ? 'fixed  ' : 'problem'} ${problem.kind}: ${visible(problem.message)}`);
  }
}
