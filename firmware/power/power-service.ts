/**
 * Power (R-PWR-1..4). Two swappable packs behind an ideal-diode power path:
 * - Draining policy: drain one pack at a time (the emptier one), so the other stays full and
 *   the drained one can be swapped while recording; switch when the active pack reaches the
 *   switch threshold. The power path fails over by itself, so a swap never interrupts anything.
 * - Remaining recording time from the measured draw (the gauge's discharge rate, or the charge
 *   it lost over time), smoothed; low alert at ≤ 20 min, critical at ≤ 5 min, each repeated
 *   every 20 s by the alert service, cleared with hysteresis after a swap.
 * - No good pack left (and no external power): the app is told to close the segment cleanly,
 *   journal and shut down; the flat battery goes to the duty officer through the alert queue.
 * - Issue check: refuse a device whose charge cannot cover the planned shift.
 */
import { BehaviorSubject, type Observable } from 'rxjs';
import { z } from 'zod';
import type { BatteryGauge, BatteryReading, DockState, PowerPath, SlotIndex } from '../../hal/battery.ts';
import type { Clock, TimerHandle } from '../../hal/clock.ts';
import type { Storage } from '../../hal/storage.ts';
import type { AlertSink } from '../alerts/alert-sink.ts';
import type { ServiceJournal } from '../common/journal.ts';
import type { FaultReporter } from '../faults/fault-reporter.ts';
import { loadJson, saveJson } from '../common/persisted.ts';
import { errorMessage } from '../common/errors.ts';
import { alignedDelay } from '../common/sensor-poller.ts';
import type { RecorderConfig } from '../app/config.ts';

export type BatteryLevel = 'ok' | 'low' | 'critical' | 'empty';

export interface PackStatus {
  slot: SlotIndex;
  present: boolean;
  socPercent: number;
  voltage: number;
  ratePercentPerHour: number;
  /** Present and above the empty thresholds. */
  good: boolean;
}

export interface PowerStatus {
  /** Per slot; null while the gauge has not answered. */
  packs: [PackStatus | null, PackStatus | null];
  activeSlot: SlotIndex | null;
  externalPower: boolean;
  docked: boolean;
  /** Recording draw estimate in % of one pack per hour. */
  drawPercentPerHour: number;
  /** True once the draw has been measured (not the nominal or learned value). */
  drawMeasured: boolean;
  /** Minutes of recording left on the good packs; null on external power. */
  remainingMin: number | null;
  level: BatteryLevel;
}

export interface IssueCheck {
  ok: boolean;
  batteryHours: number;
  plannedShiftHours: number;
}

export const POWER_STATE_PATH = 'state/power.json';
const SLOT_NAMES = ['A', 'B'] as const;

export interface PowerServiceOptions {
  clock: Clock;
  gauges: readonly [BatteryGauge, BatteryGauge];
  powerPath: PowerPath;
  readDock: () => Promise<DockState>;
  internal: Storage;
  journal: ServiceJournal;
  alerts: AlertSink;
  faults: FaultReporter;
  config: RecorderConfig['power'];
  failuresBeforeFault: number;
  /** Called once when no good pack is left: the app closes recording cleanly and shuts down. */
  onNoGoodPack: () => void;
}

export class PowerService {
  private readonly statusSubject: BehaviorSubject<PowerStatus>;
  readonly status$: Observable<PowerStatus>;
  private timer: TimerHandle | null = null;
  private busy = false;
  private readonly failures = [0, 0];
  private readonly lastPresent: [boolean | null, boolean | null] = [null, null];
  private selected: SlotIndex | null = null;
  private draw: number;
  private drawMeasured = false;
  private lastTick: number | null = null;
  private socRef: { slot: SlotIndex; soc: number; at: number } | null = null;
  private recording = false;
  private emptyReported = false;
  private readonly swapNeeded = new Set<SlotIndex>();
  private firstTick = true;

  constructor(private readonly o: PowerServiceOptions) {
    this.draw = o.config.nominalDrawPercentPerHour;
    this.statusSubject = new BehaviorSubject<PowerStatus>({
      packs: [null, null],
      activeSlot: null,
      externalPower: false,
      docked: false,
      drawPercentPerHour: this.draw,
      drawMeasured: false,
      remainingMin: null,
      level: 'ok',
    });
    this.status$ = this.statusSubject.asObservable();
  }

  get status(): PowerStatus {
    return this.statusSubject.value;
  }

  /** Restores the recording draw learned in earlier shifts. */
  async load(): Promise<void> {
    const { value } = await loadJson(this.o.internal, POWER_STATE_PATH, z.object({ drawPercentPerHour: z.number().positive() }), {
      drawPercentPerHour: this.o.config.nominalDrawPercentPerHour,
    });
    this.draw = value.drawPercentPerHour;
  }

  async saveLearnedDraw(): Promise<void> {
    await saveJson(this.o.internal, POWER_STATE_PATH, { drawPercentPerHour: this.draw });
  }

  start(): void {
    if (this.timer) return;
    void this.tick();
    // First poll now, then on multiples of the period (shared instants with the other services).
    const first = this.o.clock.setTimeout(() => {
      this.timer = this.o.clock.setInterval(() => void this.tick(), this.o.config.pollMs);
      void this.tick();
    }, alignedDelay(this.o.clock.monotonic(), this.o.config.pollMs));
    this.timer = first;
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = null;
  }

  /** The draw is learned only while recording, the activity the estimate is for. */
  setRecording(on: boolean): void {
    this.recording = on;
    this.socRef = null;
  }

  /** Polls now (e.g. on a dock change) instead of waiting for the next period. */
  refresh(): Promise<void> {
    return this.tick();
  }

  /** R-PWR-4: can the packs as they are now cover `plannedShiftHours` of recording plus the reserve? */
  async checkIssue(plannedShiftHours: number): Promise<IssueCheck> {
    const readings = await Promise.allSettled(this.o.gauges.map((g) => g.read()));
    let usable = 0;
    for (const r of readings) if (r.status === 'fulfilled') usable += this.usable(r.value);
    const batteryHours = usable / this.draw;
    return { ok: batteryHours >= plannedShiftHours + this.o.config.issueReserveHours, batteryHours, plannedShiftHours };
  }

  private usable(r: BatteryReading): number {
    if (!r.present || r.voltage <= this.o.config.shutdownVoltage) return 0;
    return Math.max(0, r.socPercent - this.o.config.emptySocPercent);
  }

  private isGood(r: BatteryReading): boolean {
    return r.present && r.socPercent > this.o.config.emptySocPercent && r.voltage > this.o.config.shutdownVoltage;
  }

  private async tick(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      await this.evaluate();
    } finally {
      this.busy = false;
    }
  }

  private async evaluate(): Promise<void> {
    const c = this.o.config;
    const now = this.o.clock.monotonic();
    const settled = await Promise.allSettled(this.o.gauges.map((g) => g.read()));
    const readings: [BatteryReading | null, BatteryReading | null] = [null, null];
    settled.forEach((r, i) => {
      const name = `battery gauge ${SLOT_NAMES[i]}`;
      if (r.status === 'fulfilled') {
        readings[i] = r.value;
        this.failures[i] = 0;
        if (this.o.faults.isFaulty(name)) this.o.faults.clear(name);
      } else if (++this.failures[i] === this.o.failuresBeforeFault) {
        this.o.faults.raise(name, errorMessage(r.reason));
      }
    });
    let dock: DockState = { docked: this.status.docked, externalPower: this.status.externalPower, charging: [false, false] };
    try {
      dock = await this.o.readDock();
    } catch {
      // Keep the last known dock state; the charger is not essential to recording.
    }
    let active: SlotIndex | null = this.selected;
    try {
      active = await this.o.powerPath.active();
      if (this.o.faults.isFaulty('power path')) this.o.faults.clear('power path');
    } catch (err) {
      this.o.faults.raise('power path', errorMessage(err));
    }

    // Insertions and removals (R-PWR-1: swapping while recording).
    readings.forEach((r, i) => {
      if (!r) return;
      const slot = i as SlotIndex;
      const was = this.lastPresent[i];
      this.lastPresent[i] = r.present;
      if (was === null || was === r.present) return;
      this.o.journal.note('battery-swap', r.present ? { slot, event: 'inserted', socPercent: r.socPercent } : { slot, event: 'removed' });
      if (r.present && this.isGood(r) && this.swapNeeded.delete(slot) && this.swapNeeded.size === 0) this.o.alerts.clear('battery-swap-needed');
    });

    // The hardware failed over on its own (pack pulled or at cut-off).
    if (active !== null && this.selected !== null && active !== this.selected) {
      this.o.journal.note('battery-swap', { slot: active, event: 'switched-to', socPercent: readings[active]?.socPercent });
      this.selected = active;
      this.socRef = null;
    }

    // Draining policy: drain the emptier good pack first; switch at the threshold.
    const good = (s: SlotIndex) => readings[s] !== null && this.isGood(readings[s]!);
    const drained = (s: SlotIndex) => {
      const r = readings[s];
      return !!r && (!r.present || r.socPercent <= c.switchSocPercent || r.voltage <= c.switchVoltage);
    };
    let want: SlotIndex | null = active;
    if (this.firstTick || active === null || !good(active)) {
      const candidates = ([0, 1] as SlotIndex[]).filter((s) => good(s) && !drained(s));
      if (candidates.length > 0) want = candidates.reduce((a, b) => (readings[b]!.socPercent < readings[a]!.socPercent ? b : a));
      else if (active === null || !good(active)) want = ([0, 1] as SlotIndex[]).find(good) ?? active;
    } else if (drained(active)) {
      const other = (1 - active) as SlotIndex;
      if (good(other) && !drained(other)) want = other;
    }
    // On external power the path reports no active pack; the preference already set is the baseline,
    // or every poll in the dock would "switch" to the same pack again (and journal it).
    const baseline = active ?? this.selected;
    if (want !== null && want !== baseline) {
      try {
        await this.o.powerPath.select(want);
        if (active !== null && readings[active]?.present) {
          this.swapNeeded.add(active);
          this.o.alerts.raise({
            kind: 'battery-swap-needed',
            severity: 'warning',
            message: `battery ${SLOT_NAMES[active]} is flat: swap it (running on ${SLOT_NAMES[want]})`,
            details: { slot: active },
          });
        }
        this.o.journal.note('battery-swap', { slot: want, event: 'switched-to', socPercent: readings[want]?.socPercent });
        active = want;
        this.socRef = null;
      } catch (err) {
        this.o.faults.raise('power path', errorMessage(err));
      }
    }
    this.selected = active ?? this.selected;
    this.firstTick = false;

    // Draw estimate from the active pack while recording on battery.
    const dt = this.lastTick === null ? 0 : now - this.lastTick;
    this.lastTick = now;
    const ar = active !== null ? readings[active] : null;
    if (this.recording && !dock.externalPower && ar && ar.present && dt > 0) {
      let sample: number | null = null;
      if (ar.ratePercentPerHour < -0.01) {
        sample = -ar.ratePercentPerHour;
      } else if (this.socRef && this.socRef.slot === active) {
        const span = now - this.socRef.at;
        const lost = this.socRef.soc - ar.socPercent;
        if (span >= 60_000 && lost > 0) {
          sample = (lost / span) * 3_600_000;
          this.socRef = { slot: active!, soc: ar.socPercent, at: now };
        }
      }
      if (!this.socRef || this.socRef.slot !== active) this.socRef = { slot: active!, soc: ar.socPercent, at: now };
      if (sample !== null) {
        const alpha = 1 - Math.exp(-dt / c.drawSmoothingMs);
        this.draw = this.drawMeasured ? this.draw + (sample - this.draw) * alpha : sample;
        this.drawMeasured = true;
      }
    }

    // Remaining time and alert levels.
    let remainingMin: number | null = null;
    let level: BatteryLevel = 'ok';
    const known = readings.filter((r): r is BatteryReading => r !== null);
    if (!dock.externalPower) {
      const usable = known.reduce((n, r) => n + this.usable(r), 0);
      remainingMin = (usable / this.draw) * 60;
      const allKnown = known.length === 2;
      const noGood = allKnown && !known.some((r) => this.isGood(r));
      level = noGood ? 'empty' : this.levelFor(remainingMin);
    }
    const packs: [PackStatus | null, PackStatus | null] = [null, null];
    readings.forEach((r, i) => {
      if (r) packs[i] = { slot: i as SlotIndex, present: r.present, socPercent: r.socPercent, voltage: r.voltage, ratePercentPerHour: r.ratePercentPerHour, good: this.isGood(r) };
    });
    const prevLevel = this.status.level;
    this.statusSubject.next({
      packs,
      activeSlot: active,
      externalPower: dock.externalPower,
      docked: dock.docked,
      drawPercentPerHour: this.draw,
      drawMeasured: this.drawMeasured,
      remainingMin,
      level,
    });
    if (level !== prevLevel) this.onLevel(level, remainingMin ?? 0, active);
  }

  /** New level with hysteresis: a level is left upwards only with margin to spare. */
  private levelFor(remainingMin: number): BatteryLevel {
    const c = this.o.config;
    const prev = this.status.level;
    const h = c.clearHysteresisMinutes;
    if (remainingMin <= c.criticalMinutes) return 'critical';
    if (prev === 'critical' && remainingMin <= c.criticalMinutes + h) return 'critical';
    if (remainingMin <= c.lowMinutes) return 'low';
    if ((prev === 'low' || prev === 'critical') && remainingMin <= c.lowMinutes + h) return 'low';
    return 'ok';
  }

  private onLevel(level: BatteryLevel, remainingMin: number, slot: SlotIndex | null): void {
    const minutes = Math.round(remainingMin * 10) / 10;
    const entry = slot === null ? { remainingMin: minutes } : { remainingMin: minutes, slot };
    if (level === 'ok') {
      this.o.journal.note('battery-alert', { level: 'cleared', ...entry });
      this.o.alerts.clear('battery-low');
      this.o.alerts.clear('battery-critical');
      this.emptyReported = false;
      return;
    }
    this.o.journal.note('battery-alert', { level, ...entry });
    if (level === 'low') {
      this.o.alerts.clear('battery-critical');
      this.o.alerts.raise({ kind: 'battery-low', severity: 'warning', message: `battery low: about ${Math.round(remainingMin)} min of recording left`, details: { remainingMin: minutes } });
    } else if (level === 'critical') {
      this.o.alerts.clear('battery-low');
      this.o.alerts.raise({ kind: 'battery-critical', severity: 'critical', message: `battery critical: about ${Math.round(remainingMin)} min of recording left`, details: { remainingMin: minutes } });
    } else if (!this.emptyReported) {
      this.emptyReported = true;
      this.o.alerts.clear('battery-low');
      this.o.alerts.clear('battery-critical');
      this.o.alerts.raise({ kind: 'battery-empty', severity: 'critical', message: 'no good battery left: recording closed, device shutting down', details: {} });
      this.o.onNoGoodPack();
    }
  }
}
