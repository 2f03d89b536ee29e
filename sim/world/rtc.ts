/**
 * The RTC's 32 kHz oscillator and counting chain: what time the RTC holds, how it drifts, and
 * when its oscillator stopped (which makes the time untrustworthy, R-TIME-1).
 *
 * time(t) = anchorTime + (t − anchorTrue)·(1 + ppm·10⁻⁶) while the oscillator runs; frozen while
 * it is stopped. ppm = base drift (seeded within ±2 ppm: DS3231 accuracy 0–40 °C) minus
 * 0.1 ppm per aging-register LSB. OSF (oscillator-stop flag) is set at first power-up and
 * whenever the oscillator stops; it stays set until software clears it.
 * All times are true UTC ms of the simulated world.
 */
import { hashUniform, subSeed } from './noise.ts';
import type { WorldClock } from './world-clock.ts';

export interface RtcOscillatorOptions {
  clock: WorldClock;
  /** Used to draw the drift when `driftPpm` is not given. */
  seed?: number;
  /** Frequency error in ppm (+ runs fast); default drawn from the seed within ±2 ppm. */
  driftPpm?: number;
  /**
   * The RTC's time at the start (ms since the epoch). Default: the true time plus
   * `initialErrorMs`. Ignored when `firstPowerUp` is set.
   */
  initialTimeMs?: number;
  /** Offset of the RTC from true time at the start (ms); default 0. */
  initialErrorMs?: number;
  /**
   * The part has never been powered before (fresh board, no coin cell ever): it starts at
   * 2000-01-01 00:00:00 with OSF set, as a DS3231 does.
   */
  firstPowerUp?: boolean;
  /** A backup cell keeps the oscillator running while the device is off; default true. */
  backupBattery?: boolean;
  /** Die temperature source (°C), usually the device temperature. */
  temperature?: (t: number) => number;
}

/** DS3231 power-on register state: 2000-01-01 00:00:00. */
export const RTC_POWER_ON_TIME = Date.UTC(2000, 0, 1, 0, 0, 0);

export class RtcOscillator {
  private readonly clock: WorldClock;
  private readonly basePpm: number;
  private agingLsb = 0;
  private anchorTrue: number;
  private anchorTime: number;
  private running = true;
  private osf: boolean;
  private vccPresent = true;
  private backup: boolean;
  /** EOSC bit: stop the oscillator when running from the backup cell. */
  private stopOnBattery = false;
  private readonly temperatureSource: ((t: number) => number) | undefined;

  constructor(options: RtcOscillatorOptions) {
    this.clock = options.clock;
    const t = this.clock.trueTime();
    this.basePpm = options.driftPpm ?? (hashUniform(subSeed(options.seed ?? 0, 'rtc-drift'), 0) * 4 - 2);
    if (!Number.isFinite(this.basePpm) || Math.abs(this.basePpm) > 500) throw new RangeError(`driftPpm must be within ±500, got ${this.basePpm}`);
    this.anchorTrue = t;
    if (options.firstPowerUp) {
      this.anchorTime = RTC_POWER_ON_TIME;
      this.osf = true;
    } else {
      this.anchorTime = options.initialTimeMs ?? t + (options.initialErrorMs ?? 0);
      this.osf = false;
    }
    this.backup = options.backupBattery ?? true;
    this.temperatureSource = options.temperature;
  }

  /** Effective frequency error (ppm). */
  get ppm(): number {
    return this.basePpm - 0.1 * this.agingLsb;
  }

  /** The RTC's time (ms since the epoch) at true time t (default now). */
  time(t = this.clock.trueTime()): number {
    if (!this.running) return this.anchorTime;
    return this.anchorTime + (t - this.anchorTrue) * (1 + this.ppm * 1e-6);
  }

  /** RTC time minus true time (ms): positive = the RTC is ahead. */
  error(t = this.clock.trueTime()): number {
    return this.time(t) - t;
  }

  get oscillatorStopFlag(): boolean {
    return this.osf;
  }

  get oscillatorRunning(): boolean {
    return this.running;
  }

  temperature(t = this.clock.trueTime()): number {
    return this.temperatureSource ? this.temperatureSource(t) : 25;
  }

  /** A register write of the time: restarts the count from `timeMs`; OSF unchanged. */
  writeTime(timeMs: number): void {
    this.anchorTrue = this.clock.trueTime();
    this.anchorTime = timeMs;
  }

  /** Sets the time and clears OSF (an authorised time set, or a factory-set part). */
  set(timeMs: number): void {
    this.writeTime(timeMs);
    this.osf = false;
  }

  clearOscillatorStopFlag(): void {
    this.osf = false;
  }

  /** Aging offset register (signed LSBs; + slows the oscillator by ≈0.1 ppm each). */
  setAgingOffset(lsb: number): void {
    this.rebase();
    this.agingLsb = lsb;
  }

  get agingOffset(): number {
    return this.agingLsb;
  }

  /** Oscillator stops (crystal fault, both supplies gone, EOSC on battery): time freezes, OSF set. */
  stop(): void {
    if (!this.running) return;
    this.rebase();
    this.running = false;
    this.osf = true;
  }

  /** Oscillator runs again from the frozen time. */
  start(): void {
    if (this.running) return;
    this.anchorTrue = this.clock.trueTime();
    this.running = true;
  }

  /** The device lost its main supply: the oscillator keeps running only on a backup cell without EOSC. */
  powerLost(): void {
    this.vccPresent = false;
    if (!this.backup || this.stopOnBattery) this.stop();
  }

  powerRestored(): void {
    this.vccPresent = true;
    this.start();
  }

  /** Backup cell present/good or not; removing it while the device is off stops the oscillator. */
  setBackupBattery(present: boolean): void {
    this.backup = present;
    if (!this.vccPresent && !present) this.stop();
  }

  /** The EOSC control bit. */
  setStopOnBattery(stop: boolean): void {
    this.stopOnBattery = stop;
    if (!this.vccPresent && stop) this.stop();
  }

  /** Re-anchors the count at now (before the rate changes). */
  private rebase(): void {
    const t = this.clock.trueTime();
    this.anchorTime = this.time(t);
    this.anchorTrue = t;
  }
}
