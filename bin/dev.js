#!/usr/bin/env -S node --import tsx
// Development entry: oclif, the commands and the hooks from src/ through tsx, not from the
// bundle that bin/run.js runs (package.json points oclif at the bundle: here the target of
// the commands and of the hooks is the source entry instead).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { execute } from '../src/cli/main.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const pjson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const source = './src/cli/main.ts';
pjson.oclif.commands = { ...pjson.oclif.commands, target: source };
for (const [event, hook] of Object.entries(pjson.oclif.hooks)) {
  pjson.oclif.hooks[event] = { ...hook, target: source };
}

await execute({ development: true, dir: import.meta.url, loadOptions: { root, pjson } });
