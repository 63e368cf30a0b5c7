/**
 * Renders `bench/results/*.json` files as Markdown (for bench/README.md and issue notes): the
 * machine of each, then one table with a row per target check and the medians it came from.
 *
 *   npx tsx bench/summary.ts bench/results/2026-11-21-vm.json [more.json …]
 */
import { readFileSync } from 'node:fs';
import type { MachineInfo } from './lib/env.js';
import { checkRows } from './lib/report.js';
import type { ScenarioResult } from './scenarios.js';

interface Report {
  startedAt: string;
  finishedAt: string;
  complete: boolean;
  options: { runs: number; tiers: string[]; checkpoints: number };
  machine: MachineInfo & { loadAverageAtEnd: number[] };
  results: ScenarioResult[];
}

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('usage: tsx bench/summary.ts bench/results/<file>.json [more.json …]');
  process.exit(2);
}
const reports = files.map((file) => JSON.parse(readFileSync(file, 'utf8')) as Report);
for (const [i, report] of reports.entries()) {
  const m = report.machine;
  console.log(
    `${files[i]}: ${m.hostname}, ${m.cpus}× ${m.cpuModel}, ${(m.memBytes / 2 ** 30).toFixed(0)} GiB RAM, ${m.platform} ${m.release}, node ${m.node}, git ${m.git}; savepoint ${m.savepointCommit}. ` +
      `Load average (1/5/15 min) ${m.loadAverage.join(' / ')} at start, ${m.loadAverageAtEnd.join(' / ')} at end. ` +
      `${report.startedAt} → ${report.finishedAt}, ${report.options.runs} runs per series${report.complete ? '' : ' (stopped before the end)'}.\n`,
  );
}
console.log('| # | scenario | tier | medians (ms) | check | target | measured | |');
console.log('|---|---|---|---|---|---|---|---|');
const medians = (result: ScenarioResult) =>
  Object.entries(result.series)
    .map(([name, series]) => `${name} ${series.medianMs}`)
    .join('<br>');
for (const cells of checkRows(
  reports.flatMap((r) => r.results),
  medians,
  '**FAIL**',
))
  console.log(`| ${cells.join(' | ')} |`);
const extras = reports.flatMap((r) => r.results).filter((r) => r.extra);
if (extras.length > 0) {
  console.log('\nOther figures:\n');
  for (const r of extras) console.log(`- scenario ${r.scenario}, ${r.tier}: \`${JSON.stringify(r.extra)}\``);
}
