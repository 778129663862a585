/**
 * Sizes and counts as rclone 1.60's listing commands print them. rclone formats with Go's
 * %.Nf, which rounds an exact tie to even (1.0625 -> "1.062") where JavaScript's toFixed
 * rounds it up: fixed() gives Go's digits.
 */

/** v with `digits` decimals, rounded as Go's strconv does. */
export function fixed(v: number, digits: number): string {
  const scale = 10 ** digits;
  const scaled = v * scale;
  // A tie is a value halfway between two candidates; only then do the two roundings differ.
  if (Number.isInteger(scaled * 2) && !Number.isInteger(scaled)) {
    let n = Math.floor(scaled);
    if (n % 2 !== 0) n += 1;
    if (digits === 0) return String(n);
    const s = String(Math.abs(n)).padStart(digits + 1, '0');
    return `${n < 0 ? '-' : ''}${s.slice(0, -digits)}.${s.slice(-digits)}`;
  }
  return v.toFixed(digits);
}

const BINARY = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];
const DECIMAL = ['', 'k', 'M', 'G', 'T', 'P', 'E'];

/** A number and its suffix: whole numbers without decimals, others with three. */
function scaledParts(x: number, base: number, suffixes: string[]): [string, string] {
  if (x < 0) return ['off', ''];
  if (x === 0) return ['0', ''];
  let i = 0;
  while (i < suffixes.length - 1 && x >= base ** (i + 1)) i++;
  const scaled = x / base ** i;
  return [Number.isInteger(scaled) ? String(scaled) : fixed(scaled, 3), suffixes[i]!];
}

/** rclone's SizeSuffix: 1999 -> "1.952Ki", 1024 -> "1Ki", 5 -> "5". */
export function sizeSuffix(bytes: number): string {
  return scaledParts(bytes, 1024, BINARY).join('');
}

/** rclone's SizeSuffix with a byte unit, as `size` prints it: "1.964 KiB", "5 B", "0 B". */
export function byteUnit(bytes: number): string {
  const [value, suffix] = scaledParts(bytes, 1024, BINARY);
  return value === 'off' ? value : `${value} ${suffix}B`;
}

/** rclone's CountSuffix (powers of 1000): 1500 -> "1.500k", 7 -> "7". */
export function countSuffix(count: number): string {
  return scaledParts(count, 1000, DECIMAL).join('');
}

/**
 * A size for ls and lsl: the bytes right-aligned in `width` columns, or with
 * --human-readable the suffixed form in 9 columns ("  1.953Ki").
 */
export function sizeField(bytes: number, human: boolean, width = 9): string {
  if (!human) return String(bytes).padStart(width);
  const text = bytes < 0 ? '-' + sizeSuffix(-bytes) : sizeSuffix(bytes);
  return text.padStart(9);
}

const KB = 1024;

/**
 * tree's --human-readable form (from the Unix tree look-alike rclone uses): one decimal
 * below ten, none from ten up, suffixes K M G T P E, and a size must exceed a unit to use it
 * (1024 stays "1024").
 */
export function treeBytes(bytes: number): string {
  const units = ['K', 'M', 'G', 'T', 'P', 'E'];
  for (let i = units.length - 1; i >= 0; i--) {
    const unit = KB ** (i + 1);
    if (bytes > unit) {
      const n = bytes / unit;
      return fixed(n, n >= 10 ? 0 : 1) + units[i]!;
    }
  }
  return String(bytes);
}
