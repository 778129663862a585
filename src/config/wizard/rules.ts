import type { BackendDef } from '../../fs/registry.js';
import { appliesToProvider, type OptionDef, type OptionExample } from '../../fs/options.js';
import { parseBool } from '../../lib/units.js';

type Values = Readonly<Record<string, string>>;

/**
 * Which options the wizard asks, beyond the option tables' own provider filters: a
 * question is skipped when an earlier answer makes it meaningless. Keyed "backend.option".
 */
const ASK_WHEN: Record<string, (v: Values) => boolean> = {
  // AWS endpoints follow from the region; every other provider needs one.
  's3.endpoint': (v) => provider(v) !== 'AWS',
  // Bucket location constraints only mean something to AWS.
  's3.location_constraint': (v) => provider(v) === 'AWS',
  // Keys are for env_auth = false; with runtime credentials, the file and profile matter instead.
  's3.access_key_id': (v) => !isTrue(v.env_auth),
  's3.secret_access_key': (v) => !isTrue(v.env_auth),
  's3.session_token': (v) => !isTrue(v.env_auth),
  's3.shared_credentials_file': (v) => isTrue(v.env_auth),
  's3.profile': (v) => isTrue(v.env_auth),
  's3.sse_kms_key_id': (v) => v.server_side_encryption === 'aws:kms',
};

/** The provider as the option filters see it: a blank one is "Other". */
export function provider(v: Values): string {
  return v.provider || 'Other';
}

function isTrue(text: string | undefined): boolean {
  try {
    return parseBool(text ?? '');
  } catch {
    return false;
  }
}

/** Whether the wizard asks this option, given the answers so far. */
export function isAsked(def: BackendDef, opt: OptionDef, values: Values): boolean {
  if (!appliesToProvider(opt.provider, provider(values))) return false;
  const rule = ASK_WHEN[`${def.name}.${opt.name}`];
  return rule ? rule(values) : true;
}

/** The option's examples that fit the chosen provider; enums list their choices. */
export function examplesFor(opt: OptionDef, values: Values): OptionExample[] {
  if (opt.examples) return opt.examples.filter((e) => appliesToProvider(e.provider, provider(values)));
  if (opt.type === 'enum') return (opt.choices ?? []).map((value) => ({ value, help: '' }));
  return [];
}
