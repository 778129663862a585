/**
 * The shape of the code, checked: no import cycles (type-only imports included, so that
 * modules that only describe each other still have one direction), and the layers point
 * one way — fs/ and lib/ at the bottom, backends beside each other and below the engine.
 */
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '../..');

function sources(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts'))
    .map((e) => path.relative(ROOT, path.join(e.parentPath, e.name)));
}

/** Relative imports of a file (value and type, static and dynamic), as repo paths. */
function importsOf(file: string): string[] {
  const text = readFileSync(path.join(ROOT, file), 'utf8');
  const out: string[] = [];
  const re = /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+'(\.[^']+)'|import\(\s*'(\.[^']+)'\s*\)/g;
  for (let m; (m = re.exec(text)); ) {
    const spec = (m[1] ?? m[2])!;
    out.push(path.join(path.dirname(file), spec).replace(/\.js$/, '.ts'));
  }
  return out;
}

const files = [...sources('src'), ...sources('backends')];
const graph = new Map(files.map((f) => [f, importsOf(f)]));

/** Every cycle's members (strongly connected components of more than one file, or a self-import). */
function cycles(): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(scc.sort());
    }
  };
  for (const f of files) if (!idx.has(f)) visit(f);
  return found;
}

/** Imports from `from` (a folder prefix) into any of `banned` (folder prefixes). */
function crossings(from: string, banned: string[]): string[] {
  const out: string[] = [];
  for (const [f, deps] of graph) {
    if (!f.startsWith(from)) continue;
    for (const d of deps) if (banned.some((b) => d.startsWith(b))) out.push(`${f} -> ${d}`);
  }
  return out;
}

describe('import graph', () => {
  it('reads the imports it checks (a parser that found nothing would pass everything)', () => {
    expect(graph.get('src/sync/sync.ts')).toContain('src/march/march.ts');
    expect(graph.get('backends/s3/fs.ts')).toContain('backends/s3/door.ts');
    expect(files.length).toBeGreaterThan(50);
  });

  it('has no import cycles', () => {
    expect(cycles()).toEqual([]);
  });

  it('keeps src/fs and src/lib at the bottom', () => {
    const above = ['src/cli', 'src/commands', 'src/config', 'src/sync', 'src/march', 'src/operations', 'src/accounting', 'src/filter', 'src/list', 'backends'];
    expect(crossings('src/fs/', above)).toEqual([]);
    expect(crossings('src/lib/', [...above, 'src/fs'])).toEqual([]);
  });

  it('lets backends reach only src/fs and src/lib, and not each other', () => {
    const engine = ['src/cli', 'src/commands', 'src/config', 'src/sync', 'src/march', 'src/operations', 'src/accounting', 'src/filter', 'src/list'];
    expect(crossings('backends/local/', [...engine, 'backends/s3'])).toEqual([]);
    expect(crossings('backends/s3/', [...engine, 'backends/local'])).toEqual([]);
  });

  it('keeps listing in one place: the march and the walk both read src/list, not each other', () => {
    expect(crossings('src/operations/', ['src/march'])).toEqual([]);
    expect(crossings('src/march/', ['src/operations', 'src/sync'])).toEqual([]);
  });

  it('keeps the S3 helpers on the door, not on S3Fs', () => {
    for (const helper of ['copy', 'object', 'upload', 'listing', 'door', 'client', 'errors']) {
      expect(graph.get(`backends/s3/${helper}.ts`) ?? [], helper).not.toContain('backends/s3/fs.ts');
    }
  });
});
