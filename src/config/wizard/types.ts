/**
 * The data the wizard's state machine works with. The machine (machine.ts) is pure: a
 * state and an answer in, the next state and either a question, an action or "done" out.
 * Front ends (terminal.ts, the tests) ask the questions and carry out the actions.
 */

/** One numbered example (input questions) or one lettered menu entry (select questions). */
export interface Choice {
  /** What the person types: "1", "2", ... or "e", "n", ... */
  key: string;
  /** The value the key stands for (for menus, the key itself). */
  value: string;
  label: string;
}

export type QuestionKind = 'select' | 'input' | 'password' | 'confirm';

export interface Question {
  kind: QuestionKind;
  /** The prompt label: "e/n/d/r/c/s/q", "name", "region", "Edit advanced config?". */
  message: string;
  /** Lines shown before the prompt. */
  help: string[];
  /** select: the only answers; input: numbered examples that also accept any typed value. */
  choices?: Choice[];
  /** Shown after the choices: what a blank answer does. */
  hint?: string;
  /** What a blank answer means (never set for secrets); for confirm "y" or "n". */
  default?: string;
  /** Why the previous answer was refused, when the question is asked again. */
  error?: string;
  /** The backend option this question sets, if any. */
  option?: string;
}

/** A remote as the config file has it (type included). */
export interface RemoteInfo {
  name: string;
  values: Record<string, string>;
}

/** What the machine knows of the config file; refreshed after every action. */
export interface Snapshot {
  remotes: RemoteInfo[];
  encrypted: boolean;
}

/** A change to the config file (or the connectivity check) the front end carries out. */
export type Action =
  | { kind: 'create'; name: string; values: Record<string, string> }
  | { kind: 'update'; name: string; values: Record<string, string> }
  | { kind: 'delete'; name: string }
  | { kind: 'rename'; from: string; to: string }
  | { kind: 'copy'; from: string; to: string }
  | { kind: 'setPassword'; password: string }
  | { kind: 'removePassword' }
  /** Lists the root of `name` as `values` would configure it, before they are saved. */
  | { kind: 'test'; name: string; values: Record<string, string> };

export type ActionResult = { ok: true; snapshot: Snapshot; message?: string } | { ok: false; snapshot: Snapshot; error: string };

export type Phase = 'basic' | 'advanced';

export type Stage =
  | { at: 'menu' }
  | { at: 'pick'; purpose: 'edit' | 'delete' | 'rename' | 'copy' }
  | { at: 'name'; purpose: 'new' | 'rename' | 'copy'; from?: string }
  | { at: 'type' }
  | { at: 'option'; index: number; phase: Phase }
  | { at: 'secretKeep'; index: number; phase: Phase }
  | { at: 'secretValue'; index: number; phase: Phase }
  | { at: 'advanced' }
  | { at: 'review' }
  | { at: 'confirmDelete'; name: string }
  | { at: 'passwordMenu' }
  | { at: 'password1' }
  | { at: 'password2'; first: string }
  | { at: 'test'; name: string }
  | { at: 'testFailed'; name: string }
  | { at: 'wait'; action: Action['kind']; name?: string }
  | { at: 'done' };

/** The remote being made or edited. values holds options only (no "type"). */
export interface Draft {
  mode: 'new' | 'edit';
  name: string;
  type: string;
  values: Record<string, string>;
}

export interface State {
  snapshot: Snapshot;
  stage: Stage;
  draft?: Draft;
}

/** What one step of the machine produces: lines to show, then exactly one of ask, action or done. */
export interface Turn {
  state: State;
  print: string[];
  ask?: Question;
  action?: Action;
  done?: boolean;
}
