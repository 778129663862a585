/** Connection strings on the command line: mistakes are usage errors before any connection. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NCLONE, cleanEnv, run } from './helpers/run.js';

const home = mkdtempSync(join(tmpdir(), 'nclone-paths-cli-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

describe('an unquoted URL in a connection string', () => {
  it('is a usage error (exit 1) that shows the quoted form, not a DNS error about "http"', async () => {
    const r = await run(process.execPath, [NCLONE, 'lsd', ':s3,provider=Ceph,endpoint=http://127.0.0.1:9000:bucket'], cleanEnv(home));
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain("the value of endpoint contains ':' so it must be quoted, as in endpoint='http://127.0.0.1:9000'");
    expect(r.code).toBe(1);
  });
});
