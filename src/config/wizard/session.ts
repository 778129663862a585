import { answer, resume, start, type MachineContext } from './machine.js';
import type { Action, ActionResult, Question, Snapshot } from './types.js';

/** What a front end provides: showing lines, asking one question, carrying out one action. */
export interface WizardIO {
  print(lines: string[]): void;
  ask(question: Question): Promise<string>;
  perform(action: Action): Promise<ActionResult>;
}

/** Runs the machine until the person quits. */
export async function runSession(ctx: MachineContext, snapshot: Snapshot, io: WizardIO): Promise<void> {
  let turn = start(ctx, snapshot);
  for (;;) {
    if (turn.print.length) io.print(turn.print);
    if (turn.done) return;
    if (turn.action) turn = resume(ctx, turn.state, await io.perform(turn.action));
    else turn = answer(ctx, turn.state, await io.ask(turn.ask!));
  }
}
