/**
 * Runs `nclone config` in tmux and answers its prompts in order, as a person types them.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ConfigDocument } from '../../src/config/document.js';
import { TmuxProgram } from './tmux.js';

export const NCLONE_BIN = fileURLToPath(new URL('../../bin/nclone', import.meta.url));

/** The prompt as the terminal shows it (its start is enough), and what is typed there. */
export type Step = [prompt: string, typed: string];

/** The calling environment without nclone, rclone, AWS or tmux settings, with a private home. */
export function terminalEnv(home: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(NCLONE_|RCLONE_|AWS_|TMUX)/.test(k)) env[k] = v;
  return { ...env, HOME: home, XDG_CONFIG_HOME: `${home}/.config`, AWS_EC2_METADATA_DISABLED: 'true', LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8', ...extra };
}

export interface SessionResult {
  code: number;
  screen: string;
}

/** One `nclone config --config FILE` session in its own tmux server, answered step by step. */
export async function configSession(file: string, home: string, steps: Step[], extraEnv: Record<string, string> = {}): Promise<SessionResult> {
  const term = new TmuxProgram(terminalEnv(home, extraEnv));
  try {
    await term.start(['node', NCLONE_BIN, 'config', '--config', file], home);
    for (const [prompt, typed] of steps) await term.answer(prompt, typed);
    const code = await term.exitCode();
    return { code, screen: await term.screen() };
  } finally {
    await term.stop();
  }
}

/** The file's remotes, section by section. */
export function sections(file: string): Record<string, Record<string, string>> {
  const doc = ConfigDocument.parse(readFileSync(file, 'utf8'));
  return Object.fromEntries(doc.sections().map((s) => [s, doc.get(s)!]));
}

export { run as runProgram, type RunResult as Ran } from '../helpers/run.js';
