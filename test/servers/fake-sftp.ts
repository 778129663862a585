/**
 * A misbehaving SFTP server, for what OpenSSH cannot be made to do: listings whose
 * attributes lack the size, the time or the file type, and a reply cut short. Built on
 * ssh2's server mode, on 127.0.0.1, any login accepted. Everything else about it is
 * minimal: one directory "/d" whose files hold "hello".
 */
import type { AddressInfo } from 'node:net';
import ssh2 from 'ssh2';

export type FakeMode = 'nosize' | 'nomtime' | 'nomode' | 'malformed';

export interface FakeSftp {
  port: number;
  close(): Promise<void>;
}

const DIR = 0o040755;
const REG = 0o100644;
const HELLO = Buffer.from('hello');

export async function startFakeSftp(mode: FakeMode): Promise<FakeSftp> {
  const { Server, utils } = ssh2;
  const { STATUS_CODE } = utils.sftp;
  const hostKey = utils.generateKeyPairSync('ed25519').private;
  const now = Math.floor(Date.now() / 1000) - 3600;
  const file = { mode: REG, size: HELLO.length, mtime: now, atime: now, uid: 0, gid: 0 };
  const dir = { mode: DIR, size: 0, mtime: now, atime: now, uid: 0, gid: 0 };
  const entry = (filename: string, attrs: Record<string, number>) => ({ filename, longname: filename, attrs: attrs as unknown as ssh2.Attributes });
  const listing = {
    nosize: [entry('a.txt', { mode: REG, mtime: now, atime: now })],
    nomtime: [entry('a.txt', { mode: REG, size: 5 }), entry('b.txt', file)],
    nomode: [entry('a.txt', { size: 5, mtime: now, atime: now }), entry('b.txt', { size: 5, mtime: now, atime: now })],
    malformed: [],
  }[mode];
  const clients = new Set<ssh2.Connection>();
  const server = new Server({ hostKeys: [hostKey] }, (client) => {
    clients.add(client);
    client.on('close', () => clients.delete(client));
    client.on('error', () => undefined);
    client.on('authentication', (ctx) => ctx.accept());
    client.on('ready', () =>
      client.on('session', (accept) => {
        const session = accept();
        // No shell: every command fails, so the remote has no hashes.
        session.on('exec', (acceptExec) => {
          const ch = acceptExec();
          ch.exit(127);
          ch.end();
        });
        session.on('sftp', (acceptSftp) => {
          const sftp = acceptSftp();
          const listed = new Set<number>();
          let handles = 0;
          const isDir = (p: string) => p === '/' || p === '/d' || p === '.';
          sftp.on('REALPATH', (id) => sftp.name(id, [entry('/', dir)]));
          sftp.on('STAT', (id, p) => sftp.attrs(id, isDir(p) ? dir : file));
          sftp.on('LSTAT', (id, p) => sftp.attrs(id, isDir(p) ? dir : file));
          sftp.on('OPENDIR', (id) => {
            const h = handles++;
            const buf = Buffer.alloc(4);
            buf.writeUInt32BE(h);
            sftp.handle(id, buf);
          });
          sftp.on('READDIR', (id, handle) => {
            const h = handle.readUInt32BE(0);
            if (listed.has(h)) return sftp.status(id, STATUS_CODE.EOF);
            listed.add(h);
            if (mode === 'malformed') {
              // A NAME reply that says one entry follows, then ends.
              const b = Buffer.alloc(13);
              b.writeUInt32BE(9, 0);
              b[4] = 104; // SSH_FXP_NAME
              b.writeUInt32BE(id, 5);
              b.writeUInt32BE(1, 9);
              const raw = sftp as unknown as { _protocol: { channelData(id: number, b: Buffer): void }; outgoing: { id: number } };
              return raw._protocol.channelData(raw.outgoing.id, b);
            }
            sftp.name(id, listing as never);
          });
          sftp.on('OPEN', (id) => sftp.handle(id, Buffer.from('f')));
          sftp.on('FSTAT', (id) => sftp.attrs(id, file));
          sftp.on('READ', (id, _h, offset, len) => (offset < HELLO.length ? sftp.data(id, HELLO.subarray(offset, offset + len)) : sftp.status(id, STATUS_CODE.EOF)));
          sftp.on('CLOSE', (id) => sftp.status(id, STATUS_CODE.OK));
        });
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of clients) c.end();
        server.close(() => resolve());
      }),
  };
}
