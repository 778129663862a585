import type { Fs } from './types.js';
import type { OptionDef } from './options.js';
import type { ConfigMap } from './configmap.js';
import type { BackendGlobals } from './globals.js';
import type { MetadataHelp } from './metadata.js';

/** What a backend module exports: its description and a constructor. */
export interface BackendModule {
  newFs(name: string, root: string, options: ConfigMap, globals: BackendGlobals): Promise<NewFsResult>;
}

/**
 * When root names a file rather than a directory, the backend returns an Fs rooted at
 * the file's parent and the file's name in `file` (rclone's ErrorIsFile), so commands
 * can act on that one file.
 */
export interface NewFsResult {
  fs: Fs;
  file?: string;
}

/**
 * A backend's static description. `load` imports the implementation lazily so that
 * heavy SDKs load only when a path of that type is used.
 */
export interface BackendDef {
  name: string;
  description: string;
  options: OptionDef[];
  /** URL schemes this backend takes (s3://...) and how a URL becomes a root and options. */
  url?: { schemes: string[]; parse(rest: string, scheme: string): UrlRemote };
  /** The system metadata keys -M reads and writes (src/fs/metadata.ts), for help and docs. */
  metadata?: Record<string, MetadataHelp>;
  /** Its own commands, run with `nclone backend NAME remote:` through Fs.command. */
  commands?: BackendCommandDef[];
  load(): Promise<BackendModule>;
}

/** A backend command as data: `nclone backend help TYPE` and the docs show it. */
export interface BackendCommandDef {
  name: string;
  summary: string;
  /** Longer help: what it does, what it prints. */
  description: string;
  /** The -o name=value options it takes, with what each means. Any other is refused. */
  opts?: Record<string, string>;
  /** Command lines that show its use. */
  examples?: string[];
}

/** What a URL says: the root inside the backend, its options, and anything worth a warning. */
export interface UrlRemote {
  root: string;
  params: Record<string, string>;
  warnings: string[];
}

export class Registry {
  private readonly byName = new Map<string, BackendDef>();

  constructor(defs: BackendDef[]) {
    for (const d of defs) this.byName.set(d.name, d);
  }

  get(name: string): BackendDef | undefined {
    return this.byName.get(name);
  }

  byScheme(scheme: string): BackendDef | undefined {
    return this.all().find((d) => d.url?.schemes.includes(scheme));
  }

  all(): BackendDef[] {
    return [...this.byName.values()];
  }
}
