import { DozorError } from '../../hal/errors.ts';

export type EvidenceFailure =
  /** No registered card is ready, or its index is not loaded. */
  | 'not-ready'
  /** The path is reserved for the device's own files or not a valid storage path. */
  | 'reserved-path'
  /** The file on the card does not match what was declared (missing or another size). */
  | 'file-mismatch'
  /** The path is already indexed with another hash. */
  | 'already-indexed'
  /** Not an indexed evidence file. */
  | 'not-indexed'
  /** Malformed input (hash, kind, times, range). */
  | 'bad-input';

export class EvidenceError extends DozorError {
  constructor(
    readonly reason: EvidenceFailure,
    detail: string,
  ) {
    super(`EEVIDENCE_${reason.toUpperCase().replace(/-/g, '_')}`, `evidence store: ${detail}`);
  }
}

/** A receipt that does not name exactly an indexed file (path, size and SHA-256): refused, nothing changes. */
export class ReceiptMismatchError extends DozorError {
  constructor(
    readonly path: string,
    detail: string,
  ) {
    super('ERECEIPTMISMATCH', `receipt for ${path} refused: ${detail}`);
  }
}
