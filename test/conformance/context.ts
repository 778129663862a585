import { afterEach, beforeEach } from 'vitest';
import type { Fs } from '../../src/fs/types.js';

/** Known deviations of a backend, as data, so the suite itself never changes per backend. */
export interface ConformanceQuirks {
  /**
   * Entries of AWKWARD_NAMES (by label, or by the literal name) the backend cannot store
   * faithfully. For these the suite asserts the name indeed does NOT round-trip (the put
   * fails, or the name comes back different), so a quirk that stops being true is noticed.
   */
  unsupportedNames?: string[];
  /** The NFC and NFD spellings of a name address the same object (e.g. macOS HFS+). */
  normalizesUnicode?: boolean;
  /** Names differing only in case address the same object (e.g. Windows, macOS by default). */
  caseInsensitive?: boolean;
  /**
   * The modification times the backend can store, in nanoseconds since the epoch (SFTP v3:
   * unsigned 32-bit seconds). A put with a time outside stores the nearest bound; setModTime
   * to one outside stores that bound or reports notSupported.
   */
  modTimeRange?: [bigint, bigint];
}

export interface ConformanceTarget {
  /** Makes a fresh, empty Fs rooted in a new scratch directory/prefix; cleanup removes everything. */
  makeFs(): Promise<{ fs: Fs; cleanup(): Promise<void> }>;
  /** Known deviations, as data. */
  quirks?: ConformanceQuirks;
  /**
   * For backends that map names onto an OS tree: a snapshot (names, contents, times) of
   * what lies around the Fs's root but outside it, which hostile names must never change.
   */
  outside?: (fs: Fs) => Promise<string>;
}

/** Gives every test of the enclosing describe a fresh, empty Fs, removed again afterwards. */
export interface FsContext {
  readonly fs: Fs;
  readonly quirks: ConformanceQuirks;
}

export function useFreshFs(target: ConformanceTarget): FsContext {
  let current: { fs: Fs; cleanup(): Promise<void> } | undefined;
  beforeEach(async () => {
    current = await target.makeFs();
  });
  afterEach(async () => {
    const c = current;
    current = undefined;
    if (!c) return;
    try {
      await c.fs.close?.();
    } finally {
      await c.cleanup();
    }
  });
  return {
    get fs(): Fs {
      if (!current) throw new Error('conformance: no Fs outside a test');
      return current.fs;
    },
    quirks: target.quirks ?? {},
  };
}
