/**
 * Day/night switching (R-REC-5). `DayNightDecider` is the pure rule: lux → mode with a
 * hysteresis band (night below 2 lx, day above 4 lx by default) and a dwell (the condition must
 * hold for 5 s of consecutive samples), plus a minimum interval between switches. Noise around
 * one threshold can never make it oscillate: to switch back it must cross the *other* threshold
 * and stay there. `DayNightService` applies the decisions to the optics: the IR-cut filter
 * (pulsed), the IR illuminator (which the vehicle crew may switch off, MVD 18) and the camera
 * pipeline's mode; every switch is journalled.
 */
import { BehaviorSubject, type Observable, type Subscription } from 'rxjs';
import type { DayNightMode, IrCutFilter, IrIlluminator } from '../../hal/ir.ts';
import type { Camera } from '../../hal/camera.ts';
import type { LightSample } from '../../hal/light.ts';
import type { ServiceJournal } from '../common/journal.ts';
import type { FaultReporter } from '../faults/fault-reporter.ts';
import { errorMessage } from '../common/errors.ts';
import type { RecorderConfig } from '../app/config.ts';

const IR_OPTICS = 'IR optics';

export type DayNightConfig = Pick<RecorderConfig['dayNight'], 'nightBelowLux' | 'dayAboveLux' | 'dwellMs' | 'minSwitchIntervalMs'>;

export class DayNightDecider {
  private current: DayNightMode | null = null;
  /** Monotonic time since which every sample has been on the far side of the threshold. */
  private since: number | null = null;
  private lastSwitch = -Infinity;

  constructor(private readonly config: DayNightConfig) {}

  get mode(): DayNightMode | null {
    return this.current;
  }

  /** A switch is being considered (the light is on the far side, dwell running). */
  get pending(): boolean {
    return this.since !== null;
  }

  /** Feeds one sample; returns the new mode when it switches (or on the first sample), else null. */
  update(sample: Pick<LightSample, 'lux' | 'saturated' | 'at'>): DayNightMode | null {
    const lux = sample.saturated ? Infinity : sample.lux;
    if (this.current === null) {
      // Power-on: take the side the first reading is on, no dwell (the camera needs a mode now).
      this.current = lux < this.config.nightBelowLux ? 'night' : 'day';
      return this.current;
    }
    const wantsOther = this.current === 'day' ? lux < this.config.nightBelowLux : lux > this.config.dayAboveLux;
    if (!wantsOther) {
      this.since = null;
      return null;
    }
    if (this.since === null) this.since = sample.at;
    if (sample.at - this.since < this.config.dwellMs) return null;
    if (sample.at - this.lastSwitch < this.config.minSwitchIntervalMs) return null;
    this.current = this.current === 'day' ? 'night' : 'day';
    this.since = null;
    this.lastSwitch = sample.at;
    return this.current;
  }
}

export interface DayNightServiceOptions {
  readings$: Observable<LightSample>;
  irCut: IrCutFilter;
  irLight: IrIlluminator;
  /** Every camera the variant records from; all get the same optics mode. */
  cameras: readonly Camera[];
  journal: ServiceJournal;
  faults: FaultReporter;
  config: RecorderConfig['dayNight'];
}

export class DayNightService {
  private readonly decider: DayNightDecider;
  private readonly modeSubject = new BehaviorSubject<DayNightMode | 'unknown'>('unknown');
  /** The optics mode, emitted at once and on every switch. */
  readonly mode$: Observable<DayNightMode | 'unknown'> = this.modeSubject.asObservable();
  private sub: Subscription | null = null;
  private irEnabled = true;
  /** Applies optics changes one at a time, in order. */
  private chain: Promise<void> = Promise.resolve();
  switches = 0;

  constructor(private readonly o: DayNightServiceOptions) {
    this.decider = new DayNightDecider(o.config);
  }

  get mode(): DayNightMode | 'unknown' {
    return this.modeSubject.value;
  }

  /**
   * Sampling period for the light sensor after a reading: fast while a switch is pending or the
   * light is near the threshold that would switch the current mode (by day: below
   * nightBelowLux × farFactor; by night: above dayAboveLux ÷ farFactor), slow otherwise (bright
   * day, dark night, whatever happens on the side that keeps the mode).
   */
  pollPeriodFor(sample: Pick<LightSample, 'lux' | 'saturated'>): number {
    const c = this.o.config;
    const lux = sample.saturated ? Infinity : sample.lux;
    const mode = this.decider.mode;
    const near = mode === 'night' ? lux > c.dayAboveLux / c.farFactor : lux < c.nightBelowLux * c.farFactor;
    return near || this.decider.pending ? c.pollMs : c.idlePollMs;
  }

  get irLightsEnabled(): boolean {
    return this.irEnabled;
  }

  start(): void {
    if (this.sub) return;
    this.sub = this.o.readings$.subscribe((s) => {
      const mode = this.decider.update(s);
      if (mode) this.switchTo(mode, s.lux);
    });
  }

  stop(): void {
    this.sub?.unsubscribe();
    this.sub = null;
  }

  /** Vehicle recorder: the crew switches the IR lights on or off (journalled). */
  setIrLightsEnabled(enabled: boolean): Promise<void> {
    if (enabled === this.irEnabled) return this.chain;
    this.irEnabled = enabled;
    this.o.journal.note('ir-lights', { enabled });
    return this.enqueue(async () => {
      await this.o.irLight.set(enabled && this.mode === 'night' ? this.o.config.irLevel : 0);
    });
  }

  /** Resolves once every optics change issued so far has been applied. */
  settled(): Promise<void> {
    return this.chain;
  }

  private switchTo(mode: DayNightMode, lux: number): void {
    this.switches += 1;
    this.modeSubject.next(mode);
    const irOn = mode === 'night' && this.irEnabled && this.o.config.irLevel > 0;
    this.o.journal.note('day-night', { mode, lux: Number.isFinite(lux) ? lux : 0, irLight: irOn });
    void this.enqueue(async () => {
      // Night: filter out first, then light; day: light off first, then filter in.
      if (mode === 'night') {
        await this.o.irCut.set('night');
        await this.o.irLight.set(irOn ? this.o.config.irLevel : 0);
      } else {
        await this.o.irLight.set(0);
        await this.o.irCut.set('day');
      }
      for (const cam of this.o.cameras) cam.setMode(mode);
    });
  }

  private enqueue(task: () => Promise<void>): Promise<void> {
    this.chain = this.chain
      .then(async () => {
        await task();
        if (this.o.faults.isFaulty(IR_OPTICS)) this.o.faults.clear(IR_OPTICS);
      })
      .catch((err: unknown) => {
        this.o.faults.raise(IR_OPTICS, errorMessage(err));
      });
    return this.chain;
  }
}
