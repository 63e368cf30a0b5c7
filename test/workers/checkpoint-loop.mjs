// One of the concurrent processes of test/concurrency.test.ts: takes N forced checkpoints of
// a plan through the library (dist/), each changing one file first. Prints a JSON summary;
// any error is printed as { error } and exits 1.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Savepoint } from '../../dist/index.js';

const [repo, planId, worker, count] = process.argv.slice(2);
const sp = await Savepoint.open({ cwd: repo, lockWaitMs: 120_000 });
const ids = [];
try {
  for (let i = 0; i < Number(count); i++) {
    writeFileSync(path.join(repo, `worker-${worker}.txt`), `${i}\n`);
    const result = await sp.checkpoints.create(planId, { force: true, reason: `worker ${worker} #${i}` });
    ids.push(result.checkpoint.checkpointId);
  }
  process.stdout.write(JSON.stringify({ ids }));
} catch (error) {
  process.stdout.write(JSON.stringify({ error: { code: error.code, message: error.message } }));
  process.exitCode = 1;
} finally {
  sp.close();
}
