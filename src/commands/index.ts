import type { CommandDef } from '../cli/command.js';
import { loadAllCommands } from '../cli/command-list.js';

/**
 * Every command, in the order `nclone help` lists them, all loaded. The CLI itself loads
 * only the command it runs (src/cli/command-list.ts, the one list of names); this is for
 * whatever needs them all at once.
 */
export const COMMANDS: CommandDef[] = await loadAllCommands();
