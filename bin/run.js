#!/usr/bin/env node
// The bundled CLI (scripts/bundle.mjs): oclif and the commands in one file.
import { execute } from '../dist/bundle/cli.js';

await execute({ dir: import.meta.url });
