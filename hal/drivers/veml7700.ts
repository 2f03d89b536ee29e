/**
 * VEML7700 ambient light sensor driver (Vishay; address 0x10; 16-bit registers, LSB first, so
 * plain SMBus words need no swap). Registers used: 0x00 ALS_CONF, 0x03 power saving, 0x04 ALS.
 *
 * Auto-range after the Vishay app note 84323 (Fig. 24, as in Adafruit `autoLux`): the settings
 * form one ladder from least to most sensitive — gain ×1/8 at 25, 50, 100 ms, then gain ×1/4,
 * ×1, ×2 at 100 ms, then ×2 at 200, 400, 800 ms. A reading of ≤ 100 counts moves up the ladder,
 * > 10 000 counts (or saturation) moves down. Unlike the app note, which restarts from
 * ×1/8 / 100 ms for every reading, the driver keeps the last setting and jumps straight to the
 * step the counts predict, so a steady scene costs one register read and no waiting.
 *
 * lux = counts × 0.0042 × (800 / IT) × (2 / gain)  (R_max 0.0042 lx/count, datasheet rev 1.7);
 * at gain ×1/8 and ×1/4 the app note's polynomial corrects the non-linearity.
 * After a setting change (or power-on: 2.5 ms wake-up) the driver waits 2 × IT before reading,
 * as Adafruit does, so the result belongs to the new setting.
 */
import type { AmbientLightSensor, LightSample } from '../light.ts';
import { check } from '../device.ts';
import { I2cDriver, type I2cDriverOptions } from './i2c-device.ts';

export const VEML7700_DEFAULT_ADDRESS = 0x10;

const REG_CONF = 0x00;
const REG_PSM = 0x03;
const REG_ALS = 0x04;

export interface Veml7700Step {
  gain: number;
  itMs: number;
  /** ALS_GAIN and ALS_IT codes. */
  gainCode: number;
  itCode: number;
  /** lx per count. */
  resolution: number;
}

function step(gain: number, gainCode: number, itMs: number, itCode: number): Veml7700Step {
  return { gain, gainCode, itMs, itCode, resolution: 0.0042 * (800 / itMs) * (2 / gain) };
}

/** The auto-range ladder, least sensitive first. */
export const VEML7700_LADDER: readonly Veml7700Step[] = [
  step(1 / 8, 0b10, 25, 0b1100),
  step(1 / 8, 0b10, 50, 0b1000),
  step(1 / 8, 0b10, 100, 0b0000),
  step(1 / 4, 0b11, 100, 0b0000),
  step(1, 0b00, 100, 0b0000),
  step(2, 0b01, 100, 0b0000),
  step(2, 0b01, 200, 0b0001),
  step(2, 0b01, 400, 0b0010),
  step(2, 0b01, 800, 0b0011),
];

/** App-note start: gain ×1/8, 100 ms. */
const START_STEP = 2;
const LOW_COUNTS = 100;
const HIGH_COUNTS = 10_000;
const FULL_SCALE = 65_535;
/** Counts to aim for when moving up from a dim reading. */
const TARGET_LOW = 200;
/** Setting changes per reading before the driver settles for what it has. */
const MAX_RANGE_CHANGES = 4;

/** App-note non-linearity correction for gain ×1/8 and ×1/4 (Adafruit `computeLux`). */
export function veml7700CorrectLux(L: number): number {
  return ((6.0135e-13 * L - 9.3924e-9) * L + 8.1488e-5) * L * L + 1.0023 * L;
}

/** ALS_CONF value for a ladder step: power on, no interrupt, persistence 1. */
export function veml7700Conf(s: Veml7700Step): number {
  return (s.gainCode << 11) | (s.itCode << 6);
}

/** The ladder step to use after reading `counts` at step `i` (may be `i`). */
export function veml7700NextStep(i: number, counts: number): number {
  const last = VEML7700_LADDER.length - 1;
  const res = VEML7700_LADDER[i].resolution;
  if (counts >= FULL_SCALE) return 0;
  if (counts > HIGH_COUNTS && i > 0) {
    const lux = counts * res;
    for (let s = i - 1; s > 0; s--) if (lux / VEML7700_LADDER[s].resolution <= HIGH_COUNTS) return s;
    return 0;
  }
  if (counts <= LOW_COUNTS && i < last) {
    const lux = Math.max(counts, 0.5) * res;
    for (let s = i + 1; s < last; s++) if (lux / VEML7700_LADDER[s].resolution >= TARGET_LOW) return s;
    return last;
  }
  return i;
}

export interface Veml7700Options extends I2cDriverOptions {
  /**
   * How often (ms) a reading also reads ALS_CONF back to notice a sensor that lost power and
   * came back reset without the bus ever failing; default 10 000. 0 checks every reading.
   */
  resetCheckMs?: number;
}

export class Veml7700 extends I2cDriver implements AmbientLightSensor {
  private step = START_STEP;
  private initialised = false;
  /** Monotonic time from which the result register holds a reading at the current step. */
  private freshFrom = 0;
  private checkedAt = 0;
  private readonly resetCheckMs: number;

  constructor(options: Veml7700Options) {
    super(options, { name: 'light sensor', address: VEML7700_DEFAULT_ADDRESS, addresses: [VEML7700_DEFAULT_ADDRESS] });
    this.resetCheckMs = options.resetCheckMs === undefined ? 10_000 : check.number(options.resetCheckMs, `${this.name}: resetCheckMs`, 0);
  }

  /** The current ladder step (for diagnostics). */
  get setting(): Veml7700Step {
    return VEML7700_LADDER[this.step];
  }

  read(): Promise<LightSample> {
    return this.exclusive(() => this.measure());
  }

  /** The chip may come back after a power cycle in its reset state: configure it again. */
  protected override onFailure(): void {
    this.initialised = false;
  }

  private async measure(): Promise<LightSample> {
    const now = this.clock.monotonic();
    if (this.initialised && now - this.checkedAt >= this.resetCheckMs) {
      // A sensor that lost power in between is back in shutdown with a reset configuration.
      const conf = await this.bus.readWord(this.address, REG_CONF);
      if (conf !== veml7700Conf(this.setting)) this.initialised = false;
      this.checkedAt = now;
    }
    if (!this.initialised) {
      await this.bus.writeWord(this.address, REG_PSM, 0x0000);
      // Start where the light was last time (the app-note start, ×1/8 at 100 ms, on first use).
      await this.configure(this.step, 2.5);
      this.initialised = true;
      this.checkedAt = this.clock.monotonic();
    }
    for (let changes = 0; ; changes++) {
      const wait = this.freshFrom - this.clock.monotonic();
      if (wait > 0) await this.clock.sleep(wait);
      const counts = await this.bus.readWord(this.address, REG_ALS);
      const next = veml7700NextStep(this.step, counts);
      if (next === this.step || changes >= MAX_RANGE_CHANGES) return this.sample(counts);
      await this.configure(next, 0);
    }
  }

  private async configure(i: number, wakeMs: number): Promise<void> {
    const s = VEML7700_LADDER[i];
    await this.bus.writeWord(this.address, REG_CONF, veml7700Conf(s));
    this.step = i;
    this.freshFrom = this.clock.monotonic() + wakeMs + 2 * s.itMs;
  }

  private sample(counts: number): LightSample {
    const s = this.setting;
    const linear = counts * s.resolution;
    const lux = s.gain <= 0.25 ? veml7700CorrectLux(linear) : linear;
    return { lux, saturated: counts >= FULL_SCALE, at: this.clock.monotonic() };
  }

  protected override async onClose(): Promise<void> {
    if (!this.initialised) return;
    try {
      // Shut the sensor down (ALS_SD): ≈0.5 µA instead of ≈45 µA.
      await this.bus.writeWord(this.address, REG_CONF, veml7700Conf(this.setting) | 1);
    } catch {
      // Closing must succeed even when the sensor is gone.
    }
  }
}
