/**
 * Printing user- and repository-supplied strings in human output without their control
 * characters reaching the terminal. No imports: the error path of every command loads it.
 */

/** Unicode category Cc: C0 controls (U+0000–U+001F), DEL (U+007F) and C1 controls (U+0080–U+009F). */
const CONTROL = /\p{Cc}/gu;
const CONTROL_BUT_NEWLINE = /(?!\n)\p{Cc}/gu;

/**
 * A user- or repository-supplied string (reason, metadata value, summary, plan name, path,
 * tool name, error message) made safe to print: every control character is written as
 * `\xHH` (two lowercase hex digits), so ESC is `\x1b`, a tab `\x09` and, unless
 * `multiline`, a newline `\x0a`. Nothing else changes (a backslash stays as it is). Human
 * output only: `--json` prints the exact string (JSON escapes controls itself).
 */
export function visible(text: string, multiline = false): string {
  return text.replace(
    multiline ? CONTROL_BUT_NEWLINE : CONTROL,
    (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
}
