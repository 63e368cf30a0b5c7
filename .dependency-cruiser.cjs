/**
 * Layering of savepoint (DESIGN §2): commands → services → ports ← adapters.
 * Only src/git runs git (simple-git); only src/store runs SQL (better-sqlite3).
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'only-git-adapter-runs-git',
      comment: 'simple-git may only be used from src/git.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/git/' },
      to: { path: 'node_modules/simple-git' },
    },
    {
      name: 'only-git-and-process-adapters-spawn',
      comment:
        'child_process may only be used from src/git (git) and src/process (the CommandRunner of exec).',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(git|process)/' },
      to: { path: ['^child_process$', '^node:child_process$'] },
    },
    {
      name: 'only-store-adapter-runs-sql',
      comment: 'better-sqlite3 may only be used from src/store.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/store/' },
      to: { path: 'node_modules/better-sqlite3' },
    },
    {
      name: 'only-lock-adapter-locks',
      comment: 'proper-lockfile may only be used from src/lock (the SandboxLocks adapter).',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/lock/' },
      to: { path: 'node_modules/proper-lockfile' },
    },
    {
      name: 'services-do-not-import-adapters',
      comment: 'Services receive adapters through ports; they never import src/git or src/store.',
      severity: 'error',
      from: { path: '^src/(plan|checkpoint|decision|core|ledger|exec)/' },
      to: { path: '^src/(git|store|lock|process|cli|commands)/' },
    },
    {
      name: 'commands-go-through-the-library',
      comment: 'Commands call services via src/savepoint.ts; they never touch adapters directly.',
      severity: 'error',
      from: { path: '^src/(commands|cli|hooks)/' },
      to: { path: '^src/(git|store|lock|process)/' },
    },
    {
      name: 'adapters-do-not-import-services',
      comment: 'Adapters implement ports; they may use models and errors, not services or commands.',
      severity: 'error',
      from: { path: '^src/(git|store|lock|process)/' },
      to: { path: ['-service\\.ts$', '^src/(commands|cli)/', '^src/savepoint\\.ts$'] },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
    },
  },
};
