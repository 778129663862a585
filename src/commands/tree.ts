import type { CommandDef } from '../cli/command.js';
import { fsError } from '../fs/errors.js';
import { printTree, type TreeSort } from '../operations/list-tree.js';

const SORTS: Record<string, TreeSort> = { name: 'name', version: 'version', size: 'size', mtime: 'mtime' };

export const tree: CommandDef = {
  name: 'tree',
  args: ['remote:path'],
  summary: 'Draw the files and directories below the path as tree(1) does.',
  description:
    'Draws the path as the Unix tree command does: "/" for the path itself, then its directories and files with ├── └── │ branches, each directory sorted by name, and a last line "N directories, M files". ' +
    'Names starting with "." are left out unless -a is given. --level N descends N levels (--max-depth too). -s and --human-readable show sizes (a directory\'s is the total of the files shown below it, "???" when --level cut it short), -D the modification time of files. Filters and --fast-list apply.',
  flags: [
    { spec: '-a, --all', help: 'All files are listed (list . files too)' },
    { spec: '-d, --dirs-only', help: 'List directories only' },
    { spec: '--full-path', help: 'Print the full path prefix for each file' },
    { spec: '--noreport', help: 'Turn off file/directory count at end of tree listing' },
    { spec: '--level <n>', help: 'Descend only level directories deep' },
    { spec: '-s, --size', help: 'Print the size in bytes of each file' },
    { spec: '--human-readable', help: 'Print sizes in a human readable form (2.0K, 15M)' },
    { spec: '-D, --modtime', help: 'Print the date of last modification' },
    { spec: '-Q, --quote', help: 'Quote filenames with double quotes' },
    { spec: '-C, --color', help: 'Colourise names (only when stdout is a terminal, and never with NO_COLOR set)' },
    { spec: '--noindent', help: "Don't print indentation lines" },
    { spec: '-U, --unsorted', help: 'Leave files unsorted' },
    { spec: '-t, --sort-modtime', help: 'Sort files by last modification time' },
    { spec: '-r, --sort-reverse', help: 'Reverse the order of the sort' },
    { spec: '--dirsfirst', help: 'List directories before files (-U disables)' },
    { spec: '--sort <how>', help: 'Select sort: name, version, size or mtime' },
  ],
  examples: [
    { command: 'nclone tree s3remote:my-bucket' },
    { note: 'Two levels, with sizes', command: 'nclone tree --level 2 -s ~/docs' },
    { note: 'Only directories, hidden ones too', command: 'nclone tree -d -a ~/docs' },
  ],
  run: async (env, [path]) => {
    const f = env.flags;
    const level = levelFrom(f.level, env.ctx.opt.maxDepth);
    const sort = sortFrom(f);
    const dirsOnly = f.dirsOnly === true;
    const noColor = (process.env.NO_COLOR ?? '') !== '';
    const { fs, file } = await env.fs(path!);
    const counts = await printTree(
      env.ctx,
      fs,
      file,
      {
        all: f.all === true,
        dirsOnly,
        fullPath: f.fullPath === true,
        level,
        sizes: f.humanReadable === true ? 'human' : f.size === true ? 'bytes' : undefined,
        modTimes: f.modtime === true,
        quote: f.quote === true,
        noIndent: f.noindent === true,
        sort,
        reverse: f.sortReverse === true,
        color: f.color === true && process.stdout.isTTY === true && !noColor,
      },
      (line) => env.out(line),
    );
    if (f.noreport === true) return;
    await env.out('');
    await env.out(`${counts.dirs} directories${dirsOnly ? '' : `, ${counts.files} files`}`);
  },
};

/** --level N, else --max-depth; none (-1) when neither is a positive number. */
function levelFrom(value: unknown, maxDepth: number): number {
  if (value !== undefined) {
    const s = String(value).trim();
    if (!/^\d+$/.test(s)) throw fsError('usage', `invalid value "${s}" for --level: must be a whole number of 0 or more`);
    const n = Number(s);
    if (n > 0) return n;
  }
  return maxDepth > 0 ? maxDepth : -1;
}

/** The order within each directory: the Unix tree's precedence, mtime over dirsfirst over --sort. */
function sortFrom(f: Record<string, unknown>): TreeSort | undefined {
  let chosen: TreeSort | undefined;
  if (typeof f.sort === 'string') {
    if (f.sort === 'ctime') throw fsError('usage', '--sort ctime is not supported: remotes have no change times; use name, version, size or mtime');
    chosen = SORTS[f.sort];
    if (!chosen) throw fsError('usage', `invalid value "${f.sort}" for --sort: use name, version, size or mtime`);
  }
  if (f.unsorted === true) return undefined;
  if (f.sortModtime === true || chosen === 'mtime') return 'mtime';
  if (f.dirsfirst === true) return 'dirsfirst';
  return chosen ?? 'name';
}
