/**
 * The virtual device that docks: the firmware's real dock service (firmware/dock) over a
 * stand-in application — recordings on simulated storage, a battery that charges while docked,
 * a card slot and seal, and handlers for every privileged command that journal what they do.
 *
 * This is the one place to change when the full simulated body camera is ready: make
 * `createVirtualDevice` build that device and return its `DockService` (plus clock, journal,
 * evidence source). `dozor sim device`, the conformance tests and the benches all go through it.
 */
import type { Clock } from '../../hal/clock.ts';
import type { LinkPort } from '../../hal/link.ts';
import type { Random } from '../../hal/random.ts';
import type { AuthorizationBody, TrustedKey } from '../../protocol/authorization.ts';
import type { CommandParams } from '../../protocol/command-params.ts';
import type { DeviceIdentityInfo } from '../../protocol/device-session.ts';
import { testTrustedKeys } from '../../protocol/test-keys.ts';
import { DockService } from '../../firmware/dock/dock-service.ts';
import { DockLinks } from '../../firmware/dock/dock-links.ts';
import { CommandRefusedError, type CommandHandlers, type DockStatusReport } from '../../firmware/dock/interfaces.ts';
import { StorageReplayStore } from '../../firmware/dock/replay-store.ts';
import { SimStorage } from '../../sim/storage.ts';
import { SeededRandom } from '../../sim/random.ts';
import { MemoryJournal } from './memory-journal.ts';
import { SimEvidenceSource } from './shift-recordings.ts';

export interface VirtualDeviceOptions {
  clock: Clock;
  seed?: number;
  serial?: string;
  inventory?: string;
  model?: string;
  /** Recordings waiting for offload: a shift's worth by default (96 five-minute segments). */
  segments?: number;
  segmentBytes?: number;
  /** Hours of duty the batteries can power now. */
  batteryHours?: number;
  /** Provisioned keys; the public test keys by default. */
  trusted?: TrustedKey[];
  /** Card in the slot (SD CID) and its inventory number. */
  card?: { cid: string; inventory: string; registered: boolean };
  /** Frame body limit this device accepts. */
  maxBody?: number;
}

/** What the stand-in application keeps: enough state for status and the command handlers. */
export class SimDeviceApp {
  batteryHours: number;
  charging = false;
  externalPower = true;
  seal: 'closed' | 'open' = 'closed';
  card: { present: boolean; cid?: string; inventory?: string; registered: boolean };
  issued = false;
  onDuty = false;
  pause: { reason: string; untilWall: number } | null = null;
  private chargeStartedAt: number | null = null;

  constructor(
    private readonly clock: Clock,
    private readonly journal: MemoryJournal,
    options: { batteryHours: number; card: { cid: string; inventory: string; registered: boolean } },
  ) {
    this.batteryHours = options.batteryHours;
    this.card = { present: true, ...options.card };
  }

  async status(): Promise<DockStatusReport> {
    this.accrueCharge();
    const soc = Math.min(100, (this.batteryHours / 16) * 100);
    return {
      batteryHours: Math.round(this.batteryHours * 100) / 100,
      batteries: [
        { slot: 0, present: true, soc: Math.round(soc) },
        { slot: 1, present: true, soc: Math.round(soc) },
      ],
      externalPower: this.externalPower,
      charging: this.charging,
      seal: this.seal,
      card: this.card,
      onDuty: this.onDuty,
      issued: this.issued,
    };
  }

  /** Two packs of 8 h each charge at about 8 h of duty per hour of charging (simplified). */
  private accrueCharge(): void {
    if (!this.charging || this.chargeStartedAt === null) return;
    const now = this.clock.monotonic();
    this.batteryHours = Math.min(16, this.batteryHours + ((now - this.chargeStartedAt) / 3_600_000) * 8);
    this.chargeStartedAt = now;
  }

  async setCharging(enable: boolean): Promise<void> {
    this.accrueCharge();
    this.charging = enable && this.externalPower;
    this.chargeStartedAt = this.charging ? this.clock.monotonic() : null;
  }

  readonly commands: CommandHandlers = {
    'set-time': async (auth) => {
      const p = auth.params as CommandParams<'set-time'>;
      const oldTime = Math.round(this.clock.wallTime());
      this.clock.setWallTime(p.time);
      await this.journal.append('time-set', { oldTime, newTime: p.time, source: 'authorised', by: by(auth) });
      return { oldTime, newTime: p.time };
    },
    pause: async (auth) => {
      const p = auth.params as CommandParams<'pause'>;
      if (!this.onDuty) throw new CommandRefusedError('not on duty: nothing to pause');
      if (this.pause) throw new CommandRefusedError('a pause is already running');
      this.pause = { reason: p.reason, untilWall: this.clock.wallTime() + p.maxMinutes * 60_000 };
      await this.journal.append('pause-start', { reason: p.reason, maxMinutes: p.maxMinutes, by: by(auth) });
      return { until: Math.round(this.pause.untilWall) };
    },
    'register-card': async (auth) => {
      const p = auth.params as CommandParams<'register-card'>;
      this.card = { present: true, cid: p.cid, inventory: p.inventoryNumber, registered: true };
      await this.journal.append('card-registered', { cid: p.cid, inventoryNumber: p.inventoryNumber, by: by(auth) });
      return { cid: p.cid };
    },
    reseal: async (auth) => {
      this.seal = 'closed';
      await this.journal.append('seal-resealed', { by: by(auth) });
      return {};
    },
    issue: async (auth) => {
      const p = auth.params as CommandParams<'issue'>;
      if (this.issued) throw new CommandRefusedError('already issued');
      this.issued = true;
      await this.journal.append('issue', {
        inventoryNumber: this.card.inventory ?? 'unknown',
        officer: p.officer,
        vehicle: p.vehicle,
        plannedShiftHours: p.plannedShiftHours,
        batteryHours: this.batteryHours,
        by: by(auth),
      });
      return { issued: true };
    },
    return: async (auth) => {
      const p = auth.params as CommandParams<'return'>;
      if (!this.issued) throw new CommandRefusedError('not issued');
      this.issued = false;
      this.onDuty = false;
      await this.journal.append('return', { by: by(auth), note: p.note });
      return { returned: true };
    },
    'journal-correction': async (auth) => {
      const p = auth.params as CommandParams<'journal-correction'>;
      const { seq } = await this.journal.append('correction', { corrects: p.corrects, note: p.note, by: by(auth) });
      return { seq };
    },
  };
}

function by(auth: AuthorizationBody) {
  return { name: auth.signer, keyId: auth.keyId, counter: auth.counter };
}

export interface VirtualDevice {
  identity: DeviceIdentityInfo;
  clock: Clock;
  random: Random;
  /** The firmware's dock service: what every session on this device talks to. */
  service: DockService;
  journal: MemoryJournal;
  source: SimEvidenceSource;
  app: SimDeviceApp;
  card: SimStorage;
  internal: SimStorage;
  maxBody?: number;
  /** Runs a device session on every link from `port`. */
  serve(port: LinkPort): DockLinks;
}

export async function createVirtualDevice(o: VirtualDeviceOptions): Promise<VirtualDevice> {
  const seed = o.seed ?? 1;
  const random = new SeededRandom(seed);
  const clock = o.clock;
  const serial = o.serial ?? `BC-${String(seed).padStart(4, '0')}`;
  const segments = o.segments ?? 96;
  const segmentBytes = o.segmentBytes ?? 256 * 1024;
  const card = new SimStorage({ name: `${serial} card`, capacityBytes: Math.max(1 << 20, segments * segmentBytes * 2 + (1 << 20)), random: random.fork('card') });
  const internal = new SimStorage({ name: `${serial} internal`, capacityBytes: 8 << 20, random: random.fork('internal') });
  const journal = new MemoryJournal(clock);
  const shiftStart = clock.wallTime() - segments * 5 * 60_000;
  const source = await SimEvidenceSource.recordShift(card, random.fork('recordings'), { segments, segmentBytes, startWall: shiftStart });
  const cardInfo = o.card ?? { cid: cidFor(seed), inventory: `CARD-${String(seed).padStart(4, '0')}`, registered: true };
  const app = new SimDeviceApp(clock, journal, { batteryHours: o.batteryHours ?? 12, card: cardInfo });
  const identity: DeviceIdentityInfo = {
    device: serial,
    kind: 'bodycam',
    model: o.model ?? 'Dozor virtual body camera',
    firmware: '0.1.0-sim',
    inventory: o.inventory ?? `INV-${serial}`,
  };
  const service = new DockService({
    clock,
    random: random.fork('session'),
    identity,
    trusted: o.trusted ?? testTrustedKeys(),
    replay: new StorageReplayStore(internal),
    source,
    status: app,
    charge: app,
    commands: app.commands,
    journal,
    clockTrusted: () => true,
  });
  return {
    identity,
    clock,
    random,
    service,
    journal,
    source,
    app,
    card,
    internal,
    maxBody: o.maxBody,
    serve: (port) => new DockLinks({ port, clock, random: random.fork('links'), handlers: service, maxBody: o.maxBody }),
  };
}

function cidFor(seed: number): string {
  // A plausible SD CID: manufacturer 0x03 "SD", product "SU32G", serial from the seed.
  return `035344535533324780${(seed >>> 0).toString(16).padStart(8, '0')}0167`.slice(0, 32).padEnd(32, '0');
}
