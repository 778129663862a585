/**
 * Carries out the wizard's actions on the config file: every accepted change is written at
 * once through editConfig (locked, atomic, mode 0600, comments kept, an encrypted file
 * stays encrypted), and the connectivity check lists the root of a remote not saved yet.
 */
import { remoteSource } from '../remote-source.js';
import type { Env } from '../config.js';
import { ConfigDocument } from '../document.js';
import type { Registry } from '../../fs/registry.js';
import { errorMessage, fsError } from '../../fs/errors.js';
import { newFs } from '../../fs/newfs.js';
import { editConfig, requireRemote } from '../remotes.js';
import { loadConfig, type PasswordSource } from '../store.js';
import type { Action, ActionResult, Snapshot } from './types.js';

export interface ApplyOptions {
  file: string;
  registry: Registry;
  env: Env;
  passwords: PasswordSource;
  /** How long the connectivity check may take. */
  testTimeoutMs?: number;
}

/** The config file as the wizard uses it; the password, once known, is not asked again. */
export class WizardConfig {
  private password: string | undefined;

  constructor(private readonly o: ApplyOptions) {}

  /** Reads the file (asking for its password if it is encrypted). */
  async snapshot(): Promise<Snapshot> {
    const loaded = await loadConfig(this.o.file, this.source());
    this.password = loaded.password;
    return snapshotOf(loaded.doc, loaded.password !== undefined);
  }

  async perform(action: Action): Promise<ActionResult> {
    try {
      if (action.kind === 'test') return await this.test(action.name, action.values);
      let message: string | undefined;
      let password = this.password;
      const snapshot = await editConfig(this.o.file, this.source(), (loaded) => {
        if (action.kind === 'rename') loaded.doc = renamed(loaded.doc, action.from, action.to, this.o.file);
        const doc = loaded.doc;
        message = change(doc, action, this.o.file);
        if (action.kind === 'setPassword') loaded.password = action.password;
        if (action.kind === 'removePassword') {
          if (loaded.password === undefined) throw fsError('usage', `config file ${this.o.file} is not encrypted`);
          loaded.password = undefined;
        }
        password = loaded.password;
        return snapshotOf(doc, loaded.password !== undefined);
      });
      this.password = password;
      return { ok: true, snapshot, message };
    } catch (err) {
      return { ok: false, snapshot: await this.snapshot().catch(() => ({ remotes: [], encrypted: this.password !== undefined })), error: errorMessage(err) };
    }
  }

  private source(): PasswordSource {
    if (this.password === undefined) return this.o.passwords;
    return { ...this.o.passwords, env: { ...this.o.passwords.env, NCLONE_CONFIG_PASS: this.password } };
  }

  /**
   * An lsd of the root of `name` configured as `values`, in a copy of the file's
   * remotes (the file is not touched), reported in one line.
   */
  private async test(name: string, values: Record<string, string>): Promise<ActionResult> {
    const loaded = await loadConfig(this.o.file, this.source());
    const snapshot = snapshotOf(loaded.doc, loaded.password !== undefined);
    const doc = ConfigDocument.parse(loaded.doc.toString());
    doc.deleteSection(name);
    for (const [k, v] of Object.entries(values)) doc.set(name, k, v);
    const resolver = { registry: this.o.registry, remotes: remoteSource(doc, this.o.file, this.o.env), configFile: this.o.file, env: this.o.env, backendFlags: {} };
    const timeout = this.o.testTimeoutMs ?? 30_000;
    let timer: NodeJS.Timeout | undefined;
    try {
      const listed = (async () => {
        const { fs } = await newFs(`${name}:`, resolver);
        try {
          return await fs.list('');
        } finally {
          await fs.close?.();
        }
      })();
      const expired = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(fsError('other', `no answer within ${timeout / 1000}s`)), timeout);
      });
      const entries = await Promise.race([listed, expired]);
      const dirs = entries.filter((e) => e.kind === 'dir').length;
      return { ok: true, snapshot, message: `Test of ${name}: OK: the root lists ${dirs} director${dirs === 1 ? 'y' : 'ies'} (buckets) and ${entries.length - dirs} file${entries.length - dirs === 1 ? '' : 's'}.` };
    } catch (err) {
      return { ok: false, snapshot, error: errorMessage(err).split('\n')[0]! };
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Applies a file change to the document; returns the line to show. */
function change(doc: ConfigDocument, action: Action, file: string): string | undefined {
  const mustBeFree = (name: string) => {
    if (doc.has(name)) throw fsError('usage', `remote "${name}" already exists in ${file}`);
  };
  switch (action.kind) {
    case 'create':
      mustBeFree(action.name);
      for (const [k, v] of Object.entries(action.values)) doc.set(action.name, k, v);
      return `Remote "${action.name}" saved in ${file}.`;
    case 'update': {
      const current = requireRemote(doc, action.name, file);
      for (const k of Object.keys(current)) if (!(k in action.values)) doc.deleteKey(action.name, k);
      for (const [k, v] of Object.entries(action.values)) if (current[k] !== v) doc.set(action.name, k, v);
      return `Remote "${action.name}" saved in ${file}.`;
    }
    case 'delete':
      requireRemote(doc, action.name, file);
      doc.deleteSection(action.name);
      return `Remote "${action.name}" deleted.`;
    case 'rename':
      return `Remote "${action.from}" renamed to "${action.to}".`;
    case 'copy': {
      const values = requireRemote(doc, action.from, file);
      mustBeFree(action.to);
      for (const [k, v] of Object.entries(values)) doc.set(action.to, k, v);
      return `Remote "${action.from}" copied to "${action.to}".`;
    }
    case 'setPassword':
      return `The config file is now encrypted.`;
    case 'removePassword':
      return `The config file is no longer encrypted.`;
    case 'test':
      return undefined;
  }
}

/** The document with a section renamed where it stands, so its comments and place are kept. */
function renamed(doc: ConfigDocument, from: string, to: string, file: string): ConfigDocument {
  requireRemote(doc, from, file);
  if (doc.has(to)) throw fsError('usage', `remote "${to}" already exists in ${file}`);
  const lines = doc.toString().split('\n');
  const text = lines.map((l) => (/^\s*\[(.*)\]\s*$/.exec(l)?.[1]?.trim() === from ? `[${to}]` : l)).join('\n');
  return ConfigDocument.parse(text);
}

function snapshotOf(doc: ConfigDocument, encrypted: boolean): Snapshot {
  return { remotes: doc.sections().map((name) => ({ name, values: doc.get(name) ?? {} })), encrypted };
}
