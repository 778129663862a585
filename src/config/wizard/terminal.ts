/**
 * The terminal front end of the wizard: shows the machine's questions with inquirer and
 * carries out its actions on the config file. All decisions are in machine.ts.
 */
import inquirer from 'inquirer';
import type { CommandEnv } from '../../cli/command.js';
import { WizardConfig } from './apply.js';
import { runSession, type WizardIO } from './session.js';
import type { Choice, Question } from './types.js';

export async function runWizard(env: CommandEnv): Promise<void> {
  const config = new WizardConfig({ file: env.resolver.configFile, registry: env.resolver.registry, env: env.resolver.env, passwords: env.passwords });
  const io: WizardIO = {
    print: (lines) => write(lines),
    ask: (question) => ask(question),
    perform: (action) => config.perform(action),
  };
  try {
    await runSession({ backends: env.resolver.registry.all() }, await config.snapshot(), io);
  } catch (err) {
    // Ctrl-C at a prompt: leave quietly; every accepted change is already saved.
    if (err instanceof Error && err.name === 'ExitPromptError') return write(['']);
    throw err;
  }
}

function write(lines: string[]): void {
  process.stdout.write(lines.map((l) => l + '\n').join(''));
}

/** The numbered examples of an input question, one per line: number, value, what it means. */
export function renderChoices(choices: Choice[]): string[] {
  const shown = (v: string) => (v === '' ? '""' : v);
  const width = Math.min(32, Math.max(...choices.map((c) => shown(c.value).length)));
  const keyWidth = String(choices.length).length;
  return choices.map((c) => `${c.key.padStart(keyWidth + 1)}) ${shown(c.value).padEnd(width)}${c.label ? '  ' + c.label : ''}`);
}

async function ask(q: Question): Promise<string> {
  const lines = [''];
  if (q.error) lines.push(`Error: ${q.error}`);
  lines.push(...q.help);
  if (q.kind === 'input' && q.choices?.length) lines.push(...renderChoices(q.choices));
  if (q.hint) lines.push(q.hint);
  write(lines);
  switch (q.kind) {
    case 'select': {
      const choices = (q.choices ?? []).map((c) => ({ key: c.key, value: c.key, name: c.label }));
      const a = await inquirer.prompt<{ v: string }>([{ type: 'rawlist', name: 'v', message: `${q.message}>`, choices, default: q.default }]);
      return a.v;
    }
    case 'input': {
      const a = await inquirer.prompt<{ v: string }>([{ type: 'input', name: 'v', message: `${q.message}>`, default: q.default || undefined }]);
      return a.v;
    }
    case 'password': {
      const a = await inquirer.prompt<{ v: string }>([{ type: 'password', name: 'v', message: `${q.message}>`, mask: '*' }]);
      return a.v;
    }
    case 'confirm': {
      const a = await inquirer.prompt<{ v: boolean }>([{ type: 'confirm', name: 'v', message: q.message, default: q.default === 'y' }]);
      return a.v ? 'y' : 'n';
    }
  }
}
