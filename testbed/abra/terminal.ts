// Commands the real abra runs only with a terminal: `app backup create` and `app restore` exec
// into backup-bot-two's container with a TTY and fail without one (interfaces.md A.8, the first
// cc-ci's `_run_pty` [V3]); `recipe lint` was run under the same wrapper [V3]. The messages are
// guesses: the first for backup/restore is what Docker says when a TTY exec has no terminal.
import { fail } from './log.js';

export function requireTerminal(command: string): void {
  if (process.stdin.isTTY && process.stdout.isTTY) return;
  if (command.startsWith('recipe lint')) fail('unable to render the lint table: the output device is not a TTY');
  fail('the input device is not a TTY');
}
