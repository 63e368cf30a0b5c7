/** Loader hooks of loaded-modules.mjs: appends each loaded module's URL to the output file. */
import { appendFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

let out;

export function initialize(data) {
  out = data.out;
}

export async function load(url, context, nextLoad) {
  if (out && url.startsWith('file:')) appendFileSync(out, `${fileURLToPath(url)}\n`);
  return nextLoad(url, context);
}
