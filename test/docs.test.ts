/**
 * The documentation must follow the code: the generated parts of each backend page must
 * match the option and provider tables, every command needs its page, and every global
 * flag must be described in docs/flags.md.
 */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultRegistry } from '../backends/index.js';
import { COMMANDS } from '../src/commands/index.js';
import { GLOBAL_FLAGS } from '../src/cli/flags.js';
import { backendDocPath, extractSection, GENERATE_COMMAND, markers, repoRoot, sectionsFor } from './docs/gen-backend-docs.js';
import { commandDocPath, GENERATE_COMMANDS, manPath, renderCommandSection, renderMan, SECTION } from './docs/gen-command-docs.js';

const root = repoRoot();
const rel = (file: string) => path.relative(root, file);

describe('backend pages follow the option tables', () => {
  for (const def of defaultRegistry().all()) {
    const file = backendDocPath(def.name, root);
    for (const { section, render } of sectionsFor(def)) {
      it(`${rel(file)}: the ${section} section is current`, () => {
        const { start, end } = markers(section);
        expect(existsSync(file), `${rel(file)} is missing: create it with ${start} and ${end} in it, then run ${GENERATE_COMMAND}`).toBe(true);
        const shown = extractSection(readFileSync(file, 'utf8'), section);
        expect(shown, `${rel(file)} needs exactly one ${start} followed by one ${end}`).toBeDefined();
        expect(
          shown,
          `${rel(file)}: the ${section} section differs from the code's table. Don't edit it by hand: run ${GENERATE_COMMAND}`,
        ).toBe(render());
      });
    }
  }
});

describe('every command has a page', () => {
  it.each(COMMANDS.map((c) => c.name))('docs/commands/%s.md exists', (name) => {
    const file = path.join(root, 'docs', 'commands', `${name}.md`);
    expect(existsSync(file), `${rel(file)} is missing: write a page for "nclone ${name}" and link it from docs/README.md`).toBe(true);
  });
});

describe('the generated part of each command page and the man page follow the definitions', () => {
  it.each(COMMANDS.map((c) => c.name))('docs/commands/%s.md', (name) => {
    const file = commandDocPath(name, root);
    const def = COMMANDS.find((c) => c.name === name)!;
    const shown = existsSync(file) ? extractSection(readFileSync(file, 'utf8'), SECTION) : undefined;
    expect(shown, `${rel(file)} needs one ${markers(SECTION).start} ... ${markers(SECTION).end} block: run ${GENERATE_COMMANDS}`).toBeDefined();
    expect(shown, `${rel(file)}: the synopsis/flags/examples block differs from the command's definition. Don't edit it by hand: run ${GENERATE_COMMANDS}`).toBe(renderCommandSection(def));
  });

  it('man/nclone.1 is current and package.json ships it', () => {
    const man = manPath(root);
    expect(existsSync(man), `${rel(man)} is missing: run ${GENERATE_COMMANDS}`).toBe(true);
    expect(readFileSync(man, 'utf8'), `${rel(man)} is out of date: run ${GENERATE_COMMANDS}`).toBe(renderMan(COMMANDS, root));
    const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { man?: string | string[] };
    expect([pkg.man].flat()).toContain('./man/nclone.1');
  });

  it('the man page has a section for every command and every global flag', () => {
    const text = readFileSync(manPath(root), 'utf8');
    for (const c of COMMANDS) expect(text).toMatch(new RegExp(`^\\.SS nclone ${c.name} `, 'm'));
    for (const f of GLOBAL_FLAGS) expect(text).toContain(`\\-\\-${f.name.replace(/-/g, '\\-')}`);
  });
});

describe('every global flag is described in docs/flags.md', () => {
  const text = readFileSync(path.join(root, 'docs', 'flags.md'), 'utf8');
  it.each(GLOBAL_FLAGS.map((f) => f.name))('--%s', (name) => {
    // "--include" must not be satisfied by "--include-from".
    const mentioned = new RegExp(`--${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![\\w-])`).test(text);
    expect(mentioned, `docs/flags.md does not mention --${name}: add it to the table of its group`).toBe(true);
  });
});
