/**
 * -M between local directories through the CLI, beside rclone 1.60: mode, owner and times
 * carried; special bits never restored; bad metadata ignored, not fatal; lsjson -M prints
 * what rclone prints. Plus the metadata helpers' edge cases.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as nfs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { NCLONE, cleanEnv, run } from '../helpers/run.js';
import { formatMetadataTime, parseMetadataSet, parseMetadataTime } from '../../src/fs/metadata.js';

let base = '';
let env: NodeJS.ProcessEnv;
const nclone = (...args: string[]) => run(NCLONE, args, env);
const rclone = (...args: string[]) => run('rclone', ['--config', '/dev/null', ...args], env);

beforeAll(() => {
  base = nfs.mkdtempSync(path.join(os.tmpdir(), 'nclone-meta-local-'));
  env = cleanEnv(path.join(base, 'home'), { TZ: 'UTC' });
});
afterAll(() => nfs.rmSync(base, { recursive: true, force: true }));

function tree(name: string): string {
  const dir = path.join(base, name);
  nfs.mkdirSync(path.join(dir, 'sub'), { recursive: true });
  nfs.writeFileSync(path.join(dir, 'plain.txt'), 'plain\n');
  nfs.writeFileSync(path.join(dir, 'sub', 'script.sh'), '#!/bin/sh\n');
  nfs.chmodSync(path.join(dir, 'plain.txt'), 0o604);
  nfs.chmodSync(path.join(dir, 'sub', 'script.sh'), 0o4750);
  nfs.utimesSync(path.join(dir, 'plain.txt'), 1_500_000_000.25, 1_600_000_000.5);
  if (process.getuid?.() === 0) nfs.chownSync(path.join(dir, 'plain.txt'), 12345, 23456);
  return dir;
}

describe('-M on local disks', () => {
  it('carries mode (no setuid), owner, atime and mtime; without -M neither mode nor atime', async () => {
    const src = tree('src1');
    const dst = path.join(base, 'dst1');
    const r = await nclone('copy', '-M', src, dst);
    expect(r.code, r.stderr).toBe(0);
    const a = nfs.statSync(path.join(src, 'plain.txt'));
    const b = nfs.statSync(path.join(dst, 'plain.txt'));
    expect(b.mode & 0o7777).toBe(0o604);
    expect([b.uid, b.gid]).toEqual([a.uid, a.gid]);
    // The source's atime as it was before the copy read the file (reading may move it).
    expect(b.atimeMs).toBe(1_500_000_000_250);
    expect(b.mtimeMs).toBe(1_600_000_000_500);
    expect(nfs.statSync(path.join(dst, 'sub', 'script.sh')).mode & 0o7777).toBe(0o750);

    const plain = path.join(base, 'dst1-plain');
    expect((await nclone('copy', src, plain)).code).toBe(0);
    expect(nfs.statSync(path.join(plain, 'plain.txt')).mode & 0o777).not.toBe(0o604);
    expect(nfs.statSync(path.join(plain, 'plain.txt')).atimeMs).not.toBe(1_500_000_000_250);
  });

  it('gives what rclone -M gives: the same modes and times on the copies', async () => {
    const src = tree('src2');
    const [n, r] = [path.join(base, 'dst2-n'), path.join(base, 'dst2-r')];
    expect((await nclone('copy', '-M', src, n)).code).toBe(0);
    expect((await rclone('copy', '-M', src, r)).code).toBe(0);
    for (const f of ['plain.txt', 'sub/script.sh']) {
      const x = nfs.statSync(path.join(n, f), { bigint: true });
      const y = nfs.statSync(path.join(r, f), { bigint: true });
      expect([x.mode, x.uid, x.gid, x.mtimeNs / 1000n], f).toEqual([y.mode, y.uid, y.gid, y.mtimeNs / 1000n]);
    }
  });

  it('lsjson -M prints the Metadata rclone prints', async () => {
    const src = tree('src3');
    const n = await nclone('lsjson', '-M', '-R', '--files-only', src);
    const r = await rclone('lsjson', '-M', '-R', '--files-only', src);
    expect(n.code, n.stderr).toBe(0);
    const meta = (out: string) => Object.fromEntries((JSON.parse(out) as { Path: string; Metadata: Record<string, string> }[]).map((i) => [i.Path, i.Metadata]));
    expect(meta(n.stdout)).toEqual(meta(r.stdout));
    expect(meta(n.stdout)['plain.txt']).toMatchObject({ mode: '100604', mtime: '2020-09-13T12:26:40.5Z', atime: '2017-07-14T02:40:00.25Z' });
  });

  it('--metadata-set mtime and mode apply; keys a disk cannot keep are dropped; unparsable values are ignored', async () => {
    const src = tree('src4');
    const dst = path.join(base, 'dst4');
    const r = await nclone('copy', '-M', '-vv', '--metadata-set', 'mtime=2001-02-03T04:05:06.7+01:00', '--metadata-set', 'mode=100640', '--metadata-set', 'content-type=text/x-mine', '--metadata-set', 'uid=not-a-number', src, dst);
    expect(r.code, r.stderr).toBe(0);
    const b = nfs.statSync(path.join(dst, 'plain.txt'));
    expect(b.mtimeMs).toBe(Date.parse('2001-02-03T03:05:06.7Z'));
    expect(b.mode & 0o777).toBe(0o640);
    // The unparsable uid replaced the source's and was ignored: the file is the writer's.
    expect(b.uid).toBe(process.getuid!());
    expect(r.stderr).toMatch(/not stored on a local disk: metadata content-type/);
    expect(r.stderr).toMatch(/ignoring metadata uid "not-a-number"/);
  });
});

describe('metadata helpers', () => {
  it('formats and parses RFC 3339 to the nanosecond, any zone, trailing zeros cut', () => {
    expect(formatMetadataTime(1_600_000_000_123_456_789n)).toBe('2020-09-13T12:26:40.123456789Z');
    expect(formatMetadataTime(1_600_000_000_000_000_000n)).toBe('2020-09-13T12:26:40Z');
    expect(formatMetadataTime(-1n)).toBe('1969-12-31T23:59:59.999999999Z');
    expect(parseMetadataTime('2020-09-13T14:26:40.1+02:00')).toBe(1_600_000_000_100_000_000n);
    expect(parseMetadataTime('1969-12-31T23:59:59.999999999Z')).toBe(-1n);
    for (const bad of ['2020-09-13', '2020-09-13 12:26:40Z', '2020-13-45T99:00:00Z', 'x', '2020-09-13T12:26:40.1234567891Z']) expect(parseMetadataTime(bad), bad).toBeUndefined();
  });

  it('parses --metadata-set: lower-cased keys, = in values, last one wins, bad keys refused', () => {
    expect(parseMetadataSet(['Owner=me', 'cache-control=max-age=60', 'owner=you', 'empty='])).toEqual({ owner: 'you', 'cache-control': 'max-age=60', empty: '' });
    expect(() => parseMetadataSet(['k=line\nbreak'])).toThrow(/control character/);
    for (const bad of ['novalue', '=x', 'sp ace=1', 'ü=1', '-lead=1']) expect(() => parseMetadataSet([bad]), bad).toThrow(/invalid --metadata-set/);
  });
});
