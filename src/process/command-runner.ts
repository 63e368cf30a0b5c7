/**
 * The {@link CommandRunner} adapter: spawns an agent's tool command with `node:child_process`
 * (argv, `shell: false`), passes stdio through and forwards SIGINT/SIGTERM to it.
 */
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import type { CommandExit, CommandRunner, CommandRunOptions } from '../core/ports.js';
import { CommandNotStartedError } from '../exec/errors.js';

const FORWARDED = ['SIGINT', 'SIGTERM'] as const;

export class SpawnCommandRunner implements CommandRunner {
  run(argv: readonly string[], options: CommandRunOptions): Promise<CommandExit> {
    const [program, ...args] = argv;
    if (program === undefined) throw new Error('SpawnCommandRunner.run: argv is empty');
    return new Promise((resolve, reject) => {
      const started = performance.now();
      const child = spawn(program, args, {
        cwd: options.cwd,
        shell: false,
        // stdout to fd 2 keeps savepoint's stdout for its own `--json` result.
        stdio: ['inherit', options.stdout === 'stderr' ? 2 : 'inherit', 'inherit'],
      });
      let timedOut = false;
      let killTimer: NodeJS.Timeout | undefined;
      const timeoutTimer =
        options.timeoutMs === undefined
          ? undefined
          : setTimeout(() => {
              timedOut = true;
              child.kill('SIGTERM');
              killTimer = setTimeout(() => child.kill('SIGKILL'), options.killGraceMs);
            }, options.timeoutMs);
      const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
      const handlers = FORWARDED.map((signal) => [signal, forward(signal)] as const);
      for (const [signal, handler] of handlers) process.on(signal, handler);
      const cleanUp = () => {
        clearTimeout(timeoutTimer);
        clearTimeout(killTimer);
        for (const [signal, handler] of handlers) process.off(signal, handler);
      };
      child.once('error', (error: NodeJS.ErrnoException) => {
        cleanUp();
        reject(new CommandNotStartedError(program, error.code, { cause: error }));
      });
      child.once('exit', (code, signal) => {
        cleanUp();
        resolve({
          exitCode: code,
          signal,
          timedOut,
          elapsedMs: Math.round(performance.now() - started),
        });
      });
    });
  }
}
