/**
 * Names come from servers and other people's disks: a key may hold a newline (a forged log
 * line) or an escape sequence (terminal control). Everything nclone prints goes through
 * one of these two functions.
 */

// C0 and C1 controls, DEL, and the Unicode line separators and bidirectional overrides
// (which reorder what the terminal shows).
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const UNSAFE_ALL = new RegExp(UNSAFE.source, 'gu');

const SHORT: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function escapeChar(c: string): string {
  const code = c.charCodeAt(0);
  return SHORT[c] ?? (code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`);
}

export function hasControlChars(s: string): boolean {
  return UNSAFE.test(s);
}

/** Free text (a log message, an error): control characters written as \n, \x1b, \u202e. */
export function escapeControls(text: string): string {
  return UNSAFE.test(text) ? text.replace(UNSAFE_ALL, escapeChar) : text;
}

/**
 * A name for a listing line: as it is when it holds no control character and does not
 * start with a double quote, else in double quotes with backslashes, quotes and control
 * characters escaped (like Go's %q), so the quoted form can't be mistaken for another name.
 */
export function quoteName(name: string): string {
  // A name that itself starts with a quote is quoted too, or `"a\nb"` could be a real name.
  if (!UNSAFE.test(name) && !name.startsWith('"')) return name;
  return `"${name.replace(/[\\"]/g, (c) => '\\' + c).replace(UNSAFE_ALL, escapeChar)}"`;
}
