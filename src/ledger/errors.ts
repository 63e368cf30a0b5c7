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

/**
 * The process was stopped by SIGINT (Ctrl-C, exit 130) or SIGTERM (exit 143), code `CANCELLED`.
 * `details.operations` lists what the running operation became: `cancelled` when it had changed
 * nothing, `interrupted` when it may have (then `savepoint recover` resolves it).
 */
export class CancelledError extends SavepointError {
  constructor(
    readonly signal: 'SIGINT' | 'SIGTERM',
    operations: readonly { opId: string; kind: string; state: 'cancelled' | 'interrupted' }[] = [],
  ) {
    const unfinished = operations.filter((op) => op.state === 'interrupted');
    super(
      'CANCELLED',
      signal === 'SIGINT' ? ExitCode.sigint : ExitCode.sigterm,
      unfinished.length > 0
        ? `stopped by ${signal} while ${unfinished.map((op) => `${op.kind} ${op.opId}`).join(', ')} may have changed the sandbox; run \`savepoint recover\``
        : `stopped by ${signal}; nothing was changed`,
      {
        details: { signal, operations: [...operations] },
        ...(unfinished.length > 0
          ? {
              hint: 'savepoint recover finishes it; savepoint recover --abort returns to the state before it',
            }
          : {}),
      },
    );
  }
}
