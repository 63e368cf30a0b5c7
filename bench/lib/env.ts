/**
 * The benchmark's environment: the built library, a clean child environment, and the machine
 * the figures come from.
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The repository root (bench/lib/../..). */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The CLI entry point the scenarios spawn. */
export const CLI = path.join(ROOT, 'bin', 'run.js');

/** The library API, as `import ... from 'savepoint'` gives it. */
export type SavepointModule = typeof import('../../src/index.js');

/**
 * Loads the built library from `dist/` (what users import), not the TypeScript sources:
 * `npm run bench` builds first.
 */
export async function loadSavepoint(): Promise<SavepointModule> {
  return (await import(pathToFileURL(path.join(ROOT, 'dist', 'index.js')).href)) as SavepointModule;
}

/**
 * The environment of every spawned process: this one's, without `GIT_*` variables (a stray
 * `GIT_DIR` would point the git baselines elsewhere) and without `NODE_OPTIONS` (tsx's loader
 * must not slow the spawned CLI down).
 */
export function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env))
    if (!key.startsWith('GIT_') && key !== 'NODE_OPTIONS') env[key] = value;
  return env;
}

/** What the figures were measured on. `loadAverage` is [1, 5, 15] minutes. */
export interface MachineInfo {
  hostname: string;
  platform: string;
  release: string;
  arch: string;
  cpuModel: string;
  cpus: number;
  memBytes: number;
  freeMemBytes: number;
  node: string;
  git: string;
  loadAverage: number[];
  savepointCommit: string;
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  const run = (cmd: string, args: string[]) =>
    spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8', env: childEnv() }).stdout?.trim() ?? '';
  return {
    hostname: os.hostname(),
    platform: os.platform(),
    release: os.release(),
    arch: os.arch(),
    cpuModel: cpus[0]?.model ?? 'unknown',
    cpus: cpus.length,
    memBytes: os.totalmem(),
    freeMemBytes: os.freemem(),
    node: process.version,
    git: run('git', ['--version']).replace(/^git version /, ''),
    loadAverage: os.loadavg().map((x) => Math.round(x * 100) / 100),
    savepointCommit: run('git', ['rev-parse', '--short', 'HEAD']),
  };
}
