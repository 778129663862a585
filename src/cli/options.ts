import { fsError } from '../fs/errors.js';
import { parseMetadataSet } from '../fs/metadata.js';
import { parseBool, parseBwLimit, parseDuration, parseSize, ValueError } from '../lib/units.js';
import type { Env } from '../config/config.js';
import { DEFAULT_OPTIONS, type OperationOptions } from '../operations/context.js';
import type { FilterOptions } from '../filter/filter.js';
import { GLOBAL_FLAGS, flagEnvName, flagKey, type FlagDef } from './flags.js';
import { LEVELS, type Level } from '../lib/log.js';
import { TpsLimiter } from '../lib/pacer.js';
import { DEFAULT_GLOBALS, type BackendGlobals } from '../fs/globals.js';

export type FlagValues = Record<string, unknown>;

/**
 * Merges command-line values with NCLONE_<FLAG> variables (the command line wins) and
 * checks every value, so a bad one is one clear line naming the flag.
 */
export function mergeFlags(cli: FlagValues, env: Env): FlagValues {
  const out: FlagValues = { ...cli };
  for (const def of GLOBAL_FLAGS) {
    const key = flagKey(def.name);
    const fromEnv = env[flagEnvName(def.name)];
    if (out[key] !== undefined || fromEnv === undefined) continue;
    out[key] = envValue(def, fromEnv);
  }
  return out;
}

function envValue(def: FlagDef, text: string): unknown {
  try {
    if (def.type === 'bool') return parseBool(text);
    if (def.type === 'count') return /^\d+$/.test(text) ? Number(text) : parseBool(text) ? 1 : 0;
    if (def.type === 'strings') return text.split(',');
    return text;
  } catch (err) {
    throw bad(`${flagEnvName(def.name)}`, text, err);
  }
}

function bad(flag: string, value: string, err: unknown): Error {
  const why = err instanceof ValueError ? err.message : String((err as Error).message ?? err);
  return fsError('usage', `invalid value "${value}" for ${flag}: ${why}`);
}

function str(v: FlagValues, name: string): string | undefined {
  const x = v[flagKey(name)];
  return x === undefined ? undefined : String(x);
}

function bool(v: FlagValues, name: string): boolean {
  return v[flagKey(name)] === true;
}

function int(v: FlagValues, name: string, dflt: number, min: number): number {
  const s = str(v, name);
  if (s === undefined) return dflt;
  if (!/^-?\d+$/.test(s.trim()) || Number(s) < min) {
    throw fsError('usage', `invalid value "${s}" for --${name}: must be a whole number${min > -1 ? ` of ${min} or more` : ''}`);
  }
  return Number(s);
}

function size(v: FlagValues, name: string): number {
  const s = str(v, name);
  if (s === undefined) return -1;
  try {
    return parseSize(s);
  } catch (err) {
    throw bad(`--${name}`, s, err);
  }
}

function sizeOr(v: FlagValues, name: string, dflt: number): number {
  const n = size(v, name);
  return n < 0 ? dflt : n;
}

export function durationMs(v: FlagValues, name: string, dflt: number): number {
  const s = str(v, name);
  if (s === undefined) return dflt;
  try {
    return parseDuration(s);
  } catch (err) {
    throw bad(`--${name}`, s, err);
  }
}

export function bwlimit(v: FlagValues): number {
  const s = str(v, 'bwlimit');
  if (s === undefined) return -1;
  try {
    return parseBwLimit(s);
  } catch (err) {
    throw bad('--bwlimit', s, err);
  }
}

function levelNamed(flag: string, named: string): Level {
  const l = named.toUpperCase() as Level;
  if (!LEVELS.includes(l)) throw fsError('usage', `invalid value "${named}" for --${flag}: use DEBUG, INFO, NOTICE or ERROR`);
  return l;
}

export function logLevelFrom(v: FlagValues): Level {
  const named = str(v, 'log-level');
  if (named !== undefined) return levelNamed('log-level', named);
  const verbose = Number(v.verbose ?? 0);
  if (verbose >= 2) return 'DEBUG';
  if (verbose === 1) return 'INFO';
  return bool(v, 'quiet') ? 'ERROR' : 'NOTICE';
}

/** How the run logs: the flags of the logging group that are not the level. */
export interface LogOptions {
  /** --stats-log-level; rclone logs stats at NOTICE under --dry-run whatever it says. */
  statsLevel: Level;
  rateUnit: 'bytes' | 'bits';
  json: boolean;
  /** --log-file-max-size in bytes, -1 for no rotation. */
  logFileMaxSize: number;
  summaryFile?: string;
  lockFile?: string;
}

export function logOptions(v: FlagValues): LogOptions {
  const named = str(v, 'stats-log-level');
  const level = named === undefined ? 'INFO' : levelNamed('stats-log-level', named);
  const unit = (str(v, 'stats-unit') ?? 'bytes').toLowerCase();
  // rclone 1.60 logs an error and goes on in bytes: a typo is better caught before the run.
  if (unit !== 'bytes' && unit !== 'bits') throw fsError('usage', `invalid value "${str(v, 'stats-unit')}" for --stats-unit: use bits or bytes`);
  const maxSize = size(v, 'log-file-max-size');
  return {
    statsLevel: bool(v, 'dry-run') ? 'NOTICE' : level,
    rateUnit: unit,
    json: bool(v, 'use-json-log'),
    logFileMaxSize: maxSize > 0 ? maxSize : -1,
    summaryFile: nonEmpty(v, 'summary-json'),
    lockFile: nonEmpty(v, 'lock-file'),
  };
}

function nonEmpty(v: FlagValues, name: string): string | undefined {
  const s = str(v, name);
  if (s === undefined) return undefined;
  if (s.trim() === '') throw fsError('usage', `--${name} needs a file name`);
  return s;
}

export function operationOptions(v: FlagValues): OperationOptions {
  const deleteModes = (['before', 'during', 'after'] as const).filter((m) => bool(v, `delete-${m}`));
  if (deleteModes.length > 1) throw fsError('usage', `only one of --delete-before, --delete-during and --delete-after may be given`);
  const window = durationMs(v, 'modify-window', 0);
  return {
    ...DEFAULT_OPTIONS,
    dryRun: bool(v, 'dry-run'),
    transfers: int(v, 'transfers', DEFAULT_OPTIONS.transfers, 1),
    checkers: int(v, 'checkers', DEFAULT_OPTIONS.checkers, 1),
    checksum: bool(v, 'checksum'),
    sizeOnly: bool(v, 'size-only'),
    ignoreSize: bool(v, 'ignore-size'),
    ignoreTimes: bool(v, 'ignore-times'),
    ignoreExisting: bool(v, 'ignore-existing'),
    ignoreChecksum: bool(v, 'ignore-checksum'),
    update: bool(v, 'update'),
    modifyWindow: window > 0 ? BigInt(Math.round(window * 1e6)) : DEFAULT_OPTIONS.modifyWindow,
    maxDelete: int(v, 'max-delete', -1, -1),
    maxDeleteSize: size(v, 'max-delete-size'),
    allowEmptySource: bool(v, 'allow-empty-source'),
    interactive: bool(v, 'interactive'),
    deleteMode: deleteModes[0] ?? 'after',
    deleteExcluded: bool(v, 'delete-excluded'),
    maxTransfer: size(v, 'max-transfer'),
    retries: int(v, 'retries', DEFAULT_OPTIONS.retries, 1),
    retriesSleep: Math.max(0, durationMs(v, 'retries-sleep', 0)),
    lowLevelRetries: int(v, 'low-level-retries', DEFAULT_OPTIONS.lowLevelRetries, 1),
    fastList: bool(v, 'fast-list'),
    createEmptySrcDirs: bool(v, 'create-empty-src-dirs'),
    errorOnNoTransfer: bool(v, 'error-on-no-transfer'),
    maxDepth: int(v, 'max-depth', -1, -1),
    backupDir: str(v, 'backup-dir'),
    suffix: str(v, 'suffix') ?? '',
    multiThreadStreams: int(v, 'multi-thread-streams', DEFAULT_OPTIONS.multiThreadStreams, 0),
    multiThreadCutoff: sizeOr(v, 'multi-thread-cutoff', DEFAULT_OPTIONS.multiThreadCutoff),
    metadata: bool(v, 'metadata'),
    metadataSet: parseMetadataSet((v[flagKey('metadata-set')] as string[] | undefined) ?? []),
    ...engineOptions(v),
  };
}

/**
 * The sync engine's flags. --order-by and --track-renames-strategy are checked by the
 * engine when it starts (as rclone does), so that this module never loads it.
 */
function engineOptions(v: FlagValues): Pick<OperationOptions, 'checkFirst' | 'noTraverse' | 'maxDuration' | 'cutoffMode' | 'maxBacklog' | 'orderBy' | 'trackRenames' | 'trackRenamesStrategy' | 'compareDest' | 'copyDest'> {
  const list = (name: string) => ((v[flagKey(name)] as string[] | undefined) ?? []).filter((d) => d !== '');
  const compareDest = list('compare-dest');
  const copyDest = list('copy-dest');
  if (compareDest.length > 0 && copyDest.length > 0) throw fsError('usage', "can't use --compare-dest with --copy-dest: give one or the other");
  const mode = (str(v, 'cutoff-mode') ?? 'hard').toLowerCase();
  if (mode !== 'hard' && mode !== 'soft' && mode !== 'cautious') throw fsError('usage', `invalid value "${str(v, 'cutoff-mode')}" for --cutoff-mode: use hard, soft or cautious`);
  return {
    checkFirst: bool(v, 'check-first'),
    // commander reads --no-X as X = false; the NCLONE_NO_TRAVERSE variable gives true.
    noTraverse: bool(v, 'no-traverse') || v[flagKey('traverse')] === false,
    maxDuration: Math.max(0, durationMs(v, 'max-duration', 0)),
    cutoffMode: mode,
    maxBacklog: int(v, 'max-backlog', DEFAULT_OPTIONS.maxBacklog, Number.MIN_SAFE_INTEGER),
    orderBy: str(v, 'order-by') ?? '',
    trackRenames: bool(v, 'track-renames'),
    trackRenamesStrategy: str(v, 'track-renames-strategy') ?? DEFAULT_OPTIONS.trackRenamesStrategy,
    compareDest,
    copyDest,
  };
}

export function filterOptions(v: FlagValues): FilterOptions {
  const list = (name: string) => (v[flagKey(name)] as string[] | undefined) ?? undefined;
  return {
    include: list('include'),
    exclude: list('exclude'),
    filter: list('filter'),
    includeFrom: list('include-from'),
    excludeFrom: list('exclude-from'),
    filterFrom: list('filter-from'),
    filesFrom: list('files-from'),
    minSize: size(v, 'min-size'),
    maxSize: size(v, 'max-size'),
    minAge: str(v, 'min-age'),
    maxAge: str(v, 'max-age'),
    ignoreCase: bool(v, 'ignore-case'),
    hashFilter: str(v, 'hash-filter'),
    excludeIfPresent: list('exclude-if-present'),
  };
}

/** The global flags backends obey, from --low-level-retries, --tpslimit, --timeout and the TLS flags. */
export function backendGlobals(v: FlagValues, opt: OperationOptions): BackendGlobals {
  const rate = Number(str(v, 'tpslimit') ?? 0);
  if (!Number.isFinite(rate) || rate < 0) throw fsError('usage', `invalid value "${str(v, 'tpslimit')}" for --tpslimit: must be a number of transactions per second, 0 for no limit`);
  const burst = int(v, 'tpslimit-burst', 1, 1);
  return {
    lowLevelRetries: opt.lowLevelRetries,
    tps: rate > 0 ? new TpsLimiter(rate, burst) : undefined,
    timeoutMs: durationMs(v, 'timeout', DEFAULT_GLOBALS.timeoutMs),
    conTimeoutMs: durationMs(v, 'contimeout', DEFAULT_GLOBALS.conTimeoutMs),
    // commander reads --no-X as X = false; the NCLONE_NO_CHECK_CERTIFICATE variable gives true.
    noCheckCertificate: bool(v, 'no-check-certificate') || v[flagKey('check-certificate')] === false,
    caCert: (v[flagKey('ca-cert')] as string[] | undefined) ?? [],
    parallel: opt.transfers + opt.checkers,
  };
}
