import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Savepoint } from 'savepoint';

const repo = mkdtempSync(path.join(tmpdir(), 'sp-measure-'));
const git = (...a: string[]) => execFileSync('git', a, { cwd: repo });
git('init', '-q', '-b', 'main');
for (let i = 0; i < 2000; i++) writeFileSync(path.join(repo, `f${i}.txt`), `file ${i}\n`);
git('add', '-A');
git('-c', 'user.name=M', '-c', 'user.email=m@e', 'commit', '-q', '-m', 'i');
const sp = await Savepoint.open({ cwd: repo });
const yes = async () => true;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const time = async (fn: () => Promise<unknown>) => {
  const t = performance.now();
  await fn();
  return performance.now() - t;
};
try {
  const { plan } = await sp.plans.create({ sandbox: repo, policy: { retention: { max: 1000 } } });
  const dedup: number[] = [];
  const forced: number[] = [];
  for (let i = 0; i < 15; i++) {
    writeFileSync(path.join(repo, 'f1.txt'), `v${i}\n`);
    await sp.checkpoints.create(plan.planId);
    dedup.push(await time(() => sp.checkpoints.create(plan.planId)));
    forced.push(await time(() => sp.checkpoints.create(plan.planId, { force: true })));
  }
  console.log(
    `unchanged sandbox: dedup ${median(dedup).toFixed(1)} ms, forced new row ${median(forced).toFixed(1)} ms (added cost of an always-recorded safety checkpoint: ${(median(forced) - median(dedup)).toFixed(1)} ms)`,
  );

  const plain: number[] = [];
  const correction: number[] = [];
  for (let i = 0; i < 10; i++) {
    writeFileSync(path.join(repo, 'f2.txt'), `a${i}\n`);
    const d = await sp.decisions.record({ planId: plan.planId, summary: `d${i}` });
    for (let k = 0; k < 20; k++) writeFileSync(path.join(repo, `f${100 + k}.txt`), `changed ${i}\n`);
    const cp = (await sp.checkpoints.create(plan.planId)).checkpoint;
    for (let k = 0; k < 20; k++) writeFileSync(path.join(repo, `f${200 + k}.txt`), `changed ${i}\n`);
    plain.push(
      await time(() =>
        sp.rollbacks.rollback({ planId: plan.planId, checkpointId: cp.checkpointId, confirm: yes }),
      ),
    );
    for (let k = 0; k < 20; k++) writeFileSync(path.join(repo, `f${200 + k}.txt`), `again ${i}\n`);
    correction.push(await time(() => sp.corrections.revert({ decisionId: d.decisionId, confirm: yes })));
  }
  console.log(
    `rollback of 20 paths ${median(plain).toFixed(1)} ms; correction revert of 40 paths ${median(correction).toFixed(1)} ms (ratio ${(median(correction) / median(plain)).toFixed(2)})`,
  );

  // Pinned set with many decisions: one plan with 2000 decisions on the same checkpoint.
  const { plan: big } = await sp.plans.create({
    sandbox: repo,
    worktree: true,
    policy: { retention: { max: 5 } },
  });
  const first = sp.checkpoints.list(big.planId)[0]?.checkpointId ?? '';
  for (let i = 0; i < 2000; i++)
    await sp.decisions.record({ planId: big.planId, summary: `d${i}`, checkpointId: first });
  const t = performance.now();
  for (let i = 0; i < 100; i++) sp.checkpoints.pinned(big.planId);
  console.log(
    `pinned() over 2000 active decisions: ${((performance.now() - t) / 100).toFixed(2)} ms per call`,
  );
} finally {
  sp.close();
  rmSync(repo, { recursive: true, force: true });
}
