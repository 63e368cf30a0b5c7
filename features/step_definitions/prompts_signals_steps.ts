/**
 * Prompts and signals (issue 12): a run stopped at a fault point (SIGSTOP) and sent SIGINT or
 * SIGTERM, and a rollback answered on a real terminal (tmux).
 */
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Then, When } from '@cucumber/cucumber';
import { expect } from '../support/expect.js';
import { type Run, type SavepointWorld, splitWords } from '../support/world.js';

const BIN = path.resolve(import.meta.dirname, '../../bin/run.js');

/** Waits until process `pid` is stopped (state `T` in /proc/<pid>/stat, proc(5)). */
async function stopped(pid: number): Promise<void> {
  for (let i = 0; i < 400; i++) {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('T')) return;
    await sleep(25);
  }
  throw new Error(`process ${pid} did not stop`);
}

function commandArgs(world: SavepointWorld, command: string): string[] {
  const words = splitWords(command).map((word) => world.expand(word));
  if (words[0] !== 'savepoint') throw new Error(`commands start with "savepoint": ${command}`);
  return words.slice(1);
}

function asRun(world: SavepointWorld, args: string[], exitCode: number, stdout: string, stderr: string): Run {
  const jsonMode = args.includes('--json');
  let json: unknown;
  let jsonError: string | undefined;
  if (jsonMode) {
    try {
      json = JSON.parse(stdout);
    } catch (error) {
      jsonError = `stdout is not one JSON document (${String(error)})`;
    }
  }
  return {
    commandLine: `savepoint ${args.join(' ')}`,
    args,
    cwd: world.cwd,
    exitCode,
    stdout,
    stderr,
    jsonMode,
    json,
    jsonError,
    exitCodeAsserted: false,
  };
}

When(
  'I run {string} and it gets {word} at {string}',
  async function (this: SavepointWorld, command: string, signal: string, point: string) {
    this.assertLastRunHandled();
    const args = commandArgs(this, command);
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: this.cwd,
      env: { ...this.childEnv(), SAVEPOINT_FAULT: point, SAVEPOINT_FAULT_SIGNAL: 'SIGSTOP' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    const ended = new Promise<{ status: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on('close', (status, killedBy) => resolve({ status, signal: killedBy })),
    );
    await stopped(child.pid as number);
    // Delivered when the process continues (signal(7)).
    child.kill(signal as NodeJS.Signals);
    child.kill('SIGCONT');
    const end = await ended;
    if (end.signal) throw new Error(`${command} was killed by ${end.signal}\n${stderr}`);
    this.lastRun = asRun(this, args, end.status ?? -1, stdout, stderr);
  },
);

When(
  'I run {string} on a terminal and press {string} at the question',
  async function (this: SavepointWorld, command: string, keys: string) {
    this.assertLastRunHandled();
    const args = commandArgs(this, command);
    const socket = `sp-feature-${process.pid}-${Math.random().toString(36).slice(2)}`;
    const tmux = (...argv: string[]) => execFileSync('tmux', ['-L', socket, ...argv], { encoding: 'utf8' });
    const env = Object.entries(this.childEnv()).map(([key, value]) => `${key}=${value ?? ''}`);
    // `env -i`: the terminal's program sees the scenario's environment only.
    const line = ['env', '-i', ...env, process.execPath, BIN, ...args].map(
      (a) => `'${a.replace(/'/g, "'\\''")}'`,
    );
    tmux(
      'new-session',
      '-d',
      '-x',
      '200',
      '-y',
      '50',
      '-c',
      this.cwd,
      `${line.join(' ')}; echo EXIT:$?; sleep 60`,
    );
    try {
      const waitFor = async (pattern: RegExp): Promise<string> => {
        for (let i = 0; i < 300; i++) {
          const screen = tmux('capture-pane', '-p', '-S', '-200');
          if (pattern.test(screen)) return screen;
          await sleep(50);
        }
        throw new Error(`the terminal never showed ${pattern}:\n${tmux('capture-pane', '-p', '-S', '-200')}`);
      };
      await waitFor(/\(y\/N\)/);
      tmux('send-keys', ...keys.split(' '));
      const screen = await waitFor(/EXIT:\d+/);
      const exitCode = Number(/EXIT:(\d+)/.exec(screen)?.[1]);
      // A terminal has one screen: what the program printed to stdout and stderr, as stderr.
      this.lastRun = asRun(this, args, exitCode, '', screen.replace(/EXIT:\d+[\s\S]*$/, ''));
    } finally {
      tmux('kill-server');
    }
  },
);

Then(
  'the output is a plain line: no stack trace, no error code, nothing in red',
  function (this: SavepointWorld) {
    const run = this.last();
    const output = `${run.stdout}${run.stderr}`;
    expect(
      !/\n\s+at |INTERNAL|Error \[|\[[A-Z_]+\]/.test(output) && !output.includes('\u001b[31m'),
      `not plain:\n${this.describeRun(run)}`,
    );
  },
);
