/**
 * JSON text as rclone (Go's encoding/json) writes it, so lsjson's lines are the same bytes:
 * <, > and & as \u003c \u003e \u0026, control characters as \n \r \t or \u00XX (lower-case
 * hex), U+2028 and U+2029 escaped. On top of that every character that could act on a
 * terminal (DEL, C1 controls, bidirectional overrides) is escaped too: the parsed value is
 * the same, and a hostile name cannot rewrite the screen.
 */

const ESCAPE = /["\\\u0000-\u001f<>&\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]/g;
const SHORT: Record<string, string> = { '"': '\\"', '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function escapeOne(c: string, offset: number, whole: string): string {
  const code = c.charCodeAt(0);
  // A surrogate pair is a character above U+FFFF, written as it is; a lone half is escaped.
  if (code >= 0xd800 && code <= 0xdbff) {
    const next = whole.charCodeAt(offset + 1);
    if (next >= 0xdc00 && next <= 0xdfff) return c;
  } else if (code >= 0xdc00 && code <= 0xdfff) {
    const prev = whole.charCodeAt(offset - 1);
    if (prev >= 0xd800 && prev <= 0xdbff) return c;
  }
  return SHORT[c] ?? `\\u${code.toString(16).padStart(4, '0')}`;
}

export function jsonString(s: string): string {
  return `"${s.replace(ESCAPE, escapeOne)}"`;
}
