/**
 * The shift journal's vocabulary (R-LOG-1): one typed schema per kind of entry. Entries are
 * validated when written and when read back, so a journal produced by a buggy or foreign
 * writer is caught, not trusted.
 *
 * Times: `wall` fields are device wall time (ms since epoch) as the device believed it; every
 * record also carries the device's wall and monotonic time in its header (see the format doc).
 */
import { z } from 'zod';

const hex64 = z.string().regex(/^[0-9a-f]{64}$/, 'SHA-256 as 64 lower-case hex digits');
const cidHex = z.string().regex(/^[0-9a-f]{32}$/, 'SD CID as 32 lower-case hex digits');
const ms = z.number().finite();
const slot = z.union([z.literal(0), z.literal(1)]);
/** Who authorised an action: the signer's name and key id, and the authorisation's counter. */
const authorizer = z.object({ name: z.string().min(1), keyId: z.string().min(1), counter: z.number().int().nonnegative() });

export const ENTRY_SCHEMAS = {
  /** Power on / boot. */
  'power-on': z.object({ firmware: z.string(), bootCount: z.number().int().nonnegative(), reason: z.enum(['cold', 'warm', 'watchdog', 'recovered']) }),
  'power-off': z.object({ reason: z.enum(['user', 'battery-empty', 'shutdown', 'docked']) }),
  /** Device handed to an officer or a crew (R-LOG-2/3/4). */
  issue: z.object({
    inventoryNumber: z.string().min(1),
    officer: z.string().optional(),
    vehicle: z.object({ boardNumber: z.string().optional(), plate: z.string().optional(), trip: z.string().optional() }).optional(),
    plannedShiftHours: z.number().positive(),
    batteryHours: z.number().nonnegative(),
    by: authorizer,
  }),
  /** Refused issue: charge cannot cover the planned shift (R-PWR-4) or another reason. */
  'issue-refused': z.object({ reason: z.string(), plannedShiftHours: z.number().positive(), batteryHours: z.number().nonnegative() }),
  return: z.object({ by: authorizer, note: z.string().optional() }),
  'duty-start': z.object({ officer: z.string().optional() }),
  'duty-end': z.object({ recordedMs: ms, pausedMs: ms }),
  'recording-started': z.object({ segment: z.number().int().nonnegative() }),
  'recording-refused': z.object({ reason: z.string() }),
  'recording-stopped': z.object({ reason: z.string() }),
  /** A video segment was closed and made durable (R-REC-1). */
  'segment-closed': z.object({
    segment: z.number().int().nonnegative(),
    path: z.string(),
    camera: z.string().optional(),
    startWall: ms,
    endWall: ms,
    startMono: ms,
    endMono: ms,
    durationMs: ms,
    frames: z.number().int().nonnegative(),
    bytes: z.number().int().nonnegative(),
    sha256: hex64,
    prevSha256: hex64,
  }),
  playback: z.object({ segment: z.number().int().nonnegative(), path: z.string(), fromMs: ms, toMs: ms.optional() }),
  /** Operator marker (R-REC-8). */
  marker: z.object({ segment: z.number().int().nonnegative(), offsetMs: ms, wall: ms, note: z.string().optional() }),
  /** Authorised pause (R-REC-2). */
  'pause-start': z.object({ reason: z.enum(['rest', 'meal']), maxMinutes: z.number().positive(), by: authorizer }),
  'pause-end': z.object({ pausedMs: ms, cause: z.enum(['expired', 'resumed', 'duty-end']) }),
  /** Day/night switch (R-REC-5). */
  'day-night': z.object({ mode: z.enum(['day', 'night']), lux: z.number().nonnegative(), irLight: z.boolean() }),
  /** Battery alerts (R-PWR-2/3). */
  'battery-alert': z.object({ level: z.enum(['low', 'critical', 'empty', 'cleared']), remainingMin: z.number(), slot: slot.optional() }),
  'battery-swap': z.object({ slot, event: z.enum(['removed', 'inserted', 'switched-to']), socPercent: z.number().optional() }),
  /** Clock (R-TIME-1/2). */
  'time-set': z.object({ oldTime: ms, newTime: ms, source: z.enum(['authorised', 'dock-sync']), by: authorizer.optional() }),
  'time-drift': z.object({ driftMs: ms, reference: z.string() }),
  'clock-untrusted': z.object({ reason: z.enum(['oscillator-stopped', 'implausible', 'not-verified', 'rtc-unreadable']), rtcTime: ms.optional() }),
  /** Card and seal (R-CARD-1..4). */
  'card-inserted': z.object({ cid: cidHex.nullable() }),
  'card-registered': z.object({ cid: cidHex, inventoryNumber: z.string().min(1), by: authorizer }),
  'card-refused': z.object({ cid: cidHex.nullable(), reason: z.enum(['unregistered', 'foreign', 'token-missing', 'token-invalid', 'cid-mismatch', 'unreadable']) }),
  'card-removed': z.object({ cid: cidHex.nullable(), duringDuty: z.boolean() }),
  'seal-opened': z.object({ duringDuty: z.boolean() }),
  'seal-resealed': z.object({ by: authorizer }),
  /** Condensation risk (R-REC-3). */
  condensation: z.object({ state: z.enum(['risk', 'clear']), lensC: z.number(), dewPointC: z.number(), airC: z.number(), humidity: z.number() }),
  /** Storage running low (R-REC-7). */
  'storage-alert': z.object({ level: z.enum(['low', 'full', 'cleared']), freeBytes: z.number().nonnegative(), freeHours: z.number().nonnegative() }),
  /** A device fault or its clearing (R-PWR-3). */
  fault: z.object({ device: z.string(), state: z.enum(['raised', 'cleared']), detail: z.string() }),
  /** An alert reached the duty officer (or is queued for the next link). */
  'alert-sent': z.object({ alert: z.string(), queuedAt: ms, channel: z.enum(['uplink', 'dock']) }),
  /** The server holds a verified copy (R-OFF-2). */
  'offload-receipt': z.object({ path: z.string(), sha256: hex64, bytes: z.number().int().nonnegative(), server: z.string(), storedAt: ms }),
  /** Space reclaimed from an offloaded file with a receipt (R-CARD-4). */
  'storage-reclaimed': z.object({ path: z.string(), sha256: hex64, bytes: z.number().int().nonnegative() }),
  /**
   * Written by the journal itself when it is opened after an unclean end (never silent): how
   * many bytes of a torn tail were cut, where, and the last record that survived. See
   * docs/journal-format.md §6.
   */
  recovery: z.object({
    droppedBytes: z.number().int().nonnegative(),
    atOffset: z.number().int().nonnegative(),
    lastSeq: z.number().int(),
    /** Why: power lost mid-write (torn tail), power lost between writes, or damage found mid-file. */
    cause: z.enum(['torn-tail', 'unclean-shutdown', 'corruption']).optional(),
    /** Journal file the previous session ended in (storage path). */
    file: z.string().optional(),
    /** SHA-256 of record `lastSeq`, which this session's chain continues from. */
    lastHash: hex64.optional(),
    /** Every cut, one per file (a torn tail, or a file holding nothing but torn bytes). */
    cuts: z.array(z.object({ file: z.string(), offset: z.number().int().nonnegative(), bytes: z.number().int().nonnegative() })).optional(),
    /** Mid-file damage: the damaged bytes are kept untouched for investigation. */
    corruptBytes: z.number().int().nonnegative().optional(),
  }),
  /**
   * A correction references an earlier entry; nothing is ever edited (R-LOG-5). Made only through
   * `Journal.correct()` with a 'journal-correction' authorisation signed by a responsible person;
   * `authorization` keeps that signed authorisation so an auditor can check it again.
   */
  correction: z.object({
    corrects: z.number().int().nonnegative(),
    note: z.string().min(1),
    by: authorizer,
    authorization: z.object({ body: z.string().regex(/^(?:[0-9a-f]{2})+$/), signature: z.string().regex(/^[0-9a-f]{128}$/) }).optional(),
  }),
  /** Radar: verification certificate expired, no valid evidence (R-RAD-4). */
  'certificate-expired': z.object({ certificate: z.string(), expiredOn: z.string() }),
  'violation-captured': z.object({ id: z.string(), speedKmh: z.number(), limitKmh: z.number(), still: z.string() }),
  /** A transition of the device's shift state machine (R-LOG-1); the detailed entry (issue, pause-start…) follows it. */
  'shift-state': z.object({ from: z.string().min(1), to: z.string().min(1), event: z.string().min(1) }),
  /** An action the device refused: a forbidden transition, an unsigned or replayed authorisation (R-REC-6, R-LOG-1). */
  'action-refused': z.object({ action: z.string().min(1), reason: z.string().min(1), state: z.string().optional() }),
  /** Vehicle recorder: IR lights switched on or off by the crew (R-REC-5, MVD 18). */
  'ir-lights': z.object({ enabled: z.boolean() }),
  /** A segment left open by a power cut, closed at the next boot: its torn tail cut, the rest kept (R-REC-1). */
  'segment-recovered': z.object({ segment: z.number().int().nonnegative(), camera: z.string(), path: z.string(), droppedBytes: z.number().int().nonnegative(), keptBytes: z.number().int().nonnegative() }),
  /** A device log other than the journal (radar vehicle log, outbound queue) recovered after a power cut. */
  'log-recovered': z.object({ log: z.string().min(1), droppedBytes: z.number().int().nonnegative(), recoveredRecords: z.number().int().nonnegative() }),
} as const;

export type EntryType = keyof typeof ENTRY_SCHEMAS;
export type EntryData<T extends EntryType> = z.infer<(typeof ENTRY_SCHEMAS)[T]>;
export const ENTRY_TYPES = Object.keys(ENTRY_SCHEMAS) as EntryType[];

/**
 * Entries that change who may do what, or record evidence custody: synced to storage before
 * the write is acknowledged. Everything else is group-committed (≤ 250 ms unsynced).
 */
export const SECURITY_RELEVANT: ReadonlySet<EntryType> = new Set<EntryType>([
  'power-on',
  'power-off',
  'issue',
  'issue-refused',
  'return',
  'duty-start',
  'duty-end',
  'pause-start',
  'pause-end',
  'time-set',
  'clock-untrusted',
  'card-inserted',
  'card-registered',
  'card-refused',
  'card-removed',
  'seal-opened',
  'seal-resealed',
  'offload-receipt',
  'storage-reclaimed',
  'recovery',
  'correction',
  'segment-closed',
  'shift-state',
  'action-refused',
  'segment-recovered',
]);

/**
 * What the firmware's services need from the journal: append a typed entry. Resolves once the
 * entry is durable (security-relevant) or accepted into the group commit (routine).
 */
export interface JournalWriter {
  append<T extends EntryType>(type: T, data: EntryData<T>): Promise<{ seq: number }>;
}
