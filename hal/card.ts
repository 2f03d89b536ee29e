/**
 * The sealed memory-card slot: card presence and identity (SD CID register), and the seal /
 * slot-cover switch (R-CARD-1..4). The card's filesystem is a `Storage` (see storage.ts).
 */
import type { Observable } from 'rxjs';
import type { Device } from './device.ts';
import type { Storage } from './storage.ts';

export interface CardStatus {
  present: boolean;
  /** The card's CID register as 32 lower-case hex digits, or null when absent or unreadable. */
  cid: string | null;
  /** True when the seal / slot cover is closed. */
  sealClosed: boolean;
}

export interface CardSlot extends Device {
  status(): Promise<CardStatus>;
  /** Emits on insertion, removal and every seal change. */
  readonly changes$: Observable<CardStatus>;
  /**
   * The filesystem of the card in the slot. Operations reject with `StorageUnavailableError`
   * while no card is present.
   */
  readonly storage: Storage;
}
