/**
 * What the dock service needs from the rest of the firmware. Small on purpose: the card
 * helper's evidence store implements `OffloadSource`, the device application implements the
 * command handlers, status and charging; the dock service only speaks the protocol, verifies
 * signatures and journals what the regulations ask for.
 */
import type { AuthorizationBody } from '../../protocol/authorization.ts';
import type { SignedStatement } from '../../protocol/dock-statements.ts';
import type { HostInfo } from '../../protocol/device-session.ts';
import { DozorError } from '../../hal/errors.ts';

/** One evidence file as the device knows it. Immutable once listed (segments are closed). */
export interface OffloadFile {
  /** Storage path on the device ("video/000042.h264"); unique. */
  path: string;
  size: number;
  /** SHA-256 of the whole file, 64 lower-case hex digits (as journalled in segment-closed). */
  sha256: string;
  /** 'video', 'audio', 'journal', 'photo', 'radar-event', … */
  kind: string;
  /** Wall time of the first and last recorded moment (ms since epoch), when known. */
  startWall?: number;
  endWall?: number;
}

/** A receipt the dock service has verified completely (signature, dock role, device, file). */
export interface AcceptedReceipt {
  path: string;
  size: number;
  sha256: string;
  /** Dock time when the copy was stored. */
  storedAt: number;
  /** Id of the dock / server that holds the copy. */
  store: string;
  keyId: string;
  /** The signed receipt itself, to keep as proof (a deletion guard may verify it again). */
  receipt: SignedStatement;
}

/**
 * The device's evidence awaiting offload (R-OFF-1/2). Nothing here deletes: a receipt only
 * records that the server holds a verified copy; reclaiming space is the evidence store's own
 * decision, taken later and guarded by that receipt (R-REC-6, R-CARD-4).
 */
export interface OffloadSource {
  /** Files not yet covered by a receipt, sorted by path. */
  pending(): Promise<OffloadFile[]>;
  /** A file by path, pending or already receipted; null when unknown. */
  file(path: string): Promise<OffloadFile | null>;
  /** Bytes [offset, offset + length) of a file; rejects with a StorageError on failure. */
  read(path: string, offset: number, length: number): Promise<Uint8Array>;
  /**
   * Records a verified receipt durably before resolving. 'already' when this exact receipt's
   * file was receipted before (a retried receipt must not be journalled twice).
   */
  acceptReceipt(receipt: AcceptedReceipt): Promise<'accepted' | 'already'>;
}

/** The device's state as the dock needs it (R-PWR-4, R-CARD-1..3). */
export interface DockStatusReport {
  /** Hours of duty the batteries can still power (both packs). */
  batteryHours: number;
  batteries: Array<{ slot: 0 | 1; present: boolean; soc: number }>;
  externalPower: boolean;
  charging: boolean;
  seal: 'closed' | 'open' | 'unknown';
  card: { present: boolean; cid?: string; inventory?: string; registered: boolean };
  onDuty: boolean;
  /** Issued to an officer and not yet returned. */
  issued: boolean;
  freeBytes?: number;
}

export interface DeviceStatusProvider {
  status(): Promise<DockStatusReport>;
}

/** The dock's charging control (the device's charger obeys; the dock reports it in status). */
export interface ChargeControl {
  setCharging(enable: boolean): Promise<void>;
}

export interface CommandContext {
  /** The host that forwarded the authorisation. */
  host: HostInfo;
}

/**
 * Carries out one verified, replay-checked authorisation whose params were validated against
 * `COMMAND_PARAMS`. Returns a small result map for the host. Throws `CommandRefusedError` when
 * the device's own rules forbid it (e.g. a pause while a pause runs). Each handler journals its
 * action (time-set, pause-start, card-registered, seal-resealed, issue, return, correction).
 */
export type CommandHandler = (auth: AuthorizationBody, ctx: CommandContext) => Promise<Record<string, unknown>>;

export type CommandHandlers = Partial<Record<AuthorizationBody['action'], CommandHandler>>;

/** The device refused an authorised action by its own rules (wire code EREFUSED). */
export class CommandRefusedError extends DozorError {
  constructor(reason: string) {
    super('EREFUSED', reason);
  }
}

/**
 * Highest accepted authorisation counter per key (MAVLink-style replay protection). `save`
 * must be durable before it resolves: the command runs only after.
 */
export interface ReplayStore {
  load(): Promise<Record<string, number>>;
  save(state: Record<string, number>): Promise<void>;
}
