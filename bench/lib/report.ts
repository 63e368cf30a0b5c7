/**
 * The rows of a results table, shared by the terminal table of `npm run bench` and the
 * Markdown of `bench/summary.ts`: one row per target check, the scenario's cells on its first.
 */
import type { ScenarioResult, TargetCheck } from '../scenarios.js';

/** A check's measured value in its unit: `412 ms`, `208 KiB`, `1.35×`. */
export function formatMeasured(check: TargetCheck): string {
  if (check.unit === 'ms') return `${check.measured} ms`;
  if (check.unit === 'bytes') return `${(check.measured / 1024).toFixed(0)} KiB`;
  return `${check.measured}×`;
}

/**
 * `[#, scenario, tier, medians, check, target, measured, verdict]` for every check of every
 * result; `medians` renders a result's series, `fail` is the verdict word of a failed check.
 */
export function checkRows(
  results: readonly ScenarioResult[],
  medians: (result: ScenarioResult) => string,
  fail: string,
): string[][] {
  return results.flatMap((result) =>
    result.checks.map((check, i) => [
      i === 0 ? String(result.scenario) : '',
      i === 0 ? result.title : '',
      i === 0 ? result.tier : '',
      i === 0 ? medians(result) : '',
      check.what,
      check.target,
      formatMeasured(check),
      check.pass ? 'pass' : fail,
    ]),
  );
}
