import { DozorError } from '../../hal/errors.ts';

/** Wrong command-line arguments: the CLI prints usage and exits with code 2. */
export class UsageError extends DozorError {
  constructor(message: string) {
    super('EUSAGE', message);
  }
}

/** An input file is missing or unreadable: exit code 2 with a clear message. */
export class InputError extends DozorError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('EINPUT', message, options);
  }
}

/** Exit codes shared by every command. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;
