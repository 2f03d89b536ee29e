/**
 * What the recorder needs from the sealed card: whether evidence may be written now, and where.
 * The card guard (registration, token, seal) implements it; the recorder only reads it, so a
 * foreign or unregistered card can never receive a byte (R-CARD-3).
 */
import type { Observable } from 'rxjs';
import type { Storage } from '../../hal/storage.ts';

export type CardReadiness =
  /** A registered card is in the slot: evidence may be written. */
  | 'ready'
  | 'absent'
  /** Card present but not registered to this device (or token missing / not matching). */
  | 'refused'
  /** Card present, identity and token still being checked. */
  | 'checking';

export interface EvidenceVolume {
  /** Current readiness, emitted at once on subscribe and on every change. */
  readonly readiness$: Observable<CardReadiness>;
  readiness(): CardReadiness;
  /** The card's storage; write to it only while `readiness()` is 'ready'. */
  readonly storage: Storage;
}
