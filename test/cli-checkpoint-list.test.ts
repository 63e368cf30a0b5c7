/**
 * `checkpoint list` on a long plan: the human table shows the 100 most recent checkpoints and
 * says on stderr that older ones exist; `--json` lists every one (its contract); `--limit`
 * overrides the table's default. Checkpoints are made through the library (fast), listed
 * through the built CLI: `npm run build` first.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, runCli } from './helpers/cli.js';
import { makeRepo } from './helpers/repo.js';
import { openSavepoint } from './helpers/savepoint.js';

describe('checkpoint list of a plan with more checkpoints than the table shows', () => {
  beforeAll(() => assertBuilt());

  it('table: the 100 most recent and a note; --json: all 101; --limit 101: all 101', async () => {
    const repo = makeRepo({ 'a.txt': 'a\n' });
    const sp = await openSavepoint(repo);
    const { plan } = await sp.plans.create({ policy: { retention: { max: 500 } } });
    for (let i = 2; i <= 101; i += 1) await sp.checkpoints.create(plan.planId, { force: true });
    sp.close();

    const table = await runCli(repo, ['checkpoint', 'list', '--plan', plan.planId]);
    expect(table.status).toBe(0);
    const rows = table.stdout.trimEnd().split('\n').slice(1);
    expect(rows).toHaveLength(100);
    expect(rows[0]?.split(/\s+/)[0]).toBe('2');
    expect(rows.at(-1)?.split(/\s+/)[0]).toBe('101');
    expect(table.stderr).toContain('Showing the 100 most recent matching checkpoints');

    const json = await runCli(repo, ['checkpoint', 'list', '--plan', plan.planId, '--json']);
    expect(json.status).toBe(0);
    const { checkpoints } = JSON.parse(json.stdout) as { checkpoints: { seq: number }[] };
    expect(checkpoints.map((c) => c.seq)).toEqual(Array.from({ length: 101 }, (_, i) => i + 1));
    expect(json.stderr).toBe('');

    const all = await runCli(repo, ['checkpoint', 'list', '--plan', plan.planId, '--limit', '101']);
    expect(all.stdout.trimEnd().split('\n').slice(1)).toHaveLength(101);
    expect(all.stderr).toBe('');
  });
});
