/**
 * A small world for card-guard and evidence-store tests: virtual clock, simulated slot and
 * internal storage, device and responsible-person keys, a journal double that validates every
 * entry against the journal schemas, and an alert sink that records what was raised.
 */
import { SimCard, SimCardSlot } from '../../sim/card-slot.ts';
import { SimStorage } from '../../sim/storage.ts';
import { SeededRandom } from '../../sim/random.ts';
import { VirtualClock } from '../../sim/virtual-clock.ts';
import { type EntryData, type EntryType, type JournalWriter } from '../../firmware/journal/entries.ts';
import { checkServiceAppend } from '../../firmware/journal/validate.ts';
import type { Alert, AlertKind, AlertSink } from '../../firmware/alerts/alert-sink.ts';
import { PersistentAuthorizationGate } from '../../firmware/auth/authorization-gate.ts';
import { CardGuard, type CardGuardOptions } from '../../firmware/card/card-guard.ts';
import { signAuthorization, type AuthorizedAction, type SignedAuthorization, type TrustedKey } from '../../protocol/authorization.ts';
import { Ed25519PrivateKey, deriveTestSeed } from '../../protocol/crypto.ts';
import type { Clock } from '../../hal/clock.ts';

export interface JournalRecord {
  seq: number;
  type: EntryType;
  data: unknown;
  wall: number;
  mono: number;
}

export class MemoryJournal implements JournalWriter {
  readonly entries: JournalRecord[] = [];
  failNext = 0;

  constructor(private readonly clock: Clock) {}

  async append<T extends EntryType>(type: T, data: EntryData<T>): Promise<{ seq: number }> {
    if (this.failNext > 0) {
      this.failNext -= 1;
      throw new Error('journal storage failed');
    }
    checkServiceAppend(type, data); // refuses exactly what the real journal refuses
    const seq = this.entries.length;
    this.entries.push({ seq, type, data, wall: this.clock.wallTime(), mono: this.clock.monotonic() });
    return { seq };
  }

  of<T extends EntryType>(type: T): Array<EntryData<T> & { wall: number }> {
    return this.entries.filter((e) => e.type === type).map((e) => ({ ...(e.data as EntryData<T>), wall: e.wall }));
  }

  types(): EntryType[] {
    return this.entries.map((e) => e.type);
  }
}

export class RecordingAlerts implements AlertSink {
  readonly raised: Alert[] = [];
  readonly cleared: AlertKind[] = [];
  readonly standing = new Map<AlertKind, Alert>();

  constructor(private readonly clock: Clock) {}

  raise(alert: Omit<Alert, 'at'>): void {
    const a = { ...alert, at: this.clock.wallTime() };
    this.raised.push(a);
    this.standing.set(a.kind, a);
  }

  clear(kind: AlertKind): void {
    this.cleared.push(kind);
    this.standing.delete(kind);
  }

  of(kind: AlertKind): Alert[] {
    return this.raised.filter((a) => a.kind === kind);
  }
}

export const DEVICE_SERIAL = 'BC-0001';
export const DEVICE_INVENTORY = 'INV-BC-0001';
export const START = Date.UTC(2025, 0, 6, 7, 0, 0);

export interface CardWorld {
  clock: VirtualClock;
  random: SeededRandom;
  slot: SimCardSlot;
  internal: SimStorage;
  journal: MemoryJournal;
  alerts: RecordingAlerts;
  deviceKey: Ed25519PrivateKey;
  responsible: Ed25519PrivateKey;
  dutyOfficer: Ed25519PrivateKey;
  trusted: TrustedKey[];
  gate: PersistentAuthorizationGate;
  duty: { on: boolean };
  /** Signs an authorisation for this device with the next counter of that key. */
  authorize(action: AuthorizedAction, params: Record<string, unknown>, key?: Ed25519PrivateKey, device?: string): SignedAuthorization;
  newCard(label: string, capacityBytes?: number): SimCard;
  startGuard(over?: Partial<CardGuardOptions>): Promise<CardGuard>;
}

export async function makeCardWorld(seed = 1): Promise<CardWorld> {
  const clock = new VirtualClock({ startEpochMs: START });
  const random = new SeededRandom(seed);
  const slot = new SimCardSlot();
  const internal = new SimStorage({ name: 'internal', capacityBytes: 16 << 20, random: random.fork('internal') });
  const journal = new MemoryJournal(clock);
  const alerts = new RecordingAlerts(clock);
  const deviceKey = new Ed25519PrivateKey(deriveTestSeed(`device ${DEVICE_SERIAL}`));
  const responsible = new Ed25519PrivateKey(deriveTestSeed('responsible Ivanova'));
  const dutyOfficer = new Ed25519PrivateKey(deriveTestSeed('duty officer Petrov'));
  const trusted: TrustedKey[] = [
    { keyId: responsible.keyId, name: 'Lt. A. Ivanova', role: 'responsible', publicKey: responsible.publicKey },
    { keyId: dutyOfficer.keyId, name: 'Sgt. P. Petrov', role: 'duty-officer', publicKey: dutyOfficer.publicKey },
  ];
  const gate = await PersistentAuthorizationGate.open({ storage: internal, device: DEVICE_SERIAL, trusted });
  const counters = new Map<string, number>();
  const duty = { on: false };
  const world: CardWorld = {
    clock,
    random,
    slot,
    internal,
    journal,
    alerts,
    deviceKey,
    responsible,
    dutyOfficer,
    trusted,
    gate,
    duty,
    authorize(action, params, key = responsible, device = DEVICE_SERIAL) {
      const counter = (counters.get(key.keyId) ?? 0) + 1;
      counters.set(key.keyId, counter);
      const signer = trusted.find((t) => t.keyId === key.keyId)?.name ?? 'someone';
      return signAuthorization(key, { action, device, signer, counter, issuedAt: clock.wallTime(), params });
    },
    newCard(label, capacityBytes = 4 << 20) {
      return SimCard.create({ label, random: random.fork(label), capacityBytes });
    },
    startGuard(over = {}) {
      return CardGuard.start({
        slot,
        internal,
        clock,
        journal,
        alerts,
        authorizations: gate,
        deviceKey,
        deviceSerial: DEVICE_SERIAL,
        deviceInventoryNumber: DEVICE_INVENTORY,
        onDuty: () => duty.on,
        indexReserveBytes: 4096,
        ...over,
      });
    },
  };
  return world;
}

export const sha = async (b: Uint8Array): Promise<string> => (await import('../../protocol/crypto.ts')).sha256Hex(b);
