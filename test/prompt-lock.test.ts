/**
 * The rollback confirmation never holds the sandbox lock (issue 12): asked on a real terminal
 * (tmux) by the built CLI, and through the library. Another process checkpoints while the
 * question is open; an edit saved meanwhile is shown in a new preview, asked about again, and
 * kept in the safety checkpoint; Ctrl-C, SIGTERM and "n" at the question change nothing.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { ConfirmationError, SandboxChangedSincePreviewError } from '../src/plan/errors.js';
import type { ConfirmContext, RollbackPreview } from '../src/plan/rollback-service.js';
import { assertBuilt, BIN, runCli } from './helpers/cli.js';
import { git, makeRepo, writeFiles } from './helpers/repo.js';
import { expectError, openSavepoint } from './helpers/savepoint.js';

beforeAll(assertBuilt);

/** A terminal running `savepoint <args>` in `cwd` (its own tmux server), killed when the test ends. */
function terminal(cwd: string, args: string[]) {
  const socket = `sp-prompt-${process.pid}-${Math.random().toString(36).slice(2)}`;
  const tmux = (...argv: string[]) => execFileSync('tmux', ['-L', socket, ...argv], { encoding: 'utf8' });
  const quoted = [process.execPath, BIN, ...args].map((a) => `'${a}'`).join(' ');
  tmux('new-session', '-d', '-x', '200', '-y', '50', '-c', cwd, `${quoted}; echo EXIT:$?; sleep 120`);
  onTestFinished(() => {
    try {
      tmux('kill-server');
    } catch {
      // already gone
    }
  });
  const screen = () => tmux('capture-pane', '-p', '-S', '-200');
  return {
    screen,
    keys: (...keys: string[]) => tmux('send-keys', ...keys),
    pid: () => Number(tmux('list-panes', '-F', '#{pane_pid}').trim()),
    /** Waits until the screen shows `text` (or matches it); returns the screen. */
    async waitFor(text: string | RegExp): Promise<string> {
      for (let i = 0; i < 300; i++) {
        const shown = screen();
        if (typeof text === 'string' ? shown.includes(text) : text.test(shown)) return shown;
        await sleep(50);
      }
      throw new Error(`terminal never showed ${String(text)}:\n${screen()}`);
    },
  };
}

const QUESTION = 'Roll back now?';

/** The exit status the terminal printed. */
function exitOf(screen: string): number {
  const match = /EXIT:(\d+)/.exec(screen);
  if (!match) throw new Error(`no exit status on screen:\n${screen}`);
  return Number(match[1]);
}

async function planWithChange() {
  const repo = makeRepo({ 'a.txt': 'base\n' });
  const sp = await openSavepoint(repo);
  const { plan, checkpoint } = await sp.plans.create({ sandbox: repo });
  writeFiles(repo, { 'a.txt': 'changed\n' });
  return { repo, sp, plan, first: checkpoint };
}

describe('on a terminal: the question is asked without the sandbox lock', () => {
  it('another process checkpoints meanwhile; an edit saved meanwhile gets a new preview, a second question, and is kept', async () => {
    const { repo, sp, plan, first } = await planWithChange();
    const term = terminal(repo, ['plan', 'rollback', plan.planId, first.checkpointId]);
    await term.waitFor(QUESTION);

    // The lock is free while the question is open: no wait needed.
    const other = await runCli(repo, [
      'checkpoint',
      'create',
      '--plan',
      plan.planId,
      '--wait',
      '0',
      '--json',
    ]);
    expect(other.status, other.stdout).toBe(0);
    writeFiles(repo, { 'saved-meanwhile.txt': 'do not lose me\n' });

    term.keys('y', 'Enter');
    const screen = await term.waitFor(/The new preview:[\s\S]*\(y\/N\)/);
    expect(screen).toContain('The sandbox changed while the question was open. The new preview:');
    expect(screen).toMatch(/D {2}saved-meanwhile\.txt/);
    term.keys('y', 'Enter');
    const done = await term.waitFor('EXIT:');
    expect(exitOf(done)).toBe(0);

    expect(readFileSync(`${repo}/a.txt`, 'utf8')).toBe('base\n');
    const rollbacks = sp.ops.list({ limit: 10 }).filter((op) => op.kind === 'rollback');
    // Newest first: the rollback that ran, then the attempt closed when the sandbox had changed.
    expect(rollbacks.map((op) => [op.state, op.error?.code ?? null])).toEqual([
      ['committed', null],
      ['cancelled', 'SANDBOX_CHANGED_SINCE_PREVIEW'],
    ]);
    const result = rollbacks[0]?.result as { safetyCheckpointId: string } | undefined;
    const safetyId = result?.safetyCheckpointId ?? '';
    const safety = sp.checkpoints.get(safetyId);
    expect(git(repo, 'show', `${safety.commitSha}:saved-meanwhile.txt`)).toBe('do not lose me');
  });

  it('Ctrl-C at the question: exit 130, a plain line, nothing changed, recorded cancelled, the next rollback runs', async () => {
    const { repo, sp, plan, first } = await planWithChange();
    const term = terminal(repo, ['plan', 'rollback', plan.planId, first.checkpointId]);
    await term.waitFor(QUESTION);
    term.keys('C-c');
    const screen = await term.waitFor('EXIT:');
    expect(exitOf(screen)).toBe(130);
    expect(screen).toContain('stopped by SIGINT; nothing was changed');
    expect(screen).not.toMatch(/\n\s+at |INTERNAL|Error \[|ExitPromptError/);
    expect(readFileSync(`${repo}/a.txt`, 'utf8')).toBe('changed\n');
    expect(sp.ops.list({ limit: 1 })[0]).toMatchObject({
      kind: 'rollback',
      state: 'cancelled',
      error: { code: 'CANCELLED' },
    });
    expect((await runCli(repo, ['plan', 'rollback', plan.planId, first.checkpointId, '--yes'])).status).toBe(
      0,
    );
  });

  it('SIGTERM at the question: exit 143, nothing changed, recorded cancelled', async () => {
    const { repo, sp, plan, first } = await planWithChange();
    const term = terminal(repo, ['plan', 'rollback', plan.planId, first.checkpointId]);
    await term.waitFor(QUESTION);
    const cli = execFileSync('pgrep', ['-P', String(term.pid()), '-f', BIN], { encoding: 'utf8' }).trim();
    process.kill(Number(cli), 'SIGTERM');
    const screen = await term.waitFor('EXIT:');
    expect(exitOf(screen)).toBe(143);
    expect(screen).toContain('stopped by SIGTERM; nothing was changed');
    expect(readFileSync(`${repo}/a.txt`, 'utf8')).toBe('changed\n');
    expect(sp.ops.list({ limit: 1 })[0]).toMatchObject({ state: 'cancelled', error: { code: 'CANCELLED' } });
    expect((await runCli(repo, ['checkpoint', 'create', '--plan', plan.planId])).status).toBe(0);
  });

  it('"n" at the question: exit 8 with a plain line, not an error', async () => {
    const { repo, sp, plan, first } = await planWithChange();
    const term = terminal(repo, ['plan', 'rollback', plan.planId, first.checkpointId]);
    await term.waitFor(QUESTION);
    term.keys('n', 'Enter');
    const screen = await term.waitFor('EXIT:');
    expect(exitOf(screen)).toBe(8);
    expect(screen).toContain('rollback cancelled; nothing was changed');
    expect(screen).not.toContain('Error');
    expect(readFileSync(`${repo}/a.txt`, 'utf8')).toBe('changed\n');
    expect(sp.ops.list({ limit: 1 })[0]).toMatchObject({
      state: 'cancelled',
      error: { code: 'CONFIRMATION_DECLINED' },
    });
  });
});

describe('through the library', () => {
  it('confirm runs without the lock; a changed sandbox asks again with the previous preview; refusing then changes nothing', async () => {
    const { repo, sp, plan, first } = await planWithChange();
    const asked: Array<{ preview: RollbackPreview; context: ConfirmContext }> = [];
    const error = await expectError(
      sp.rollbacks.rollback({
        planId: plan.planId,
        checkpointId: first.checkpointId,
        confirm: async (preview, context) => {
          asked.push({ preview, context });
          if (context.changedSince !== null) throw new SandboxChangedSincePreviewError();
          const other = await runCli(repo, ['checkpoint', 'create', '--plan', plan.planId, '--wait', '0']);
          expect(other.status).toBe(0);
          writeFiles(repo, { 'b.txt': 'new\n' });
          return true;
        },
      }),
      SandboxChangedSincePreviewError,
      'SANDBOX_CHANGED_SINCE_PREVIEW',
      8,
    );
    expect(error.message).toContain('nothing was changed');
    expect(asked.map(({ preview }) => preview.paths.map((c) => `${c.change} ${c.path}`))).toEqual([
      ['modified a.txt'],
      ['modified a.txt', 'deleted b.txt'],
    ]);
    expect(asked[1]?.context.changedSince).toEqual(asked[0]?.preview);
    expect(readFileSync(`${repo}/a.txt`, 'utf8')).toBe('changed\n');
    expect(readFileSync(`${repo}/b.txt`, 'utf8')).toBe('new\n');
    expect(sp.ops.list({ limit: 2 }).map((op) => [op.kind, op.state, op.error?.code])).toEqual([
      ['rollback', 'cancelled', 'SANDBOX_CHANGED_SINCE_PREVIEW'],
      ['rollback', 'cancelled', 'SANDBOX_CHANGED_SINCE_PREVIEW'],
    ]);
    expect(sp.ops.list({ limit: 10 }).filter((op) => op.state === 'interrupted')).toEqual([]);
  });

  it('a declined confirmation is recorded cancelled; a refused one (CONFIRMATION_REQUIRED) failed; neither opens the lock', async () => {
    const { repo, sp, plan, first } = await planWithChange();
    await expectError(
      sp.rollbacks.rollback({
        planId: plan.planId,
        checkpointId: first.checkpointId,
        confirm: async () => false,
      }),
      ConfirmationError,
      'CONFIRMATION_DECLINED',
      8,
    );
    await expectError(
      sp.rollbacks.rollback({
        planId: plan.planId,
        checkpointId: first.checkpointId,
        confirm: async () => {
          throw new ConfirmationError(false);
        },
      }),
      ConfirmationError,
      'CONFIRMATION_REQUIRED',
      8,
    );
    expect(sp.ops.list({ limit: 2 }).map((op) => [op.state, op.error?.code])).toEqual([
      ['failed', 'CONFIRMATION_REQUIRED'],
      ['cancelled', 'CONFIRMATION_DECLINED'],
    ]);
    expect(readFileSync(`${repo}/a.txt`, 'utf8')).toBe('changed\n');
  });
});
