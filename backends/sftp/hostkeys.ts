import { createHash, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fsError } from '../../src/fs/errors.js';

/** OpenSSH's fingerprint form: SHA256:<base64 without padding>. */
export function fingerprint(key: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(key).digest('base64').replace(/=+$/, '');
}

/** The name a known_hosts line uses for host:port: the bare host on port 22, else [host]:port. */
function hostName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

function matchesPattern(pattern: string, name: string): boolean {
  if (pattern.startsWith('|1|')) {
    const [, , salt, hash] = pattern.split('|');
    if (!salt || !hash) return false;
    return createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64') === hash;
  }
  const re = new RegExp('^' + pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$', 'i');
  return re.test(name);
}

function hostMatches(field: string, name: string): boolean {
  let hit = false;
  for (const p of field.split(',')) {
    if (p.startsWith('!')) {
      if (matchesPattern(p.slice(1), name)) return false;
    } else if (matchesPattern(p, name)) hit = true;
  }
  return hit;
}

export interface KnownHosts {
  /** The key blobs the file accepts for the host (empty: the host is unknown). */
  accepted: Buffer[];
  revoked: Buffer[];
}

/** Reads the keys a known_hosts file lists for host:port. */
export function readKnownHosts(file: string, host: string, port: number): KnownHosts {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw fsError('config', `known_hosts_file ${file}: cannot be read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  const name = hostName(host, port);
  const out: KnownHosts = { accepted: [], revoked: [] };
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const fields = line.split(/\s+/);
    let marker: string | undefined;
    if (fields[0]!.startsWith('@')) marker = fields.shift();
    const [hosts, , b64] = fields;
    if (!hosts || !b64 || !hostMatches(hosts, name)) continue;
    const blob = Buffer.from(b64, 'base64');
    // CA lines sign certificates, which plain host keys are not: they never match here.
    if (marker === '@cert-authority') continue;
    (marker === '@revoked' ? out.revoked : out.accepted).push(blob);
  }
  return out;
}

/** Why the server's key is refused, or undefined when known_hosts accepts it. */
export function hostKeyProblem(file: string, host: string, port: number, key: Buffer): string | undefined {
  const known = readKnownHosts(file, host, port);
  const fp = fingerprint(key);
  if (known.revoked.some((k) => k.equals(key))) return `the host key of ${hostName(host, port)} (${fp}) is marked revoked in ${file}`;
  if (known.accepted.some((k) => k.equals(key))) return undefined;
  if (known.accepted.length === 0) return `${hostName(host, port)} is not a known host in ${file}: its host key is ${fp}`;
  return `the host key of ${hostName(host, port)} does not match ${file}: the server offered ${fp} (it may have changed, or someone may be intercepting the connection)`;
}
