/**
 * Bundles the CLI (src/cli/main.ts: oclif, the commands, the hooks and everything they
 * import) into `dist/bundle/` with esbuild, so a `savepoint` run reads a few dozen files instead
 * of ~380 (DESIGN §8: CLI end to end ≤ 250 ms; figures in bench/README.md). `npm run build` runs it after `tsc`; the library
 * (`dist/index.js`) is tsc's output and is not bundled.
 *
 * - ESM with code splitting: the lazy `import()`s of the commands (the library with zod,
 *   simple-git and SQLite code; prompts) become chunks loaded only by the commands that need
 *   them, so `--help` stays light.
 * - Left in node_modules: better-sqlite3 (a native addon; `external`), the oclif plugins (oclif
 *   loads them from their own packages, nothing here imports them) and cli-table3 (`require`d
 *   at run time by src/cli/render.ts, for human tables only).
 * - The banner gives bundled CommonJS code the `require` it calls for Node built-ins.
 * - zod's `z.locales` holds ~50 translations of its error messages (half of zod's 600 KB that
 *   every store-reading command would parse); savepoint uses only English, zod's default, so
 *   the bundle's `z.locales` has `en` only ({@link englishOnlyZodLocales}).
 * - `dist/bundle/meta.json` (esbuild's metafile) maps each output file to the sources and
 *   packages it holds: test/cli-startup.test.ts reads it to tell which packages a run loaded.
 */
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';

const root = path.resolve(import.meta.dirname, '..');
const outdir = path.join(root, 'dist/bundle');

/**
 * Resolves zod's `export * as locales from "../locales/index.js"` (in zod/v4/classic/external.js
 * and zod/v4/core/index.js) to a module exporting English only. zod registers English itself on
 * the first schema (zod/v4/classic/schemas.js imports `../locales/en.js`); no savepoint code
 * calls `z.config`.
 */
const englishOnlyZodLocales = {
  name: 'english-only-zod-locales',
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[\\/]zod[\\/]v4[\\/](classic[\\/]external|core[\\/]index)\.js$/.test(args.importer)
        ? { path: path.join(args.resolveDir, '../locales/index.js'), namespace: 'zod-locales' }
        : undefined,
    );
    pluginBuild.onLoad({ filter: /.*/, namespace: 'zod-locales' }, (args) => ({
      contents: 'export { default as en } from "./en.js";',
      resolveDir: path.dirname(args.path),
    }));
  },
};

rmSync(outdir, { recursive: true, force: true });
const result = await build({
  absWorkingDir: root,
  entryPoints: { cli: 'src/cli/main.ts' },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20.19',
  // typescript: oclif's development mode (bin/dev.js) reads tsconfig.json with it; never in production.
  external: ['better-sqlite3', 'typescript'],
  // Error classes name themselves after their class (`new.target.name`): keep the names.
  keepNames: true,
  minifyWhitespace: true,
  minifySyntax: true,
  sourcemap: 'linked',
  legalComments: 'linked',
  chunkNames: 'chunks/[name]-[hash]',
  banner: {
    js: "import { createRequire as __savepointCreateRequire } from 'node:module'; const require = __savepointCreateRequire(import.meta.url);",
  },
  plugins: [englishOnlyZodLocales],
  metafile: true,
  logLevel: 'warning',
});

writeFileSync(path.join(outdir, 'meta.json'), JSON.stringify(result.metafile));
