/**
 * One CSV record as rclone's lsf --csv writes it (Go's encoding/csv): a field is quoted
 * when it holds the separator, a double quote, CR or LF, starts with white space, or is
 * exactly `\.`; quotes inside are doubled.
 */

// Go's unicode.IsSpace.
const LEADING_SPACE = /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/;

function needsQuotes(field: string, comma: string): boolean {
  if (field === '') return false;
  if (field === '\\.') return true;
  if (field.includes(comma) || /["\r\n]/.test(field)) return true;
  return LEADING_SPACE.test(field);
}

export function csvField(field: string, comma: string): string {
  return needsQuotes(field, comma) ? `"${field.replace(/"/g, '""')}"` : field;
}

export function csvRecord(fields: string[], comma: string): string {
  return fields.map((f) => csvField(f, comma)).join(comma);
}

/** The field separator for a --separator: its first character, ',' when empty; undefined when CSV cannot use it. */
export function csvComma(separator: string): string | undefined {
  const c = [...separator][0] ?? ',';
  return c === '"' || c === '\r' || c === '\n' || c === '\ufffd' ? undefined : c;
}
