/** Typed failures of the journal. Nothing already stored is touched when one is thrown. */
import { DozorError } from '../../hal/errors.ts';

/** An entry did not match its schema (or is not allowed through `append`); nothing was written. */
export class JournalEntryError extends DozorError {
  constructor(
    readonly entryType: string,
    detail: string,
  ) {
    super('EJOURNAL_ENTRY', `journal entry "${entryType}" refused: ${detail}`);
  }
}

/**
 * Storage failed under the journal (full, pulled, I/O error). The journal stops accepting
 * entries: what was acknowledged as durable stays durable; routine entries accepted since the
 * last sync may be lost, and reopening the journal records the loss as a recovery entry.
 */
export class JournalStorageError extends DozorError {
  constructor(detail: string, options?: { cause?: unknown }) {
    super('EJOURNAL_STORAGE', `journal storage failed: ${detail}`, options);
  }
}

/** A correction was refused (bad reference, or the authorisation does not fit). */
export class JournalCorrectionError extends DozorError {
  constructor(detail: string, options?: { cause?: unknown }) {
    super('EJOURNAL_CORRECTION', `journal correction refused: ${detail}`, options);
  }
}
