/** Why the card guard refused a command (the authorisation itself may still have been valid). */
import { DozorError } from '../../hal/errors.ts';

export type CardCommandFailure =
  /** The authorisation's parameters are missing or malformed. */
  | 'bad-params'
  /** No card in the slot to register. */
  | 'no-card'
  /** The card's CID cannot be read, so it cannot be bound. */
  | 'cid-unreadable'
  /** The authorisation names another card than the one in the slot. */
  | 'cid-mismatch'
  /** Another registered card already carries this inventory number (R-CARD-1). */
  | 'inventory-in-use'
  /** The token did not read back as written. */
  | 'token-write-failed'
  /** Reseal asked for while the cover is open. */
  | 'seal-open';

export class CardCommandError extends DozorError {
  constructor(
    readonly reason: CardCommandFailure,
    detail: string,
  ) {
    super(`ECARD_${reason.toUpperCase().replace(/-/g, '_')}`, `card command refused (${reason}): ${detail}`);
  }
}

/** A persisted card-guard state file could not be read. */
export class CardStateCorruptError extends DozorError {
  constructor(path: string, detail: string) {
    super('ECARDSTATE', `${path}: ${detail}`);
  }
}
