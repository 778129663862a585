/**
 * The config wizard as a state machine over the backends' option tables. Pure functions:
 * start() and answer() take a state and return the next Turn (a question to ask, an action
 * for the front end to carry out, or done); resume() takes the action's result. Nothing
 * here reads a terminal or a file, so tests drive it answer by answer.
 */
import type { BackendDef } from '../../fs/registry.js';
import { errorMessage } from '../../fs/errors.js';
import { isSecret, redact } from '../../fs/options.js';
import { checkRemoteName } from '../remotes.js';
import { defaultText, parseAnswer, parseYes, store } from './answers.js';
import * as q from './questions.js';
import { examplesFor, isAsked } from './rules.js';
import type { Action, ActionResult, Draft, Phase, Question, Snapshot, Stage, State, Turn } from './types.js';

export interface MachineContext {
  backends: readonly BackendDef[];
}

export function start(ctx: MachineContext, snapshot: Snapshot): Turn {
  return ask(ctx, { snapshot, stage: { at: 'menu' } });
}

/** The question the state is waiting on. */
export function question(ctx: MachineContext, state: State): Question {
  const s = state.stage;
  const draft = state.draft;
  switch (s.at) {
    case 'menu':
      return q.mainMenu(state.snapshot);
    case 'pick':
      return q.pickRemote(state.snapshot, s.purpose);
    case 'name':
      return q.remoteName(s);
    case 'type':
      return q.storageType(ctx.backends);
    case 'option':
      return q.optionQuestion(optionAt(ctx, draft, s.index), draft!.values);
    case 'secretKeep': {
      const opt = optionAt(ctx, draft, s.index);
      return q.secretKeep(opt, draft!.values[opt.name] ?? '');
    }
    case 'secretValue':
      return q.secretValue(optionAt(ctx, draft, s.index));
    case 'advanced':
      return q.advancedConfirm();
    case 'review':
      return q.review(draft!, shown(ctx, draft!));
    case 'confirmDelete':
      return q.confirmDelete(s.name);
    case 'passwordMenu':
      return q.passwordMenu(state.snapshot.encrypted);
    case 'password1':
      return q.newPassword();
    case 'password2':
      return q.confirmPassword();
    case 'test':
      return q.testConfirm(s.name);
    case 'testFailed':
      return q.testFailed(s.name);
    case 'wait':
    case 'done':
      throw new Error(`internal: the wizard asks nothing while at "${s.at}"`);
  }
}

/** Applies one answer to the question the state is waiting on. */
export function answer(ctx: MachineContext, state: State, text: string): Turn {
  const s = state.stage;
  switch (s.at) {
    case 'menu':
      return onMenu(ctx, state, text);
    case 'pick':
      return onPick(ctx, state, s.purpose, text);
    case 'name':
      return onName(ctx, state, s, text);
    case 'type':
      return onType(ctx, state, text);
    case 'option':
      return onOption(ctx, state, s.index, s.phase, text);
    case 'secretKeep':
      return yesNo(ctx, state, text, false, (yes) => (yes ? ask(ctx, { ...state, stage: { at: 'secretValue', index: s.index, phase: s.phase } }) : advance(ctx, state, s.index, s.phase)));
    case 'secretValue': {
      const opt = optionAt(ctx, state.draft, s.index);
      const parsed = parseAnswer(opt, [], text);
      if (!parsed.ok) return ask(ctx, state, [], parsed.error);
      return advance(ctx, withValues(state, store(state.draft!.values, opt, parsed.value ?? '')), s.index, s.phase);
    }
    case 'advanced':
      return yesNo(ctx, state, text, false, (yes) => (yes ? advance(ctx, state, -1, 'advanced') : ask(ctx, { ...state, stage: { at: 'review' } })));
    case 'review':
      return onReview(ctx, state, text);
    case 'confirmDelete':
      return yesNo(ctx, state, text, false, (yes) => (yes ? act(state, { kind: 'delete', name: s.name }) : menu(ctx, state)));
    case 'passwordMenu':
      return onPasswordMenu(ctx, state, text);
    case 'password1':
      if (text.trim() === '') return ask(ctx, state, [], 'the password is empty: type one');
      return ask(ctx, { ...state, stage: { at: 'password2', first: text } });
    case 'password2':
      if (text !== s.first) return ask(ctx, { ...state, stage: { at: 'password1' } }, [], 'the two passwords did not match: type the new password again');
      return act(state, { kind: 'setPassword', password: s.first });
    case 'test':
      return yesNo(ctx, state, text, true, (yes) => (yes ? act(state, { kind: 'test', name: s.name, values: written(ctx, state.draft!) }) : save(ctx, state)));
    case 'testFailed':
      return onTestFailed(ctx, state, text);
    case 'wait':
    case 'done':
      throw new Error(`internal: no question is open at "${s.at}"`);
  }
}

/** Continues after the front end carried out the action the last Turn asked for. */
export function resume(ctx: MachineContext, state: State, result: ActionResult): Turn {
  const s = state.stage;
  if (s.at !== 'wait') throw new Error('internal: no action is running');
  const next: State = { ...state, snapshot: result.snapshot };
  // The check runs on the draft, which is saved only once it passed or the person says so.
  if (s.action === 'test') {
    if (result.ok) return save(ctx, next, result.message ? [result.message] : []);
    return ask(ctx, { ...next, stage: { at: 'testFailed', name: s.name! } }, [`Test of ${s.name}: FAILED: ${result.error}`]);
  }
  if (!result.ok) return menu(ctx, next, [`Error: ${result.error}`]);
  return menu(ctx, next, result.message ? [result.message] : []);
}

// --- transitions -------------------------------------------------------------------------

function ask(ctx: MachineContext, state: State, print: string[] = [], error?: string): Turn {
  const question_ = question(ctx, state);
  return { state, print, ask: error ? { ...question_, error } : question_ };
}

function menu(ctx: MachineContext, state: State, print: string[] = []): Turn {
  return ask(ctx, { snapshot: state.snapshot, stage: { at: 'menu' } }, print);
}

function act(state: State, action: Action, print: string[] = []): Turn {
  const name = action.kind === 'create' || action.kind === 'update' || action.kind === 'test' ? action.name : undefined;
  return { state: { ...state, stage: { at: 'wait', action: action.kind, name } }, print, action };
}

function yesNo(ctx: MachineContext, state: State, text: string, dflt: boolean, then: (yes: boolean) => Turn): Turn {
  const yes = parseYes(text, dflt);
  return yes === undefined ? ask(ctx, state, [], `answer y or n, not "${text.trim()}"`) : then(yes);
}

function onMenu(ctx: MachineContext, state: State, text: string): Turn {
  const key = text.trim().toLowerCase();
  const keys = q.mainMenu(state.snapshot).choices!.map((c) => c.key);
  if (!keys.includes(key)) return ask(ctx, state, [], `type one of ${keys.join(', ')}`);
  const to = (stage: Stage): Turn => ask(ctx, { snapshot: state.snapshot, stage });
  switch (key) {
    case 'e':
      return to({ at: 'pick', purpose: 'edit' });
    case 'd':
      return to({ at: 'pick', purpose: 'delete' });
    case 'r':
      return to({ at: 'pick', purpose: 'rename' });
    case 'c':
      return to({ at: 'pick', purpose: 'copy' });
    case 'n':
      return to({ at: 'name', purpose: 'new' });
    case 's':
      return to({ at: 'passwordMenu' });
    default:
      return { state: { snapshot: state.snapshot, stage: { at: 'done' } }, print: [], done: true };
  }
}

function onPick(ctx: MachineContext, state: State, purpose: 'edit' | 'delete' | 'rename' | 'copy', text: string): Turn {
  const typed = text.trim();
  const remotes = state.snapshot.remotes;
  const n = /^\d+$/.test(typed) ? Number(typed) : 0;
  const remote = n >= 1 && n <= remotes.length ? remotes[n - 1] : remotes.find((r) => r.name === typed);
  if (!remote) return ask(ctx, state, [], typed === '' ? 'type a number from the list or a remote name' : `there is no remote "${typed}": type a number from the list or a remote name`);
  if (purpose === 'delete') return ask(ctx, { ...state, stage: { at: 'confirmDelete', name: remote.name } });
  if (purpose !== 'edit') return ask(ctx, { ...state, stage: { at: 'name', purpose, from: remote.name } });
  const type = remote.values.type ?? '';
  if (!backendOf(ctx, type)) return menu(ctx, state, [`Error: remote "${remote.name}" has type "${type}", which nclone can't edit`]);
  const values = { ...remote.values };
  delete values.type;
  const draft: Draft = { mode: 'edit', name: remote.name, type, values };
  const section = shown(ctx, draft);
  const print = [`Editing remote "${remote.name}":`, ...Object.entries(section).map(([k, v]) => `- ${k}: ${v}`)];
  return advance(ctx, { ...state, draft }, -1, 'basic', print);
}

function onName(ctx: MachineContext, state: State, s: Extract<Stage, { at: 'name' }>, text: string): Turn {
  const name = text.trim();
  if (name === '') return ask(ctx, state, [], 'the name is empty: type one');
  try {
    checkRemoteName(name);
  } catch (err) {
    return ask(ctx, state, [], errorMessage(err));
  }
  if (state.snapshot.remotes.some((r) => r.name === name)) return ask(ctx, state, [], `remote "${name}" already exists: choose another name`);
  if (s.purpose === 'rename') return act(state, { kind: 'rename', from: s.from!, to: name });
  if (s.purpose === 'copy') return act(state, { kind: 'copy', from: s.from!, to: name });
  return ask(ctx, { ...state, draft: { mode: 'new', name, type: '', values: {} }, stage: { at: 'type' } });
}

function onType(ctx: MachineContext, state: State, text: string): Turn {
  const typed = text.trim().toLowerCase();
  const n = /^\d+$/.test(typed) ? Number(typed) : 0;
  const def = n >= 1 && n <= ctx.backends.length ? ctx.backends[n - 1] : ctx.backends.find((b) => b.name === typed);
  if (!def) return ask(ctx, state, [], `unknown storage type "${text.trim()}": type a number or one of ${ctx.backends.map((b) => b.name).join(', ')}`);
  return advance(ctx, { ...state, draft: { ...state.draft!, type: def.name, values: {} } }, -1, 'basic');
}

function onOption(ctx: MachineContext, state: State, index: number, phase: Phase, text: string): Turn {
  const opt = optionAt(ctx, state.draft, index);
  const parsed = parseAnswer(opt, examplesFor(opt, state.draft!.values), text);
  if (!parsed.ok) return ask(ctx, state, [], parsed.error);
  const values = store(state.draft!.values, opt, parsed.value);
  if (opt.required && (values[opt.name] ?? defaultText(opt)) === '') return ask(ctx, state, [], `${opt.name} is required: give a value`);
  return advance(ctx, withValues(state, values), index, phase);
}

/** Goes to the next option worth asking after `after`, then to the advanced question, then to the review. */
function advance(ctx: MachineContext, state: State, after: number, phase: Phase, print: string[] = []): Turn {
  const draft = state.draft!;
  const def = backendOf(ctx, draft.type)!;
  const wanted = (i: number) => Boolean(def.options[i]!.advanced) === (phase === 'advanced') && isAsked(def, def.options[i]!, draft.values);
  for (let i = after + 1; i < def.options.length; i++) {
    if (!wanted(i)) continue;
    const secretSet = isSecret(def.options[i]!) && (draft.values[def.options[i]!.name] ?? '') !== '';
    return ask(ctx, { ...state, stage: { at: secretSet ? 'secretKeep' : 'option', index: i, phase } }, print);
  }
  const hasAdvanced = def.options.some((o) => o.advanced && isAsked(def, o, draft.values));
  if (phase === 'basic' && hasAdvanced) return ask(ctx, { ...state, stage: { at: 'advanced' } }, print);
  return ask(ctx, { ...state, draft: pruned(def, draft), stage: { at: 'review' } }, print);
}

function onReview(ctx: MachineContext, state: State, text: string): Turn {
  const draft = state.draft!;
  const key = text.trim().toLowerCase() || 'y';
  if (key === 'y') return ask(ctx, { ...state, stage: { at: 'test', name: draft.name } });
  if (key === 'e') return advance(ctx, state, -1, 'basic');
  if (key === 'd') return draft.mode === 'new' ? menu(ctx, state, [`Remote "${draft.name}" was not saved.`]) : act(state, { kind: 'delete', name: draft.name });
  return ask(ctx, state, [], 'type y, e or d');
}

/** Writes the draft (new or edited remote) to the file. */
function save(ctx: MachineContext, state: State, print: string[] = []): Turn {
  const draft = state.draft!;
  return act(state, { kind: draft.mode === 'new' ? 'create' : 'update', name: draft.name, values: written(ctx, draft) }, print);
}

function onTestFailed(ctx: MachineContext, state: State, text: string): Turn {
  const key = text.trim().toLowerCase() || 'e';
  if (key === 'e') return advance(ctx, state, -1, 'basic');
  if (key === 'k') return save(ctx, state);
  if (key === 'q') {
    const { mode, name } = state.draft!;
    const print = [mode === 'new' ? `Remote "${name}" was not saved.` : `The changes to remote "${name}" were not saved.`];
    return { state: { snapshot: state.snapshot, stage: { at: 'done' } }, print, done: true };
  }
  return ask(ctx, state, [], 'type e, k or q');
}

function onPasswordMenu(ctx: MachineContext, state: State, text: string): Turn {
  const key = text.trim().toLowerCase();
  const keys = q.passwordMenu(state.snapshot.encrypted).choices!.map((c) => c.key);
  if (key !== '' && !keys.includes(key)) return ask(ctx, state, [], `type one of ${keys.join(', ')}`);
  if (key === 'a' || key === 'c') return ask(ctx, { ...state, stage: { at: 'password1' } });
  if (key === 'u') return act(state, { kind: 'removePassword' });
  return menu(ctx, state);
}

// --- helpers -----------------------------------------------------------------------------

function backendOf(ctx: MachineContext, type: string): BackendDef | undefined {
  return ctx.backends.find((b) => b.name === type);
}

function optionAt(ctx: MachineContext, draft: Draft | undefined, index: number) {
  return backendOf(ctx, draft!.type)!.options[index]!;
}

function withValues(state: State, values: Record<string, string>): State {
  return { ...state, draft: { ...state.draft!, values } };
}

/** A new remote keeps only answers that still matter (an earlier answer may have changed since). */
function pruned(def: BackendDef, draft: Draft): Draft {
  if (draft.mode !== 'new') return draft;
  const values: Record<string, string> = {};
  for (const o of def.options) if (draft.values[o.name] !== undefined && isAsked(def, o, draft.values)) values[o.name] = draft.values[o.name]!;
  return { ...draft, values };
}

/** The section to write: type first, then the options in the table's order, then any others. */
export function written(ctx: MachineContext, draft: Draft): Record<string, string> {
  const def = backendOf(ctx, draft.type)!;
  const out: Record<string, string> = { type: draft.type };
  for (const o of def.options) if (draft.values[o.name] !== undefined) out[o.name] = draft.values[o.name]!;
  for (const [k, v] of Object.entries(draft.values)) if (!(k in out)) out[k] = v;
  return out;
}

/** The section as shown on screen: secrets hidden. */
function shown(ctx: MachineContext, draft: Draft): Record<string, string> {
  const def = backendOf(ctx, draft.type)!;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(written(ctx, draft))) {
    const opt = def.options.find((o) => o.name === k);
    out[k] = opt && isSecret(opt) ? redact(v) : v;
  }
  return out;
}
