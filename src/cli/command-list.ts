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
  { name: 'ls', load: async () => (await import('../commands/ls.js')).ls },
  { name: 'lsl', load: async () => (await import('../commands/lsl.js')).lsl },
  { name: 'lsd', load: async () => (await import('../commands/lsd.js')).lsd },
  { name: 'mkdir', load: async () => (await import('../commands/mkdir.js')).mkdir },
  { name: 'cleanup', load: async () => (await import('../commands/cleanup.js')).cleanup },
  { name: 'config', load: async () => (await import('../commands/config/index.js')).config },
  { name: 'listremotes', load: async () => (await import('../commands/listremotes.js')).listremotes },
  { name: 'version', load: async () => (await import('../commands/version.js')).version },
];

/** Every command's definition, for the pages that list them all (`nclone help`). */
export function loadAllCommands(): Promise<CommandDef[]> {
  return Promise.all(COMMAND_LIST.map((c) => c.load()));
}
