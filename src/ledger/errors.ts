import { ExitCode, SavepointError } from '../core/errors.js';
import type { Operation } from './model.js';

/**
 * The sandbox has an operation that was interrupted (its process died) or failed halfway;
 * nothing more may change it until `savepoint recover` resolves that (exit 7, `OPERATION_INTERRUPTED`).
 */
export class OperationInterruptedError extends SavepointError {
  constructor(sandboxPath: string, operations: readonly Operation[]) {
    const first = operations[0];
    const planFlag = first?.planId ? ` --plan ${first.planId}` : '';
    super(
      'OPERATION_INTERRUPTED',
      ExitCode.interrupted,
      `sandbox ${sandboxPath} has ${operations.length === 1 ? 'an interrupted operation' : `${operations.length} interrupted operations`} (${operations
        .map((op) => `${op.kind} ${op.opId}`)
        .join(', ')}); run \`savepoint recover${planFlag}\` first`,
      {
        details: {
          sandboxPath,
          operations: operations.map((op) => ({
            opId: op.opId,
            kind: op.kind,
            planId: op.planId,
            pid: op.pid,
          })),
        },
        hint: `savepoint recover${planFlag} finishes it; savepoint recover${planFlag} --abort returns to the state before it`,
      },
    );
  }
}

/** No ledger row has this id (exit 3, `OPERATION_NOT_FOUND`). */
export class OperationNotFoundError extends SavepointError {
  constructor(opId: string) {
    super('OPERATION_NOT_FOUND', ExitCode.notFound, `operation ${opId} not found`, {
      details: { opId },
      hint: 'list operations with `savepoint ops list`',
    });
  }
}

/** `savepoint doctor` found problems it did not (or could not) repair (exit 9, `DOCTOR_PROBLEMS`). */
export class DoctorProblemsError extends SavepointError {
  constructor(report: { problems: readonly { kind: string; message: string }[] } & Record<string, unknown>) {
    const n = report.problems.length;
    super(
      'DOCTOR_PROBLEMS',
      ExitCode.integrity,
      `doctor found ${n} ${n === 1 ? 'problem' : 'problems'}: ${report.problems.map((p) => p.message).join('; ')}`,
      {
        details: { ...report },
        hint: 'savepoint doctor --fix repairs what is safe; savepoint recover resolves interrupted operations',
      },
    );
  }
}
