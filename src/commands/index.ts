import type { CommandDef } from '../cli/command.js';
import { cleanup } from './cleanup.js';
import { config } from './config/index.js';
import { copy } from './copy.js';
import { listremotes } from './listremotes.js';
import { ls } from './ls.js';
import { lsd } from './lsd.js';
import { lsl } from './lsl.js';
import { mkdir } from './mkdir.js';
import { sync } from './sync.js';
import { version } from './version.js';

/** Every command, in the order `nclone help` lists them. */
export const COMMANDS: CommandDef[] = [copy, sync, ls, lsl, lsd, mkdir, cleanup, config, listremotes, version];
