import type { ConfigLayer } from '../fs/configmap.js';
import type { RemoteSource } from '../fs/newfs.js';
import { envRemoteNames, expandEnvRefs, remoteFromEnv, type Env } from './config.js';
import type { ConfigDocument } from './document.js';

/** The remotes of a config file and of NCLONE_CONFIG_<NAME>_* variables, as newFs reads them. */
export function remoteSource(doc: ConfigDocument, file: string, env: Env): RemoteSource {
  return {
    where: `config file ${file}`,
    names: () => [...new Set([...doc.sections(), ...envRemoteNames(env)])].sort(),
    lookup(name) {
      const section = doc.get(name);
      const fromEnv = remoteFromEnv(name, env);
      if (section === undefined && Object.keys(fromEnv).length === 0) return undefined;
      const layers: ConfigLayer[] = [{ source: `NCLONE_CONFIG_${name.toUpperCase()}_* variables`, values: fromEnv }];
      if (section) layers.push({ source: `config file ${file}`, values: expandEnvRefs(section, env, `remote "${name}" in ${file}`) });
      return { type: fromEnv.type ?? section?.type, layers };
    },
  };
}
