/**
 * Tool declarations (DESIGN §7): does a call of tool X need a checkpoint first? A pure
 * lookup in the plan policy's `tools` map.
 */
import type { ToolDeclaration } from '../plan/model.js';

/** The declaration that applies to one tool, and the policy key it came from (null: the default). */
export interface ResolvedDeclaration {
  declaration: ToolDeclaration;
  pattern: string | null;
}

function globToRegExp(pattern: string): RegExp {
  const body = pattern.replace(/[.+^${}()|[\]\\*?]/g, (c) => (c === '*' ? '.*' : c === '?' ? '.' : `\\${c}`));
  return new RegExp(`^${body}$`, 's');
}

/** Characters of a pattern that are not wildcards: more means more specific. */
function literalLength(pattern: string): number {
  return pattern.replace(/[*?]/g, '').length;
}

/**
 * The declaration for `tool` in `tools` (tool-name pattern → declaration): an exact key wins;
 * otherwise the most specific matching glob (`*` any run of characters, `?` one character,
 * case-sensitive) — the one with the most literal characters, then the fewest `*`, then the
 * lexicographically smallest, so the answer never depends on key order. No match: `checkpoint`.
 */
export function resolveToolDeclaration(
  tools: Readonly<Record<string, ToolDeclaration>>,
  tool: string,
): ResolvedDeclaration {
  const exact = Object.hasOwn(tools, tool) ? tools[tool] : undefined;
  if (exact !== undefined) return { declaration: exact, pattern: tool };
  const matches = Object.keys(tools)
    .filter((pattern) => /[*?]/.test(pattern) && globToRegExp(pattern).test(tool))
    .sort(
      (a, b) =>
        literalLength(b) - literalLength(a) ||
        (a.match(/\*/g)?.length ?? 0) - (b.match(/\*/g)?.length ?? 0) ||
        (a < b ? -1 : a > b ? 1 : 0),
    );
  const best = matches[0];
  if (best === undefined) return { declaration: 'checkpoint', pattern: null };
  return { declaration: tools[best] ?? 'checkpoint', pattern: best };
}
