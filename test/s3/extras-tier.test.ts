/**
 * Storage classes on the test Ceph RGW: `nclone settier` and `nclone backend restore` /
 * `restore-status`, signed with v4 and with v2, next to rclone.
 *
 * The test RGW knows only STANDARD, and a gateway learns new storage classes only when it
 * starts. So this file adds two classes to the cluster's zone (COLD, and GLACIER for the
 * archive paths) with radosgw-admin and starts a second gateway of its own on the same
 * cluster, which knows them; the suite's gateway, which other files use, is left as it was
 * (a gateway reads the zone only when it starts). At the end the buckets are emptied through
 * the extra gateway (it knows where each class keeps its data), the gateway is killed by its
 * PID and the classes are taken out of the zone again.
 * Needs a build (npx tsc -p .).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { execFile, spawn } from 'node:child_process';
import * as nfs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { GetObjectAclCommand, HeadObjectCommand, PutObjectAclCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { NCLONE, run, type RunResult } from '../helpers/run.js';
import { s3Server } from '../helpers/s3.js';
import { TmuxProgram } from '../pty/tmux.js';
import { SIGNATURES, expectCode, expectOk, makeBase, makeCli, removeBuckets, uniqueBucket, writeTree, type FileSpec } from './helpers-cli.js';

const execFileP = promisify(execFile);
const SCRIPT = fileURLToPath(new URL('../servers/ceph-rgw.sh', import.meta.url));
const CLASSES = ['COLD', 'GLACIER'];

/** A port nothing listens on now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

async function admin(...args: string[]): Promise<string> {
  const r = await run('nice', ['-n', '19', 'bash', SCRIPT, 'admin', s3Server().dir, ...args], process.env);
  if (r.code !== 0) throw new Error(`radosgw-admin ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

const PLACEMENT = ['--placement-id', 'default-placement'];
/** The classes this file added to the zone, to be taken out again at the end. */
const added: string[] = [];
/**
 * The extra gateway's PID, kept from the moment it is spawned: afterAll kills it even when
 * beforeAll timed out while waiting for it to listen.
 */
let gatewayPid: number | undefined;

function stopGateway(): void {
  if (gatewayPid === undefined) return;
  try {
    process.kill(gatewayPid, 'SIGKILL');
  } catch {
    // already gone
  }
  gatewayPid = undefined;
}
// A worker that ends without running afterAll still kills it (and the suite's teardown
// kills what is in the cluster's pids file).
process.once('exit', stopGateway);

async function addClasses(): Promise<void> {
  for (const cls of CLASSES) {
    added.push(cls);
    await admin('zonegroup', 'placement', 'add', '--rgw-zonegroup', 'default', ...PLACEMENT, '--storage-class', cls);
    await admin('zone', 'placement', 'add', '--rgw-zone', 'default', ...PLACEMENT, '--storage-class', cls, '--data-pool', `default.rgw.${cls.toLowerCase()}.data`);
  }
}

/** Takes the classes out of the zone, and fails if the zone is not back to STANDARD alone. */
async function removeClasses(): Promise<void> {
  while (added.length > 0) {
    const cls = added.pop()!;
    await admin('zone', 'placement', 'rm', '--rgw-zone', 'default', ...PLACEMENT, '--storage-class', cls).catch(() => '');
    await admin('zonegroup', 'placement', 'rm', '--rgw-zonegroup', 'default', ...PLACEMENT, '--storage-class', cls).catch(() => '');
  }
  const targets = JSON.parse(await admin('zonegroup', 'placement', 'list')) as { key: string; val: { storage_classes: string[] } }[];
  expect(targets.map((t) => [t.key, t.val.storage_classes])).toEqual([['default-placement', ['STANDARD']]]);
}

/**
 * Adds the classes to the zone, then starts a gateway that reads them at start-up, on
 * 127.0.0.1 only. Its PID goes into the cluster's pids file too, so the suite's teardown
 * stops it if this file can't.
 */
async function startClassGateway(): Promise<string> {
  await addClasses();
  const dir = s3Server().dir;
  const port = await freePort();
  const child = spawn('nice', ['-n', '19', 'radosgw', '-n', 'client.rgw.extras', '-c', path.join(dir, 'ceph.conf'), '-f', `--rgw_frontends=beast endpoint=127.0.0.1:${port}`, '--ms_mon_client_mode=crc secure'], {
    detached: true,
    stdio: 'ignore',
  });
  gatewayPid = child.pid!;
  child.unref();
  nfs.appendFileSync(path.join(dir, 'pids'), `rgw-extras ${gatewayPid}\n`);
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      if ((await fetch(endpoint, { signal: AbortSignal.timeout(2000) })).status === 200) return endpoint;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline || child.exitCode !== null) {
      stopGateway();
      throw new Error(`the extra gateway did not start on ${endpoint}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** One JSON document on stdout. */
function json(r: RunResult): any {
  return JSON.parse(r.stdout);
}

describe('storage classes on the RGW', () => {
  let base: string;
  let gateway: { endpoint: string };
  let client: S3Client;
  const buckets: string[] = [];

  beforeAll(async () => {
    base = makeBase('tier');
    gateway = { endpoint: await startClassGateway() };
    const s = s3Server();
    client = new S3Client({
      endpoint: gateway.endpoint,
      region: s.region,
      forcePathStyle: true,
      credentials: { accessKeyId: s.accessKeyId, secretAccessKey: s.secretAccessKey },
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  });

  afterAll(async () => {
    try {
      // Through the gateway that knows the classes, so that their data goes too.
      if (gateway && gatewayPid !== undefined) {
        const env = { ...makeCli(base, false).env, NCLONE_CONFIG_RGW_ENDPOINT: gateway.endpoint };
        for (const b of buckets) await run(NCLONE, ['purge', `rgw:${b}`], env);
      }
      await removeBuckets(buckets);
    } finally {
      client?.destroy();
      stopGateway();
      try {
        await removeClasses();
      } finally {
        if (base) nfs.rmSync(base, { recursive: true, force: true });
      }
    }
  });

  const head = (bucket: string, key: string) => client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));

  describe.each(SIGNATURES)('signature $sig', ({ sig, v2 }) => {
    /** nclone and rclone with the remote `rgw` on the gateway that knows the classes. */
    const tools = () => {
      const cli = makeCli(base, v2);
      const env = { ...cli.env, NCLONE_CONFIG_RGW_ENDPOINT: gateway.endpoint };
      return {
        nclone: (...args: string[]) => run(NCLONE, args, env),
        rclone: (...args: string[]) => cli.rclone('--s3-endpoint', gateway.endpoint, ...args),
      };
    };
    const bucket = uniqueBucket(`nclone-tier-${sig}`);
    buckets.push(bucket);
    const files: FileSpec[] = [
      { path: 'a.txt', data: Buffer.from('alpha\n'), sec: 1_600_000_000, ns: 123456789 },
      { path: 'dir/b.txt', data: Buffer.from('beta\n'), sec: 1_600_000_100, ns: 5 },
      { path: 'dir/c.log', data: Buffer.from('gamma\n'), sec: 1_600_000_200, ns: 999999999 },
      // Above --s3-copy-cutoff 5M below: copied onto itself in parts.
      { path: 'big.bin', data: Buffer.alloc(6 * 1024 * 1024, 7), sec: 1_600_000_300, ns: 1 },
    ];

    beforeAll(async () => {
      const src = path.join(base, `src-${sig}`);
      await writeTree(src, files);
      expectOk(await tools().nclone('copy', src, `rgw:${bucket}`, '--s3-upload-cutoff', '1Mi', '--s3-chunk-size', '5Mi'));
      await client.send(new PutObjectAclCommand({ Bucket: bucket, Key: 'a.txt', ACL: 'public-read' }));
    });

    it('settier moves every object to the class and back, keeping data, metadata and grants', async () => {
      const { nclone, rclone } = tools();
      const before = await Promise.all(files.map((f) => head(bucket, f.path)));
      const lsl = await nclone('lsl', `rgw:${bucket}`);
      const md5 = await nclone('md5sum', `rgw:${bucket}`);
      const moved = await nclone('settier', 'cold', `rgw:${bucket}`, '--s3-copy-cutoff', '5M');
      expectOk(moved);
      expect(moved.stdout).toBe('');
      for (const [i, f] of files.entries()) {
        const h = await head(bucket, f.path);
        expect(h.StorageClass, f.path).toBe('COLD');
        expect(h.Metadata, f.path).toEqual(before[i]!.Metadata);
        expect(h.ContentType, f.path).toBe(before[i]!.ContentType);
        expect(h.ContentLength, f.path).toBe(f.data.length);
      }
      expect(await nclone('lsl', `rgw:${bucket}`)).toEqual(lsl);
      expect(await nclone('md5sum', `rgw:${bucket}`)).toEqual(md5);
      // The public object is still public.
      const acl = await client.send(new GetObjectAclCommand({ Bucket: bucket, Key: 'a.txt' }));
      expect(acl.Grants?.some((g) => g.Permission === 'READ' && g.Grantee?.URI?.endsWith('/AllUsers'))).toBe(true);
      // rclone sees the new class.
      const tiers = Object.fromEntries((JSON.parse((await rclone('lsjson', '-R', '--files-only', `rgw:${bucket}`)).stdout) as { Path: string; Tier: string }[]).map((e) => [e.Path, e.Tier]));
      expect(tiers).toEqual({ 'a.txt': 'COLD', 'dir/b.txt': 'COLD', 'dir/c.log': 'COLD', 'big.bin': 'COLD' });

      // Filters choose the objects: only dir/b.txt goes back.
      expectOk(await nclone('settier', 'STANDARD', '--include', '*.txt', `rgw:${bucket}/dir`));
      expect((await head(bucket, 'dir/b.txt')).StorageClass ?? 'STANDARD').toBe('STANDARD');
      expect((await head(bucket, 'dir/c.log')).StorageClass).toBe('COLD');
      expect((await head(bucket, 'a.txt')).StorageClass).toBe('COLD');
      // One object by its path.
      expectOk(await nclone('settier', 'STANDARD', `rgw:${bucket}/a.txt`));
      expect((await head(bucket, 'a.txt')).StorageClass ?? 'STANDARD').toBe('STANDARD');
    });

    it('settier leaves objects already in the class alone, where rclone fails on them', async () => {
      const { nclone, rclone } = tools();
      const before = await head(bucket, 'dir/c.log');
      expect(before.StorageClass).toBe('COLD');
      // Whole seconds: the copy would have changed LastModified.
      await new Promise((resolve) => setTimeout(resolve, 1100));
      expectOk(await nclone('settier', 'COLD', `rgw:${bucket}/dir/c.log`));
      expect((await head(bucket, 'dir/c.log')).LastModified).toEqual(before.LastModified);
      const theirs = await rclone('settier', 'COLD', `rgw:${bucket}/dir/c.log`);
      expect(theirs.stderr).toMatch(/InvalidRequest/);
    });

    it('settier to a class the server does not know fails per object in one clear line, changing nothing', async () => {
      const { nclone } = tools();
      const before = await head(bucket, 'dir/b.txt');
      const r = await nclone('settier', 'FROZEN', `rgw:${bucket}/dir`);
      expectCode(r, 6);
      expect(r.stdout).toBe('');
      const errors = r.stderr.split('\n').filter((l) => l.includes('ERROR'));
      // One line per object (in the order the requests ended), then the summary.
      expect(errors).toHaveLength(3);
      for (const name of ['b.txt', 'c.log']) {
        expect(errors.slice(0, 2).some((l) => new RegExp(`ERROR : ${name}: set storage class of rgw:${bucket}/dir/${name}: the server does not accept storage class "FROZEN" \\(InvalidArgument\\)`).test(l))).toBe(true);
      }
      expect(errors[2]).toMatch(/Failed to settier with 2 errors/);
      expect((await head(bucket, 'dir/b.txt')).LastModified).toEqual(before.LastModified);

      const dry = await nclone('settier', 'GLACIER', '--dry-run', `rgw:${bucket}/dir`);
      expectCode(dry, 0);
      expect(dry.stderr).toMatch(/NOTICE: b.txt: Skipped set tier to GLACIER as --dry-run is set/);
      expect(dry.stderr).toMatch(/NOTICE: c.log: Skipped set tier to GLACIER as --dry-run is set/);
      expect((await head(bucket, 'dir/b.txt')).StorageClass ?? 'STANDARD').toBe('STANDARD');
    });

    it('backend restore asks for archived objects only, and says the server can not restore', async () => {
      const { nclone, rclone } = tools();
      for (const key of ['frozen/one.txt', 'frozen/two.dat']) await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: key, StorageClass: 'GLACIER' as never }));
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'frozen/warm.txt', Body: 'warm' }));
      const r = await nclone('backend', 'restore', `rgw:${bucket}/frozen`, '-o', 'priority=Standard', '-o', 'lifetime=1');
      expectCode(r, 6);
      // The RGW answers 501 to v4, and to v2 takes the POST for a form upload.
      const answer = v2 ? 'InvalidArgument, taking it for a form upload' : 'NotImplemented';
      const notSupported = (key: string) => `restore rgw:${bucket}/frozen/${key}: the server does not support restoring objects (RestoreObject answered ${answer})`;
      expect(json(r)).toEqual([
        { Status: notSupported('one.txt'), Remote: 'one.txt' },
        { Status: notSupported('two.dat'), Remote: 'two.dat' },
        { Status: 'Not GLACIER, DEEP_ARCHIVE or INTELLIGENT_TIERING storage class', Remote: 'warm.txt' },
      ]);
      expect(r.stdout).toMatch(/^\[\n\t\{\n\t\t"Status": /);
      expect(r.stderr).toMatch(/ERROR : one.txt: restore rgw:.*: the server does not support restoring objects/);
      // rclone goes over the same objects.
      const theirs = await rclone('backend', 'restore', `rgw:${bucket}/frozen`, '-o', 'priority=Standard', '-o', 'lifetime=1');
      expectCode(theirs, 0);
      expect((json(theirs) as { Remote: string }[]).map((e) => e.Remote).sort()).toEqual(['one.txt', 'two.dat', 'warm.txt']);

      // Filters and --dry-run: nothing is asked.
      const dry = await nclone('backend', 'restore', '--dry-run', '--include', '*.txt', `rgw:${bucket}/frozen`, '-o', 'lifetime=1');
      expectCode(dry, 0);
      expect(json(dry)).toEqual([
        { Status: 'Skipped', Remote: 'one.txt' },
        { Status: 'Not GLACIER, DEEP_ARCHIVE or INTELLIGENT_TIERING storage class', Remote: 'warm.txt' },
      ]);
      expect(dry.stderr).toMatch(/NOTICE: one.txt: Skipped restore as --dry-run is set/);
    });

    it('backend restore-status lists what the server reports', async () => {
      const { nclone } = tools();
      // The RGW reports no restore status: nothing is being restored.
      const none = await nclone('backend', 'restore-status', `rgw:${bucket}/frozen`);
      expectOk(none);
      expect(none.stdout).toBe('[]\n');
      const all = await nclone('backend', 'restore-status', `rgw:${bucket}/frozen`, '-o', 'all');
      expectOk(all);
      expect(json(all)).toEqual([
        { Remote: 'one.txt', VersionID: null, RestoreStatus: null, StorageClass: 'GLACIER' },
        { Remote: 'two.dat', VersionID: null, RestoreStatus: null, StorageClass: 'GLACIER' },
        { Remote: 'warm.txt', VersionID: null, RestoreStatus: null, StorageClass: 'STANDARD' },
      ]);
      const one = await nclone('backend', 'restore-status', `rgw:${bucket}/frozen/two.dat`, '-o', 'all');
      expect(json(one)).toEqual([{ Remote: 'two.dat', VersionID: null, RestoreStatus: null, StorageClass: 'GLACIER' }]);
    });
  });

  describe('-i in a terminal', () => {
    let term: TmuxProgram | undefined;
    afterEach(async () => {
      await term?.stop();
      term = undefined;
    });

    /** Starts nclone on the extra gateway in a terminal of its own, stdout into a file. */
    const startTerm = async (out: string, ...args: string[]): Promise<TmuxProgram> => {
      term = new TmuxProgram({ ...makeCli(base, false).env, TERM: 'xterm-256color', NCLONE_CONFIG_RGW_ENDPOINT: gateway.endpoint });
      await term.start(['sh', '-c', 'out=$1; shift; "$@" > "$out"', 'sh', out, NCLONE, ...args], base);
      return term;
    };

    /** Waits for the question about subject, then types the answer. */
    const answer = async (t: TmuxProgram, subject: string, text: string): Promise<void> => {
      await t.waitUntil(`the question about ${subject}`, (screen) => {
        const ls = screen.split('\n').map((l) => l.trimEnd()).filter((l) => l !== '');
        return ls.some((l) => l.endsWith(` "${subject}"?`)) && ls.at(-1) === 'y/n/s/!/q>';
      });
      await execFileP('tmux', ['-u', '-L', t.socket, 'send-keys', '-t', 'w', '-l', '--', text]);
      await execFileP('tmux', ['-u', '-L', t.socket, 'send-keys', '-t', 'w', 'Enter']);
    };

    it('backend restore and settier ask before each change; q stops the run with exit 7', async () => {
      const bucket = buckets[0]!;
      for (const key of ['ask/one.txt', 'ask/two.txt']) await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: key, StorageClass: 'GLACIER' as never }));
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'ask/warm.txt', Body: 'warm' }));

      // One at a time, in listing order: y asks the server (which can't restore), q stops.
      const out = path.join(base, 'restore.json');
      const r = await startTerm(out, 'backend', 'restore', '-i', '--checkers', '1', `rgw:${bucket}/ask`, '-o', 'lifetime=1');
      await answer(r, 'one.txt', 'y');
      await answer(r, 'two.txt', 'q');
      expect(await r.exitCode(30_000)).toBe(7);
      expect(await r.screen()).toContain('Quitting nclone now');
      // What was done before q is printed; warm.txt, after it, is not looked at.
      expect(JSON.parse(nfs.readFileSync(out, 'utf8'))).toEqual([
        { Status: expect.stringMatching(/^restore rgw:.*\/ask\/one\.txt: the server does not support restoring objects/), Remote: 'one.txt' },
        { Status: 'Skipped', Remote: 'two.txt' },
      ]);
      await r.stop();

      const t = await startTerm(path.join(base, 'settier.out'), 'settier', 'COLD', '-i', '--checkers', '1', `rgw:${bucket}/ask`);
      await answer(t, 'one.txt', 'n');
      await answer(t, 'two.txt', 'y');
      await answer(t, 'warm.txt', 'q');
      expect(await t.exitCode(30_000)).toBe(7);
      expect(await t.screen()).toMatch(/NOTICE: one\.txt: Skipped set tier to COLD as --interactive is set/);
      expect((await head(bucket, 'ask/one.txt')).StorageClass).toBe('GLACIER');
      expect((await head(bucket, 'ask/two.txt')).StorageClass).toBe('COLD');
      expect((await head(bucket, 'ask/warm.txt')).StorageClass ?? 'STANDARD').toBe('STANDARD');
    });
  });

  it('refuses bad input in one line, with exit code 1', async () => {
    const cli = makeCli(base, false);
    const bucket = buckets[0]!;
    const cases: [string[], RegExp][] = [
      [['backend', 'restore', `rgw:${bucket}`, '-o', 'lifetime=soon'], /^nclone: bad lifetime "soon": give the number of days/],
      [['backend', 'restore', `rgw:${bucket}`, '-o', 'priority=Fast'], /^nclone: bad priority "Fast": use Standard, Expedited, Bulk\n$/],
      [['backend', 'restore', `rgw:${bucket}`, '-o', 'days=1'], /^nclone: backend restore: unknown option "days": it takes priority, lifetime, description\n$/],
      [['backend', 'restore-status', 'rgw:'], /^nclone: backend restore-status needs a bucket/],
      [['settier', 'COLD', base], /^nclone: settier is not supported by .* \(its backend has no storage classes\)\n$/],
      [['settier', '', `rgw:${bucket}`], /^nclone: invalid tier "": give a storage class name/],
    ];
    for (const [args, message] of cases) {
      const r = await cli.nclone(...args);
      expectCode(r, 1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(message);
    }
    expectCode(await cli.rclone('settier', 'COLD', base), 1);
  });
});
