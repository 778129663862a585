import type { BackendDef } from '../../fs/registry.js';
import { isSecret, redact, type OptionDef } from '../../fs/options.js';
import { sectionText } from '../remotes.js';
import { defaultText } from './answers.js';
import { examplesFor } from './rules.js';
import type { Choice, Draft, Question, Snapshot, Stage } from './types.js';

const TYPE_HINT: Partial<Record<OptionDef['type'], string>> = {
  bool: 'A boolean: true or false.',
  int: 'A whole number.',
  size: 'A size, e.g. 512K, 64M or 1Gi (a bare number is KiB).',
  duration: 'A duration, e.g. 30s, 5m or 1h30m.',
};

function menu(keys: [string, string][]): Choice[] {
  return keys.map(([key, label]) => ({ key, value: key, label }));
}

function numbered(items: { value: string; label: string }[]): Choice[] {
  return items.map((it, i) => ({ key: String(i + 1), value: it.value, label: it.label }));
}

export function mainMenu(snapshot: Snapshot): Question {
  if (snapshot.remotes.length === 0) {
    return {
      kind: 'select',
      message: 'n/s/q',
      help: ['No remotes found, make a new one?'],
      choices: menu([
        ['n', 'New remote'],
        ['s', 'Set configuration password'],
        ['q', 'Quit config'],
      ]),
    };
  }
  const width = Math.max(20, ...snapshot.remotes.map((r) => r.name.length + 1));
  const table = snapshot.remotes.map((r) => `${r.name.padEnd(width)} ${r.values.type ?? '(no type)'}`);
  return {
    kind: 'select',
    message: 'e/n/d/r/c/s/q',
    help: ['Current remotes:', '', `${'Name'.padEnd(width)} Type`, `${'===='.padEnd(width)} ====`, ...table, ''],
    choices: menu([
      ['e', 'Edit existing remote'],
      ['n', 'New remote'],
      ['d', 'Delete remote'],
      ['r', 'Rename remote'],
      ['c', 'Copy remote'],
      ['s', 'Set configuration password'],
      ['q', 'Quit config'],
    ]),
  };
}

const PICK_HELP = { edit: 'Which remote do you want to edit?', delete: 'Which remote do you want to delete?', rename: 'Which remote do you want to rename?', copy: 'Which remote do you want to copy?' };

export function pickRemote(snapshot: Snapshot, purpose: keyof typeof PICK_HELP): Question {
  return {
    kind: 'input',
    message: 'remote',
    help: [PICK_HELP[purpose], 'Type its number or its name.'],
    choices: numbered(snapshot.remotes.map((r) => ({ value: r.name, label: r.values.type ?? '' }))),
  };
}

export function remoteName(stage: Extract<Stage, { at: 'name' }>): Question {
  const help =
    stage.purpose === 'new' ? 'Enter a name for the new remote.' : stage.purpose === 'rename' ? `Enter the new name for "${stage.from}".` : `Enter a name for the copy of "${stage.from}".`;
  return { kind: 'input', message: 'name', help: [help, 'Letters, digits, _ - . + @ and spaces inside the name.'] };
}

export function storageType(backends: readonly BackendDef[]): Question {
  return {
    kind: 'input',
    message: 'Storage',
    help: ['Option Storage: the type of storage to configure.', 'Pick a number from the list below or type the name of the type.'],
    choices: numbered(backends.map((b) => ({ value: b.name, label: b.description }))),
  };
}

/** An option's question: its help, the examples for the chosen provider, and what Enter gives. */
export function optionQuestion(opt: OptionDef, values: Record<string, string>): Question {
  const current = values[opt.name];
  const examples = examplesFor(opt, values);
  const help = [`Option ${opt.name}: ${opt.help}`];
  const typeHint = TYPE_HINT[opt.type];
  if (typeHint) help.push(typeHint);
  if (examples.length) help.push(opt.type === 'enum' ? 'Pick a number from the list below or type one of the values.' : 'Pick a number from the list below or type a value of your own.');
  let hint: string;
  if (opt.obscured) hint = 'What you type is not shown; it is stored obscured, as rclone stores it. Leave blank for none.';
  else if (isSecret(opt)) hint = 'What you type is not shown. Leave blank for none.';
  else if (current !== undefined) hint = `Leave blank to keep the current value (${current}).`;
  else hint = defaultText(opt) === '' ? 'Leave blank for none.' : `Leave blank for the default (${defaultText(opt)}).`;
  return {
    kind: isSecret(opt) ? 'password' : 'input',
    message: opt.name,
    help,
    hint,
    choices: examples.length ? numbered(examples.map((e) => ({ value: e.value, label: e.help }))) : undefined,
    default: isSecret(opt) ? undefined : (current ?? defaultText(opt)),
    option: opt.name,
  };
}

export function secretKeep(opt: OptionDef, value: string): Question {
  return {
    kind: 'confirm',
    message: `Change ${opt.name}?`,
    help: [`Option ${opt.name}: ${opt.help}`, `It is set (${redact(value)}).`],
    default: 'n',
    option: opt.name,
  };
}

export function secretValue(opt: OptionDef): Question {
  return { kind: 'password', message: opt.name, help: [`Type the new ${opt.name}; it is not shown. Leave blank to remove it.`], option: opt.name };
}

export function advancedConfirm(): Question {
  return { kind: 'confirm', message: 'Edit advanced config?', help: ['The advanced options are rarely needed; their defaults suit most setups.'], default: 'n' };
}

/** The remote as it will be written, secrets hidden, with keep / edit / delete. */
export function review(draft: Draft, values: Record<string, string>): Question {
  const section = sectionText(draft.name, values).trimEnd().split('\n');
  return {
    kind: 'select',
    message: 'y/e/d',
    help: ['The remote as it will be written:', '', ...section, '', `Keep this "${draft.name}" remote?`],
    choices: menu([
      ['y', 'Yes this is OK'],
      ['e', 'Edit this remote'],
      ['d', 'Delete this remote'],
    ]),
    default: 'y',
  };
}

export function confirmDelete(name: string): Question {
  return { kind: 'confirm', message: `Delete remote "${name}"?`, help: [`Its section is removed from the config file; this can't be undone.`], default: 'n' };
}

export function passwordMenu(encrypted: boolean): Question {
  if (!encrypted) {
    return {
      kind: 'select',
      message: 'a/q',
      help: ['The config file is not encrypted: anyone who can read it can read its keys.'],
      choices: menu([
        ['a', 'Add a password (encrypt the config file)'],
        ['q', 'Back to the main menu'],
      ]),
      default: 'q',
    };
  }
  return {
    kind: 'select',
    message: 'c/u/q',
    help: ['The config file is encrypted.'],
    choices: menu([
      ['c', 'Change the password'],
      ['u', 'Remove the password (store the file unencrypted)'],
      ['q', 'Back to the main menu'],
    ]),
    default: 'q',
  };
}

export function newPassword(): Question {
  return {
    kind: 'password',
    message: 'New configuration password',
    help: ['The whole file is encrypted as rclone does it, so rclone opens it with the same password.', 'Without the password the file cannot be read: keep it safe.'],
  };
}

export function confirmPassword(): Question {
  return { kind: 'password', message: 'Confirm the configuration password', help: ['Type the same password again.'] };
}

export function testConfirm(name: string): Question {
  return {
    kind: 'confirm',
    message: 'Test the remote before saving it?',
    help: [`Lists the root of ${name}: with these settings, to check that they work. Nothing is saved until then.`],
    default: 'y',
  };
}

/** After a failed check: the remote is not saved yet. */
export function testFailed(name: string): Question {
  return {
    kind: 'select',
    message: 'e/k/q',
    help: [`"${name}" is not saved yet.`],
    choices: menu([
      ['e', 'Edit this remote'],
      ['k', 'Keep it anyway (save it as it is)'],
      ['q', 'Quit config without saving it'],
    ]),
    default: 'e',
  };
}
