/**
 * The option priority stack, highest first: connection string/URL > flags >
 * NCLONE_CONFIG_<REMOTE>_* > NCLONE_<BACKEND>_* > config file > defaults; plus ${VAR}
 * expansion in config values. A probe backend reports the options it was built with.
 */
import { describe, expect, it } from 'vitest';
import { Registry, type BackendDef } from '../../src/fs/registry.js';
import { ConfigDocument } from '../../src/config/document.js';
import { newFs, type FsResolver } from '../../src/fs/newfs.js';
import { remoteSource } from '../../src/config/remote-source.js';
import type { ConfigMap } from '../../src/fs/configmap.js';
import type { Fs } from '../../src/fs/types.js';
import { splitBucket } from '../../backends/s3/keys.js';

let seen: { name: string; root: string; colour: string; size: number; from?: string } | undefined;

const probe: BackendDef = {
  name: 'probe',
  description: 'test backend that records its options',
  options: [
    { name: 'colour', help: 'a string option', type: 'string', default: 'default' },
    { name: 'size', help: 'a size option', type: 'size', default: '1Ki' },
  ],
  url: { schemes: ['probe'], parse: (rest) => ({ root: rest.split('?')[0]!, params: Object.fromEntries(new URLSearchParams(rest.split('?')[1] ?? '')), warnings: [] }) },
  load: async () => ({
    newFs: async (name: string, root: string, c: ConfigMap) => {
      seen = { name, root, colour: c.string('colour'), size: c.number('size'), from: c.raw('colour')?.source };
      return { fs: {} as Fs };
    },
  }),
};

function resolver(file: string, env: Record<string, string> = {}, flags: Record<string, string> = {}): FsResolver {
  return { registry: new Registry([probe]), remotes: remoteSource(ConfigDocument.parse(file), '/cfg/test.conf', env), configFile: '/cfg/test.conf', env, backendFlags: { probe: flags } };
}

async function colourOf(path: string, r: FsResolver): Promise<string> {
  seen = undefined;
  await newFs(path, r);
  return seen!.colour;
}

describe('option precedence', () => {
  const file = '[p]\ntype = probe\ncolour = file\n';
  const all = {
    env: { NCLONE_CONFIG_P_COLOUR: 'remote-env', NCLONE_PROBE_COLOUR: 'backend-env' },
    flags: { colour: 'flag' },
  };

  it('takes each layer over the ones below it', async () => {
    expect(await colourOf('p,colour=string:x', resolver(file, all.env, all.flags))).toBe('string');
    expect(await colourOf('p:x', resolver(file, all.env, all.flags))).toBe('flag');
    expect(await colourOf('p:x', resolver(file, all.env))).toBe('remote-env');
    expect(await colourOf('p:x', resolver(file, { NCLONE_PROBE_COLOUR: 'backend-env' }))).toBe('backend-env');
    expect(await colourOf('p:x', resolver(file))).toBe('file');
    expect(await colourOf('p:x', resolver('[p]\ntype = probe\n'))).toBe('default');
    expect(seen!.size).toBe(1024);
  });

  it('gives URL parameters the top priority too', async () => {
    expect(await colourOf('probe://bucket/dir?colour=url', resolver(file, all.env, all.flags))).toBe('url');
    expect(seen!.root).toBe('bucket/dir');
    expect(seen!.name).toBe(':probe');
  });

  it('says where a value came from', async () => {
    await colourOf('p:x', resolver(file, { NCLONE_PROBE_COLOUR: 'e' }));
    expect(seen!.from).toBe('NCLONE_PROBE_* variables');
    await colourOf('p:x', resolver(file));
    expect(seen!.from).toBe('config file /cfg/test.conf');
  });

  it('defines a whole remote from NCLONE_CONFIG_<NAME>_* variables', async () => {
    const r = resolver('', { NCLONE_CONFIG_ENVONLY_TYPE: 'probe', NCLONE_CONFIG_ENVONLY_COLOUR: 'green' });
    expect(await colourOf('envonly:dir', r)).toBe('green');
    expect(r.remotes.names()).toEqual(['envonly']);
  });

  it('rejects a bad value naming its source', async () => {
    await expect(newFs('p:x', resolver('[p]\ntype = probe\nsize = huge\n'))).rejects.toThrow(/size.*from config file \/cfg\/test.conf/);
  });

  it('replaces ${VAR} in config values, and names an unset one', async () => {
    const f = '[p]\ntype = probe\ncolour = ${MY_COLOUR}-$${LITERAL}\n';
    expect(await colourOf('p:x', resolver(f, { MY_COLOUR: 'blue' }))).toBe('blue-${LITERAL}');
    await expect(newFs('p:x', resolver(f))).rejects.toThrow(/uses \$\{MY_COLOUR\}, which is not set/);
  });

  it('names the remote that is missing and how to define it', async () => {
    await expect(newFs('nope:x', resolver(file))).rejects.toThrow(/remote "nope" not found.*NCLONE_CONFIG_NOPE_TYPE.*\(remotes: p\)/);
  });
});

describe('bucket and key of S3 paths', () => {
  it.each([
    ['bucket', { bucket: 'bucket', key: '' }],
    ['bucket/a/b', { bucket: 'bucket', key: 'a/b' }],
    ['arn:aws:s3:us-east-2:123456789012:accesspoint/my-ap', { bucket: 'arn:aws:s3:us-east-2:123456789012:accesspoint/my-ap', key: '' }],
    ['arn:aws:s3:us-east-2:123456789012:accesspoint/my-ap/backups/x', { bucket: 'arn:aws:s3:us-east-2:123456789012:accesspoint/my-ap', key: 'backups/x' }],
  ])('%s', (path, want) => {
    expect(splitBucket(path)).toEqual(want);
  });
});
