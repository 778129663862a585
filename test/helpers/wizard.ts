/**
 * Drives the config wizard's state machine answer by answer, as a person would, with no
 * terminal: each step names the prompt it expects and what is typed there; the actions the
 * machine asks for are carried out on a real config file.
 */
import { expect } from 'vitest';
import { WizardConfig } from '../../src/config/wizard/apply.js';
import { answer, resume, start, type MachineContext } from '../../src/config/wizard/machine.js';
import type { Question, Turn } from '../../src/config/wizard/types.js';
import type { Registry } from '../../src/fs/registry.js';

/** A step: the prompt expected next and what is typed; or skip: Enter at every prompt until `to`. */
export type Step = [prompt: string, typed: string] | { skipTo: string };
export const skipTo = (to: string): Step => ({ skipTo: to });

export interface Session {
  asked: Question[];
  printed: string[];
}

export interface DriveOptions {
  /** The config file's password (NCLONE_CONFIG_PASS). */
  password?: string;
  /** Another machine context than the driver's own. */
  machine?: MachineContext;
}

/** A drive(file, steps) for the backends of registry: runs one session; the last step must end it. */
export function wizardDriver(registry: Registry, ownMachine: MachineContext = { backends: registry.all() }) {
  return async function drive(file: string, steps: Step[], { password, machine = ownMachine }: DriveOptions = {}): Promise<Session> {
    const ctx = machine;
    const env = { AWS_EC2_METADATA_DISABLED: 'true', ...(password ? { NCLONE_CONFIG_PASS: password } : {}) };
    const config = new WizardConfig({ file, registry, env: { ...process.env, AWS_CA_BUNDLE: undefined, AWS_EC2_METADATA_DISABLED: 'true' }, passwords: { env }, testTimeoutMs: 20_000 });
    const session: Session = { asked: [], printed: [] };
    let turn: Turn = start(ctx, await config.snapshot());
    const settle = async () => {
      for (;;) {
        session.printed.push(...turn.print);
        if (!turn.action) break;
        turn = resume(ctx, turn.state, await config.perform(turn.action));
      }
    };
    const typeAt = (prompt: string, typed: string) => {
      expect(turn.ask, `expected the prompt "${prompt}", but the wizard ${turn.done ? 'ended' : 'asks nothing'}`).toBeDefined();
      expect(turn.ask!.message, `typing "${typed}"`).toBe(prompt);
      session.asked.push(turn.ask!);
      turn = answer(ctx, turn.state, typed);
    };
    for (const step of steps) {
      await settle();
      if (Array.isArray(step)) {
        typeAt(step[0], step[1]);
        continue;
      }
      for (let guard = 0; turn.ask && turn.ask.message !== step.skipTo; guard++) {
        expect(guard, `never reached "${step.skipTo}"`).toBeLessThan(100);
        typeAt(turn.ask.message, '');
        await settle();
      }
    }
    await settle();
    expect(turn.done, `the session should have ended, but asks ${turn.ask?.message}`).toBe(true);
    return session;
  };
}
