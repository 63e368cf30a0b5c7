/**
 * `npm run bench:profile`: where a savepoint command's time goes.
 *
 * - git spawns per CLI command (checkpoint create, dedup, rollback, plan create), counted from
 *   `strace -ff -e trace=execve,exit_group` (savepoint strips `GIT_*` variables from its git
 *   calls, so `GIT_TRACE` cannot be used), with each git process's lifetime and the share of
 *   the command's wall time during which some git process ran;
 * - a CPU profile of `checkpoint create` (`node --cpu-prof`), self time grouped by package;
 * - import cost of the CLI's heavy modules, as child-process wall time (median of 5).
 *
 *   npm run bench:profile -- --files 10000
 */
import { execFile, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { CLI, childEnv, machineInfo, ROOT } from './lib/env.js';
import { applyWorkload, generateRepo, git, mixedShape, planWorkload } from './lib/repo.js';
import { median, timeCall, timeSpawn } from './lib/timing.js';

const env = childEnv();
const node = process.execPath;

/** One process seen by strace: program, argv, lifetime (s since epoch). */
interface TracedProcess {
  pid: number;
  program: string;
  argv: string[];
  start: number;
  end: number | undefined;
}

/** The git subcommand of an argv: the first word after git's own options (`-c k=v`, `--git-dir=…`). */
function subcommand(argv: readonly string[]): string {
  for (let i = 1; i < argv.length; i += 1) {
    const arg = argv[i] as string;
    if (arg === '-c' || arg === '-C') i += 1;
    else if (!arg.startsWith('-')) return arg;
  }
  return '(none)';
}

/** The quoted strings of an strace array starting at `text[from] === '['`, up to its `]`. */
function straceArray(text: string, from: number): string[] {
  const items: string[] = [];
  let i = from + 1;
  while (i < text.length && text[i] !== ']') {
    if (text[i] === '"') {
      let value = '';
      for (i += 1; i < text.length && text[i] !== '"'; i += 1) {
        if (text[i] === '\\') i += 1;
        value += text[i];
      }
      items.push(value);
    }
    i += 1;
  }
  return items;
}

/** Parses the per-process files `strace -ff -ttt -o prefix` wrote (the successful execve of each). */
function readTrace(dir: string): TracedProcess[] {
  const processes: TracedProcess[] = [];
  for (const file of readdirSync(dir)) {
    const pid = Number(file.split('.').at(-1));
    const lines = readFileSync(path.join(dir, file), 'utf8').split('\n');
    const exec = lines.filter((line) => / execve\("/.test(line) && line.endsWith('= 0')).at(-1);
    if (!exec) continue;
    const match = exec.match(/^(\d+\.\d+) execve\("([^"]+)", /);
    if (!match) continue;
    const exit = lines.find((line) => / exit_group\(/.test(line));
    processes.push({
      pid,
      program: path.basename(match[2] as string),
      argv: straceArray(exec, (match[0] as string).length),
      start: Number(match[1]),
      end: exit ? Number(exit.split(' ')[0]) : undefined,
    });
  }
  return processes.sort((a, b) => a.start - b.start);
}

/** Total length of the union of intervals (s). */
function covered(intervals: [number, number][]): number {
  const sorted = [...intervals].sort((a, b) => a[0] - b[0]);
  let total = 0;
  let [from, to] = [Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY];
  for (const [a, b] of sorted) {
    if (a > to) {
      if (to > from) total += to - from;
      [from, to] = [a, b];
    } else to = Math.max(to, b);
  }
  if (to > from) total += to - from;
  return total;
}

/** Runs `node bin/run.js args` under strace and summarizes the git processes it started. */
function traceCommand(label: string, args: readonly string[], cwd: string, tmp: string) {
  const dir = mkdtempSync(path.join(tmp, 'strace-'));
  const result = spawnSync(
    'strace',
    [
      '-f',
      '-ff',
      '--seccomp-bpf',
      '-ttt',
      '-qq',
      '-v',
      '-s',
      '512',
      '-e',
      'trace=execve,exit_group',
      '-o',
      `${dir}/t`,
      node,
      CLI,
      ...args,
    ],
    { cwd, env, encoding: 'utf8' },
  );
  if (result.status !== 0)
    throw new Error(`${label}: exit ${result.status}: ${result.stdout}${result.stderr}`);
  const processes = readTrace(dir);
  rmSync(dir, { recursive: true, force: true });
  const root = processes.find((p) => p.program === 'node');
  const gits = processes.filter((p) => p.program === 'git');
  const wall = root?.end && root ? root.end - root.start : Number.NaN;
  const spans = gits
    .filter((p) => p.end !== undefined)
    .map((p): [number, number] => [p.start, p.end as number]);
  const bySubcommand: Record<string, { count: number; ms: number }> = {};
  for (const p of gits) {
    const name = subcommand(p.argv);
    const entry = bySubcommand[name] ?? { count: 0, ms: 0 };
    bySubcommand[name] = entry;
    entry.count += 1;
    entry.ms += p.end === undefined ? 0 : (p.end - p.start) * 1000;
  }
  for (const entry of Object.values(bySubcommand)) entry.ms = Math.round(entry.ms * 10) / 10;
  const firstGit = gits[0]?.start;
  return {
    label,
    command: ['savepoint', ...args].join(' '),
    wallMs: Math.round(wall * 1000),
    untilFirstGitMs: root && firstGit ? Math.round((firstGit - root.start) * 1000) : null,
    gitSpawns: gits.length,
    gitBusyMs: Math.round(covered(spans) * 1000),
    otherPrograms: processes.filter((p) => p.program !== 'git' && p !== root).map((p) => p.program),
    bySubcommand,
    stdout: result.stdout,
  };
}

/** Self time (ms) of a `--cpu-prof` profile, grouped by package (or `dist/<dir>`, `node:internal`). */
function cpuProfile(args: readonly string[], cwd: string, tmp: string) {
  const dir = mkdtempSync(path.join(tmp, 'cpuprof-'));
  const result = spawnSync(node, ['--cpu-prof', `--cpu-prof-dir=${dir}`, CLI, ...args], {
    cwd,
    env,
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`cpu profile: exit ${result.status}: ${result.stderr}`);
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error('cpu profile: no .cpuprofile written');
  const profile = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as {
    nodes: { id: number; callFrame: { url: string; functionName: string } }[];
    samples: number[];
    timeDeltas: number[];
  };
  rmSync(dir, { recursive: true, force: true });
  const urlOf = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const groups = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const frame = urlOf.get(id);
    const url = frame?.url ?? '';
    let group: string;
    const pkg = url.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
    if (pkg) group = pkg[1] as string;
    else if (url.includes('/dist/')) group = `savepoint dist/${url.split('/dist/')[1]?.split('/')[0]}`;
    else if (url.startsWith('node:')) group = 'node:internal';
    else if (url === '') group = `(${frame?.functionName || 'native'})`;
    else group = url;
    groups.set(group, (groups.get(group) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  });
  return [...groups]
    .map(([group, ms]) => ({ group, ms: Math.round(ms * 10) / 10 }))
    .sort((a, b) => b.ms - a.ms)
    .slice(0, 15);
}

/** Median wall time (ms) of `node -e <import>` for each module, and of the bare node start. */
function importCosts(runs: number) {
  const cases: [string, string[]][] = [
    ['node -e 0', ['-e', '0']],
    ['import @oclif/core', ['--input-type=module', '-e', "await import('@oclif/core')"]],
    ['import simple-git', ['--input-type=module', '-e', "await import('simple-git')"]],
    ['import better-sqlite3', ['--input-type=module', '-e', "await import('better-sqlite3')"]],
    ['import zod', ['--input-type=module', '-e', "await import('zod')"]],
    ['import @inquirer/confirm', ['--input-type=module', '-e', "await import('@inquirer/confirm')"]],
    ['import cli-table3', ['--input-type=module', '-e', "await import('cli-table3')"]],
    ['import dist/index.js (library)', ['--input-type=module', '-e', "await import('./dist/index.js')"]],
    ['savepoint --version', [CLI, '--version']],
    ['savepoint --help', [CLI, '--help']],
  ];
  const samples = new Map<string, number[]>(cases.map(([name]) => [name, []]));
  for (let round = 0; round < runs; round += 1)
    for (const [name, args] of cases) samples.get(name)?.push(timeSpawn(node, args, ROOT, env));
  return cases.map(([name]) => ({
    what: name,
    medianMs: Math.round(median(samples.get(name) ?? []) * 10) / 10,
  }));
}

/**
 * Cost of one git call from inside the process: savepoint's `runGit` (simple-git) against a
 * bare `execFile` of the same command, alternated, `runs` each (median ms).
 */
async function spawnOverhead(cwd: string, runs: number) {
  const { runGit } = (await import(pathToFileURL(path.join(ROOT, 'dist', 'git', 'runner.js')).href)) as {
    runGit: (args: string[], options: { cwd: string }) => Promise<unknown>;
  };
  const run = promisify(execFile);
  const args = ['rev-parse', '--verify', 'HEAD'];
  const viaRunner: number[] = [];
  const viaExecFile: number[] = [];
  for (let i = -2; i < runs; i += 1) {
    const a = await timeCall(() => runGit(args, { cwd }));
    const b = await timeCall(() => run('git', args, { cwd, env }));
    if (i >= 0) viaRunner.push(a);
    if (i >= 0) viaExecFile.push(b);
  }
  const round = (x: number) => Math.round(x * 100) / 100;
  return {
    command: `git ${args.join(' ')}`,
    runGitMs: round(median(viaRunner)),
    execFileMs: round(median(viaExecFile)),
  };
}

async function main() {
  const { values } = parseArgs({
    options: { files: { type: 'string', default: '10000' }, out: { type: 'string' } },
  });
  const files = Number(values.files);
  if (!Number.isInteger(files) || files < 200) throw new Error('--files takes an integer ≥ 200');
  if (spawnSync('strace', ['-V']).status !== 0) throw new Error('strace is not installed');
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'savepoint-profile-'));
  const machine = machineInfo();
  try {
    const repo = generateRepo(path.join(tmp, 'repo'), files, 7);
    const cwd = repo.dir;
    const json = (stdout: string) => JSON.parse(stdout) as Record<string, unknown>;
    const traces = [];
    const planCreate = traceCommand('plan create (first checkpoint)', ['plan', 'create', '--json'], cwd, tmp);
    traces.push(planCreate);
    const planId = json(planCreate.stdout).planId as string;
    const first = json(
      spawnSync(node, [CLI, 'checkpoint', 'list', '--plan', planId, '--json'], { cwd, env, encoding: 'utf8' })
        .stdout,
    ).checkpoints as { checkpointId: string }[];
    const target = first[0]?.checkpointId as string;
    applyWorkload(cwd, planWorkload(repo, { modify: 10, add: 0, remove: 0 }, 101), 1);
    traces.push(
      traceCommand(
        'checkpoint create (10 changed)',
        ['checkpoint', 'create', '--plan', planId, '--json'],
        cwd,
        tmp,
      ),
    );
    traces.push(
      traceCommand(
        'checkpoint create (dedup)',
        ['checkpoint', 'create', '--plan', planId, '--json'],
        cwd,
        tmp,
      ),
    );
    git(cwd, ['checkout', '--', '.']);
    applyWorkload(cwd, planWorkload(repo, mixedShape(10), 410), 1);
    traces.push(
      traceCommand(
        'plan rollback (10 paths)',
        ['plan', 'rollback', planId, target, '--yes', '--json'],
        cwd,
        tmp,
      ),
    );
    applyWorkload(cwd, planWorkload(repo, { modify: 10, add: 0, remove: 0 }, 101), 2);
    const profile = cpuProfile(['checkpoint', 'create', '--plan', planId, '--json'], cwd, tmp);
    const imports = importCosts(5);
    const perSpawn = await spawnOverhead(cwd, 30);
    const report = {
      tool: 'savepoint bench:profile',
      at: new Date().toISOString(),
      files,
      machine,
      traces: traces.map(({ stdout: _stdout, ...rest }) => rest),
      cpuProfileCheckpointCreate: profile,
      imports,
      perSpawn,
    };
    for (const t of report.traces) {
      console.log(
        `\n${t.label}: ${t.wallMs} ms wall, ${t.gitSpawns} git spawns, git running ${t.gitBusyMs} ms, first git at ${t.untilFirstGitMs} ms`,
      );
      for (const [name, entry] of Object.entries(t.bySubcommand).sort((a, b) => b[1].ms - a[1].ms))
        console.log(`  git ${name.padEnd(16)} ×${String(entry.count).padStart(2)}  ${entry.ms} ms`);
    }
    console.log('\ncheckpoint create, CPU self time by package (ms):');
    for (const { group, ms } of profile) console.log(`  ${String(ms).padStart(7)}  ${group}`);
    console.log('\nimport cost (median wall ms of a child process):');
    for (const { what, medianMs } of imports) console.log(`  ${String(medianMs).padStart(7)}  ${what}`);
    console.log(
      `\none git call in process (${perSpawn.command}, median): runGit (simple-git) ${perSpawn.runGitMs} ms, execFile ${perSpawn.execFileMs} ms`,
    );
    const out =
      values.out ??
      path.join(
        ROOT,
        'bench',
        'results',
        `profile-${report.at.slice(0, 19).replace(/:/g, '').replace('T', '-')}-${machine.hostname}.json`,
      );
    mkdirSync(path.dirname(out), { recursive: true });
    writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
    console.log(
      `\nload average ${os
        .loadavg()
        .map((x) => x.toFixed(2))
        .join(' ')}; results in ${path.relative(process.cwd(), out)}`,
    );
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

await main();
