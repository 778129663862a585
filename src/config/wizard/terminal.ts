import type { CommandEnv } from '../../cli/command.js';
import { fsError } from '../../fs/errors.js';

/** The terminal front end of the wizard. */
export async function runWizard(_env: CommandEnv): Promise<void> {
  throw fsError('notSupported', 'the interactive wizard is not built yet: use nclone config create');
}
