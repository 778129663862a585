import type { CommandDef } from './command.js';

/**
 * Every command by name, in the order `nclone help` lists them, each loaded only when
 * asked for: a command's module pulls in what it runs (the sync engine, the config
 * editor, ...), and a run needs one command, not all of them.
 */
export interface CommandEntry {
  name: string;
  load(): Promise<CommandDef>;
}

export const COMMAND_LIST: CommandEntry[] = [
  { name: 'copy', load: async () => (await import('../commands/copy.js')).copy },
  { name: 'sync', load: async () => (await import('../commands/sync.js')).sync },
  { name: 'move', load: async () => (await import('../commands/move.js')).move },
  { name: 'copyto', load: async () => (await import('../commands/copyto.js')).copyto },
  { name: 'moveto', load: async () => (await import('../commands/moveto.js')).moveto },
  { name: 'ls', load: async () => (await import('../commands/ls.js')).ls },
  { name: 'lsl', load: async () => (await import('../commands/lsl.js')).lsl },
  { name: 'lsd', load: async () => (await import('../commands/lsd.js')).lsd },
  { name: 'lsf', load: async () => (await import('../commands/lsf.js')).lsf },
  { name: 'lsjson', load: async () => (await import('../commands/lsjson.js')).lsjson },
  { name: 'tree', load: async () => (await import('../commands/tree.js')).tree },
  { name: 'size', load: async () => (await import('../commands/size.js')).size },
  { name: 'cat', load: async () => (await import('../commands/cat.js')).cat },
  { name: 'rcat', load: async () => (await import('../commands/rcat.js')).rcat },
  { name: 'touch', load: async () => (await import('../commands/touch.js')).touch },
  { name: 'mkdir', load: async () => (await import('../commands/mkdir.js')).mkdir },
  { name: 'rmdir', load: async () => (await import('../commands/rmdir.js')).rmdir },
  { name: 'rmdirs', load: async () => (await import('../commands/rmdirs.js')).rmdirs },
  { name: 'delete', load: async () => (await import('../commands/delete.js')).deleteCmd },
  { name: 'deletefile', load: async () => (await import('../commands/deletefile.js')).deletefile },
  { name: 'purge', load: async () => (await import('../commands/purge.js')).purge },
  { name: 'cleanup', load: async () => (await import('../commands/cleanup.js')).cleanup },
  { name: 'check', load: async () => (await import('../commands/check.js')).check },
  { name: 'checksum', load: async () => (await import('../commands/checksum.js')).checksum },
  { name: 'md5sum', load: async () => (await import('../commands/md5sum.js')).md5sum },
  { name: 'sha1sum', load: async () => (await import('../commands/sha1sum.js')).sha1sum },
  { name: 'hashsum', load: async () => (await import('../commands/hashsum.js')).hashsum },
  { name: 'link', load: async () => (await import('../commands/link.js')).link },
  { name: 'settier', load: async () => (await import('../commands/settier.js')).settier },
  { name: 'backend', load: async () => (await import('../commands/backend.js')).backend },
  { name: 'about', load: async () => (await import('../commands/about.js')).about },
  { name: 'config', load: async () => (await import('../commands/config/index.js')).config },
  { name: 'listremotes', load: async () => (await import('../commands/listremotes.js')).listremotes },
  { name: 'obscure', load: async () => (await import('../commands/obscure.js')).obscure },
  { name: 'reveal', load: async () => (await import('../commands/obscure.js')).reveal },
  { name: 'completion', load: async () => (await import('../commands/completion.js')).completionFor(loadAllCommands) },
  { name: 'version', load: async () => (await import('../commands/version.js')).version },
];

/** Every command's definition, for the pages that list them all (`nclone help`). */
export function loadAllCommands(): Promise<CommandDef[]> {
  return Promise.all(COMMAND_LIST.map((c) => c.load()));
}
