/**
 * A program run in a real terminal: a tmux server of its own (unique -L socket), one
 * 200x50 window, keys sent with send-keys, the screen read with capture-pane. Prompts
 * are awaited by polling the pane, never by sleeping a fixed time.
 *
 * inquirer draws the open prompt as "? label" and rewrites it as "✔ label answer" once
 * answered, so the prompt waited for is open exactly when the last prompt line on the
 * pane starts with "? label" and as many prompts were answered as were sent.
 * The program runs under `sh -c`, which prints "[exit status N]" when it ends.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

const PROMPT_LINE = /^[?✔] /;
const EXIT_LINE = /^\[exit status (\d+)\]$/m;

export class TmuxProgram {
  readonly socket = `nclone-pty-${process.pid}-${randomBytes(4).toString('hex')}`;
  private readonly conf = path.join(os.tmpdir(), `${this.socket}.tmux.conf`);
  private answered = 0;
  private started = false;

  constructor(private readonly env: NodeJS.ProcessEnv) {}

  private tmux(...args: string[]): Promise<{ stdout: string }> {
    return execFileP('tmux', ['-u', '-L', this.socket, '-f', this.conf, ...args], { env: this.env, maxBuffer: 64 * 1024 * 1024 });
  }

  /** Starts `argv` in the terminal; the pane stays readable after it exits. */
  async start(argv: string[], cwd: string): Promise<void> {
    writeFileSync(this.conf, 'set -g history-limit 100000\nset -g remain-on-exit on\nset -g status off\n');
    // The shell around it prints the exit status: tmux's own pane_dead_status is not always set.
    const wrapper = ['sh', '-c', '"$@"; echo "[exit status $?]"', 'sh', ...argv];
    await this.tmux('new-session', '-d', '-x', '200', '-y', '50', '-s', 'w', '-c', cwd, '--', ...wrapper);
    this.started = true;
  }

  /** Everything the program printed, scrollback included. */
  async screen(): Promise<string> {
    return (await this.tmux('capture-pane', '-p', '-J', '-S', '-', '-E', '-', '-t', 'w')).stdout;
  }

  /** Polls the pane until test(screen) holds. */
  async waitUntil(what: string, test: (screen: string) => boolean, timeoutMs = 20_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const screen = await this.screen();
      if (test(screen)) return screen;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; the terminal shows:\n${lastLines(screen, 40)}`);
      await new Promise((r) => setTimeout(r, 40));
    }
  }

  /** Waits for the prompt starting with `label` to be open. */
  async waitPrompt(label: string, timeoutMs?: number): Promise<string> {
    return this.waitUntil(
      `the prompt "${label}" (after ${this.answered} answers)`,
      (screen) => {
        const prompts = screen.split('\n').filter((l) => PROMPT_LINE.test(l));
        const done = prompts.filter((l) => l.startsWith('✔ ')).length;
        return done === this.answered && (prompts.at(-1) ?? '').startsWith(`? ${label}`);
      },
      timeoutMs,
    );
  }

  /** Answers the prompt `label` as a person does: types the text, then Enter. */
  async answer(label: string, text: string, timeoutMs?: number): Promise<void> {
    await this.waitPrompt(label, timeoutMs);
    if (text !== '') await this.tmux('send-keys', '-t', 'w', '-l', '--', text);
    await this.tmux('send-keys', '-t', 'w', 'Enter');
    this.answered++;
  }

  /** Waits for the program to end and returns its exit status. */
  async exitCode(timeoutMs = 20_000): Promise<number> {
    const screen = await this.waitUntil('the program to exit', (text) => EXIT_LINE.test(text), timeoutMs);
    return Number(EXIT_LINE.exec(screen)![1]);
  }

  /** Kills this tmux server only (its own socket), and what runs in it; removes the socket file. */
  async stop(): Promise<void> {
    if (this.started) {
      const socketPath = (await this.tmux('display-message', '-p', '#{socket_path}').catch(() => ({ stdout: '' }))).stdout.trim();
      await this.tmux('kill-server').catch(() => undefined);
      if (socketPath.endsWith(`/${this.socket}`)) rmSync(socketPath, { force: true });
    }
    rmSync(this.conf, { force: true });
  }
}

function lastLines(text: string, n: number): string {
  return text.trimEnd().split('\n').slice(-n).join('\n');
}
