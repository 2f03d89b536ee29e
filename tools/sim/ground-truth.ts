/**
 * What really happened around a simulated device, observed from the world side and never from
 * the firmware's own account: the recording time the packs could still give, what the buzzer,
 * the IR illuminator, the IR-cut filter and the mode LED physically did, when the registered
 * card was out of its slot, what reached the duty officer and when. The verdicts judge the
 * firmware's journal and alerts against this.
 *
 * The duty officer's end of the alert link is played here too: while the device sits in a dock
 * the dock link carries its outbound alerts (the dock session does this on a real dock), and a
 * vehicle recorder has its online uplink (R-VEH-2) unless the scenario takes it down.
 */
import { Subscription } from 'rxjs';
import type { SimBoot, SimHardware } from '../../sim/hardware.ts';
import { SIM_PINS } from '../../sim/hardware.ts';
import type { VirtualClock } from '../../sim/virtual-clock.ts';
import type { RunningDevice } from '../../firmware/device.ts';
import type { AlertTransport, OutboundAlert } from '../../firmware/alerts/outbound-queue.ts';

export interface Delivery {
  /** Scenario seconds when the duty officer received it. */
  t: number;
  channel: 'dock' | 'uplink';
  event: 'raised' | 'cleared';
  kind: string;
  /** Device wall time the alert carries (when it was raised) and when it was queued. */
  alertWall: number;
  queuedWall: number;
}

export interface Interval {
  start: number;
  /** null: still so at the end of the run. */
  end: number | null;
}

export interface GroundTruthRecord {
  /** A standing alert re-raised with new details (e.g. a second fault while one stands). */
  updates: Array<{ t: number; kind: string }>;
  /** Alert announcements the firmware started (kind, scenario seconds). */
  announcements: Array<{ t: number; kind: string }>;
  /** Starts of buzzer bursts measured on the buzzer line (a pause of ≥ 1 s separates bursts). */
  buzzerBursts: number[];
  deliveries: Delivery[];
  /** The registered card was not in the slot. */
  cardOut: Interval[];
  /** The slot cover was open. */
  sealOpen: Interval[];
  /** The uplink / the dock link was down (scenario `link-down`). */
  uplinkDown: Interval[];
  dockLinkDown: Interval[];
  /** Per alert raised (same order as the record's alerts): the world's state at that moment. */
  atAlert: Array<{ trueRemainingMin: number | null; cardFreeBytes: number }>;
  /** At each issue request: the hours of day-time recording the packs really held (R-PWR-4). */
  issueChecks: Array<{ t: number; plannedHours: number; trueHours: number }>;
  /** Day-time recording current of the device (mA), for the issue check. */
  recordingLoadMa: number;
  /** Capacity of the packs at the start (mAh), for the 8-hour autonomy check. */
  packCapacityMah: [number | null, number | null];
}

export interface TruthSample {
  /** Minutes of recording the packs can still give at the present load, to the power path's cut-off (null on external power or off). */
  trueRemainingMin: number | null;
  loadMa: number;
  /** Physical output lines (null while the device is off). */
  irLed: boolean | null;
  irCut: 'day' | 'night' | null;
  greenLed: boolean | null;
  cardFreeBytes: number;
}

const BURST_GAP_MS = 1000;

export class GroundTruth {
  readonly record: GroundTruthRecord;
  private bootSubs: Subscription | null = null;
  private lineSubs: Subscription | null = null;
  private irCut: 'day' | 'night' | null = null;
  private lastBuzzerEdge = -Infinity;
  private readonly up = { uplink: true, dock: true };
  private detachDock: (() => void) | null = null;
  private device: RunningDevice | null = null;

  constructor(
    private readonly hw: SimHardware,
    private readonly clock: VirtualClock,
    private readonly vehicle: boolean,
    recordingLoadMa: number,
    /** Charge of each pack the device may keep back for a clean shutdown (% state of charge). */
    private readonly reservePercent: number,
  ) {
    const cap = (slot: 0 | 1) => hw.world.power.pack(slot)?.capacityMah ?? null;
    this.record = {
      announcements: [],
      updates: [],
      buzzerBursts: [],
      deliveries: [],
      cardOut: [],
      sealOpen: [],
      uplinkDown: [],
      dockLinkDown: [],
      atAlert: [],
      issueChecks: [],
      recordingLoadMa,
      packCapacityMah: [cap(0), cap(1)],
    };
    hw.world.power.events$.subscribe((e) => {
      if (e.kind === 'dock') this.dockLink();
    });
    // The lines are watched from the moment the board exists, before the firmware starts.
    hw.boots$.subscribe((boot) => this.watchLines(boot));
  }

  private watchLines(boot: SimBoot): void {
    this.lineSubs?.unsubscribe();
    const subs = new Subscription();
    this.irCut = null;
    subs.add(
      boot.gpio.watch(SIM_PINS.buzzer).subscribe((level) => {
        if (level !== 1) return;
        const at = this.clock.monotonic();
        if (at - this.lastBuzzerEdge >= BURST_GAP_MS) this.record.buzzerBursts.push(at / 1000);
        this.lastBuzzerEdge = at;
      }),
    );
    // The IR-cut filter is bistable: it stays where the last pulse on either coil moved it.
    subs.add(boot.gpio.watch(SIM_PINS.irCut.day).subscribe((l) => l === 1 && (this.irCut = 'day')));
    subs.add(boot.gpio.watch(SIM_PINS.irCut.night).subscribe((l) => l === 1 && (this.irCut = 'night')));
    this.lineSubs = subs;
  }

  private get now(): number {
    return this.clock.monotonic() / 1000;
  }

  /**
   * The firmware of a new power-on is up: follow its announcements and connect its alert links.
   * `bootAtS` is when the board powered on; `announcedAtBoot` the alerts it announced while starting.
   */
  attach(device: RunningDevice, announcedAtBoot: ReadonlyArray<{ t: number; kind: string }>): void {
    this.detachFirmware();
    this.device = device;
    this.record.announcements.push(...announcedAtBoot);
    const subs = new Subscription();
    subs.add(
      device.firmware.events$.subscribe((e) => {
        if (e.type === 'alert' && e.event.type === 'announced') this.record.announcements.push({ t: this.now, kind: e.event.kind });
      }),
    );
    if (this.vehicle) subs.add(device.firmware.attachAlertTransport(this.transport('uplink', () => this.up.uplink)));
    this.bootSubs = subs;
    this.dockLink();
  }

  /** Power lost: the boot's lines and links are gone with it. */
  detach(): void {
    this.lineSubs?.unsubscribe();
    this.lineSubs = null;
    this.detachFirmware();
  }

  private detachFirmware(): void {
    this.bootSubs?.unsubscribe();
    this.bootSubs = null;
    this.detachDock?.();
    this.detachDock = null;
    this.device = null;
  }

  setLink(link: 'uplink' | 'dock', up: boolean): void {
    if (up === this.up[link]) return;
    this.up[link] = up;
    const list = link === 'uplink' ? this.record.uplinkDown : this.record.dockLinkDown;
    if (!up) list.push({ start: this.now, end: null });
    else close(list, this.now);
  }

  /** Call after anything moved the card or the cover. */
  physical(sealOpen: boolean): void {
    const out = this.hw.cardInSlot !== this.hw.card;
    const lastOut = this.record.cardOut.at(-1);
    if (out && (!lastOut || lastOut.end !== null)) this.record.cardOut.push({ start: this.now, end: null });
    if (!out) close(this.record.cardOut, this.now);
    const lastSeal = this.record.sealOpen.at(-1);
    if (sealOpen && (!lastSeal || lastSeal.end !== null)) this.record.sealOpen.push({ start: this.now, end: null });
    if (!sealOpen) close(this.record.sealOpen, this.now);
  }

  onUpdate(kind: string): void {
    this.record.updates.push({ t: this.now, kind });
  }

  onAlert(): void {
    this.record.atAlert.push({ trueRemainingMin: this.trueRemainingMin(), cardFreeBytes: this.cardFreeBytes() });
  }

  sample(boot: SimBoot | null): TruthSample {
    const gpio = boot?.gpio;
    return {
      trueRemainingMin: this.trueRemainingMin(),
      loadMa: this.hw.world.power.totalLoadMa,
      irLed: gpio ? gpio.level(SIM_PINS.irLed) === 1 : null,
      irCut: gpio ? this.irCut : null,
      greenLed: gpio ? gpio.level(SIM_PINS.leds.green) === 1 : null,
      cardFreeBytes: this.cardFreeBytes(),
    };
  }

  /** Recording the packs can still power at the present load before the power path cuts off. */
  trueRemainingMin(): number | null {
    const power = this.hw.world.power;
    const load = power.totalLoadMa;
    if (power.externalPower || !power.powered() || load <= 0) return null;
    return (this.usableMah(load) / load) * 60;
  }

  noteIssue(plannedHours: number): void {
    const load = this.record.recordingLoadMa;
    this.record.issueChecks.push({ t: this.now, plannedHours, trueHours: this.usableMah(load) / load });
  }

  /**
   * Charge both packs can give for recording at this load: above the power path's cut-off (which
   * rises with the load and the cold) and above the reserve kept for a clean shutdown.
   */
  private usableMah(load: number): number {
    const power = this.hw.world.power;
    let mah = 0;
    for (const slot of [0, 1] as const) {
      const pack = power.pack(slot);
      if (!pack) continue;
      const snap = power.snapshot(slot);
      const floor = Math.max(pack.cutoffCharge(load, snap.celsius, power.cutoffVolts), pack.chargeForSoc(this.reservePercent / 100, snap.celsius));
      mah += Math.max(0, snap.chargeMah - floor);
    }
    return mah;
  }

  private cardFreeBytes(): number {
    const s = this.hw.card.storage;
    return s.capacityBytes - s.usedBytes;
  }

  finish(): void {
    const t = this.now;
    for (const list of [this.record.cardOut, this.record.sealOpen, this.record.uplinkDown, this.record.dockLinkDown]) close(list, t);
  }

  private dockLink(): void {
    const docked = this.hw.world.power.docked;
    if (docked && this.device && !this.detachDock) this.detachDock = this.device.firmware.attachAlertTransport(this.transport('dock', () => this.hw.world.power.docked && this.up.dock));
    if (!docked && this.detachDock) {
      this.detachDock();
      this.detachDock = null;
    }
  }

  private transport(channel: 'dock' | 'uplink', up: () => boolean): AlertTransport {
    return {
      channel,
      deliver: async (a: OutboundAlert) => {
        if (!up()) throw new Error(`${channel} link down`);
        this.record.deliveries.push({ t: this.now, channel, event: a.event, kind: a.alert.kind, alertWall: a.alert.at, queuedWall: a.queuedAt });
      },
    };
  }
}

function close(list: Interval[], t: number): void {
  const last = list.at(-1);
  if (last && last.end === null) last.end = t;
}
