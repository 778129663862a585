import { parseOptionValue, type OptionDef, type OptionValue } from './options.js';
import { fsError } from './errors.js';
import { ValueError } from '../lib/units.js';

/** One source of option values, with a name used in error messages. */
export interface ConfigLayer {
  source: string;
  values: Readonly<Record<string, string>>;
}

/**
 * A backend's options resolved through the priority stack, highest first:
 * connection string > command-line flags > NCLONE_CONFIG_<REMOTE>_* > NCLONE_<BACKEND>_* > config file > defaults.
 */
export class ConfigMap {
  private readonly defs: Map<string, OptionDef>;

  constructor(
    defs: OptionDef[],
    private readonly layers: ConfigLayer[],
  ) {
    this.defs = new Map(defs.map((d) => [d.name, d]));
  }

  /** The raw text of an option and where it came from, or undefined if only the default applies. */
  raw(name: string): { value: string; source: string } | undefined {
    for (const layer of this.layers) {
      const v = layer.values[name];
      if (v !== undefined) return { value: v, source: layer.source };
    }
    return undefined;
  }

  get(name: string): OptionValue {
    const def = this.defs.get(name);
    if (!def) throw new Error(`internal: option ${name} is not declared`);
    const r = this.raw(name);
    // Defaults are written the way users write values ("200Mi"), so they parse the same way.
    if (r === undefined) return typeof def.default === 'string' && def.type !== 'string' ? parseOptionValue(def, def.default) : def.default;
    try {
      return parseOptionValue(def, r.value);
    } catch (err) {
      const why = err instanceof ValueError ? err.message : String(err);
      throw fsError('config', `${why} (from ${r.source})`);
    }
  }

  string(name: string): string {
    return String(this.get(name));
  }

  bool(name: string): boolean {
    return this.get(name) === true;
  }

  number(name: string): number {
    return Number(this.get(name));
  }

  isSet(name: string): boolean {
    return this.raw(name) !== undefined;
  }
}
