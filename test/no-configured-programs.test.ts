/**
 * No savepoint command runs a program the repository's git config names: hooks, fsmonitor,
 * pagers, credential helpers, askpass, ssh, gpg, external diff, textconv, editors,
 * alternate-refs commands, merge drivers and content filters. Each knob is set in
 * `.git/config` to a script that appends to a marker file outside the repository; plan
 * create, checkpoint create, a diff, a compare, a rollback that moves HEAD, and an undo then
 * run, and the marker must not exist after any of them.
 *
 * The test's own git calls (a commit between checkpoints) may run the script: the marker is
 * removed after them, before each savepoint call.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { assertBuilt, runCli } from './helpers/cli.js';
import { git, makeRepo, tempDir, writeFiles } from './helpers/repo.js';
import { openSavepoint, yes } from './helpers/savepoint.js';

/** Hooks git 2.39 may run around what savepoint does (githooks(5)). */
const HOOKS = [
  'pre-commit',
  'prepare-commit-msg',
  'commit-msg',
  'post-commit',
  'post-checkout',
  'post-merge',
  'post-rewrite',
  'post-index-change',
  'reference-transaction',
  'pre-auto-gc',
  'fsmonitor-watchman',
];

interface Rig {
  /** The marker file a configured program appends to (outside the repository). */
  marker: string;
  /** The program: appends its name and arguments to the marker, copies stdin to stdout. */
  script: string;
  /** A directory holding that script under every hook name. */
  hooksDir: string;
}

function rig(): Rig {
  const dir = tempDir('savepoint-programs-');
  const marker = path.join(dir, 'ran');
  const script = path.join(dir, 'program.sh');
  writeFileSync(
    script,
    `#!/bin/sh\necho "$0 $* <- $(ps -o args= $PPID)" >> '${marker}'\ncat 2>/dev/null\nexit 0\n`,
  );
  chmodSync(script, 0o755);
  const hooksDir = path.join(dir, 'hooks');
  mkdirSync(hooksDir);
  for (const hook of HOOKS) {
    writeFileSync(path.join(hooksDir, hook), `#!/bin/sh\necho "${hook} $*" >> '${marker}'\nexit 0\n`);
    chmodSync(path.join(hooksDir, hook), 0o755);
  }
  return { marker, script, hooksDir };
}

/** The marker's content, or undefined when no configured program ran. */
function ran(r: Rig): string | undefined {
  return existsSync(r.marker) ? readFileSync(r.marker, 'utf8') : undefined;
}

/** Files of every test repository: text files a filter, textconv or diff driver applies to. */
const FILES = {
  '.gitattributes': '*.txt filter=x diff=x merge=x\n',
  'a.txt': 'a\n',
  'b.txt': 'b\n',
  'bin.dat': Buffer.from([0, 1, 2, 3]),
};

type Knob = (repo: string, r: Rig) => void;

const set = (repo: string, ...pairs: [string, string][]) => {
  for (const [key, value] of pairs) git(repo, 'config', key, value);
};

/** Each knob, configured in the repository's `.git/config` to run the marker script. */
const KNOBS: Record<string, Knob> = {
  'hooks in .git/hooks (no core.hooksPath)': (repo, r) => {
    for (const hook of HOOKS) {
      writeFileSync(path.join(repo, '.git', 'hooks', hook), readFileSync(path.join(r.hooksDir, hook)));
      chmodSync(path.join(repo, '.git', 'hooks', hook), 0o755);
    }
  },
  'core.hooksPath': (repo, r) => set(repo, ['core.hooksPath', r.hooksDir]),
  'core.fsmonitor': (repo, r) => set(repo, ['core.fsmonitor', r.script]),
  'core.pager and pager.<cmd>': (repo, r) =>
    set(
      repo,
      ['core.pager', r.script],
      ['pager.diff', r.script],
      ['pager.log', r.script],
      ['pager.show', r.script],
      ['pager.status', r.script],
    ),
  'credential.helper': (repo, r) => set(repo, ['credential.helper', r.script]),
  'core.askPass': (repo, r) => set(repo, ['core.askPass', r.script]),
  'core.sshCommand': (repo, r) => set(repo, ['core.sshCommand', r.script]),
  'gpg.program with commit.gpgSign, tag.gpgSign, log.showSignature': (repo, r) =>
    set(
      repo,
      ['gpg.program', r.script],
      ['gpg.x509.program', r.script],
      ['gpg.ssh.program', r.script],
      ['user.signingKey', 'ABCDEF'],
      ['commit.gpgSign', 'true'],
      ['tag.gpgSign', 'true'],
      ['log.showSignature', 'true'],
    ),
  'diff.external': (repo, r) => set(repo, ['diff.external', r.script]),
  'diff.<driver>.textconv and diff.<driver>.command': (repo, r) =>
    set(repo, ['diff.x.textconv', r.script], ['diff.x.command', r.script]),
  'core.editor and sequence.editor': (repo, r) =>
    set(repo, ['core.editor', r.script], ['sequence.editor', r.script]),
  'core.alternateRefsCommand': (repo, r) => set(repo, ['core.alternateRefsCommand', r.script]),
  'merge.<driver>.driver': (repo, r) => set(repo, ['merge.x.driver', `${r.script} %O %A %B`]),
  'filter.<driver>.clean and smudge': (repo, r) =>
    set(repo, ['filter.x.clean', r.script], ['filter.x.smudge', r.script], ['filter.x.required', 'true']),
  'filter.<driver>.process': (repo, r) => set(repo, ['filter.x.process', r.script]),
};

/** The test's own git calls, with the knobs left as configured (they may run the script). */
function userCommit(repo: string, r: Rig, files: Record<string, string>): void {
  writeFiles(repo, files);
  const attributes = path.join(repo, '.git', 'info', 'attributes');
  writeFileSync(attributes, '* -filter -diff -merge\n');
  git(
    repo,
    ...['-c', 'core.hooksPath=/dev/null', '-c', 'commit.gpgSign=false', '-c', 'core.fsmonitor=false'],
    'commit',
    '-q',
    '-am',
    'user commit',
  );
  rmSync(attributes);
  rmSync(r.marker, { force: true });
}

describe('no savepoint call runs a program the repository config names', () => {
  for (const [name, configure] of Object.entries(KNOBS)) {
    it(`library: ${name}`, async () => {
      const r = rig();
      const repo = makeRepo(FILES);
      configure(repo, r);
      const sp = await openSavepoint(repo);

      const { plan, checkpoint: first } = await sp.plans.create({ sandbox: repo });
      expect(ran(r), 'plan create').toBeUndefined();

      writeFiles(repo, { 'a.txt': 'a changed\n', 'c.txt': 'new\n' });
      const { checkpoint: second } = await sp.checkpoints.create(plan.planId, { force: true });
      expect(ran(r), 'checkpoint create').toBeUndefined();

      const changes = await sp.diffs.changes(second.checkpointId, { stat: true, patch: true });
      expect(changes.stat?.map((entry) => entry.path).sort()).toEqual(['a.txt', 'c.txt']);
      await sp.diffs.compare(first.checkpointId);
      expect(ran(r), 'diff and compare').toBeUndefined();

      // HEAD moves on, so the rollback below moves it back and checks files out.
      userCommit(repo, r, { 'b.txt': 'b committed\n' });
      writeFiles(repo, { 'b.txt': 'b dirty\n', 'd.txt': 'untracked\n' });
      const report = await sp.rollbacks.rollback({
        planId: plan.planId,
        checkpointId: first.checkpointId,
        confirm: yes,
      });
      expect(ran(r), 'rollback').toBeUndefined();
      expect(report.restored.total).toBeGreaterThan(0);
      expect(readFileSync(path.join(repo, 'a.txt'), 'utf8')).toBe('a\n');
      expect(readFileSync(path.join(repo, 'b.txt'), 'utf8')).toBe('b\n');

      await sp.undo({ planId: plan.planId, confirm: async () => true });
      expect(ran(r), 'undo').toBeUndefined();
      expect(readFileSync(path.join(repo, 'b.txt'), 'utf8')).toBe('b dirty\n');
    });
  }

  for (const name of [
    'core.hooksPath',
    'core.pager and pager.<cmd>',
    'diff.external',
    'filter.<driver>.process',
  ]) {
    it(`built CLI: ${name}`, async () => {
      assertBuilt();
      const r = rig();
      const repo = makeRepo(FILES);
      KNOBS[name]?.(repo, r);
      const cli = async (...args: string[]) => {
        const run = await runCli(repo, args);
        expect(run.status, `${args.join(' ')}: ${run.stderr}`).toBe(0);
        expect(ran(r), args.join(' ')).toBeUndefined();
        return run;
      };
      const created = JSON.parse((await cli('plan', 'create', '--json')).stdout) as {
        planId: string;
        checkpointId: string;
      };
      writeFiles(repo, { 'a.txt': 'a changed\n' });
      const second = JSON.parse(
        (await cli('checkpoint', 'create', '-p', created.planId, '--json')).stdout,
      ) as { checkpointId: string };
      await cli('checkpoint', 'show', second.checkpointId, '--diff', '--stat');
      await cli('checkpoint', 'diff', created.checkpointId);
      await cli('plan', 'show', created.planId);
      await cli('checkpoint', 'list', '-p', created.planId);
      userCommit(repo, r, { 'b.txt': 'b committed\n' });
      await cli('plan', 'rollback', created.planId, created.checkpointId, '--yes');
      expect(readFileSync(path.join(repo, 'a.txt'), 'utf8')).toBe('a\n');
      await cli('undo', '--yes');
      await cli('doctor');
    });
  }
});
