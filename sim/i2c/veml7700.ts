/**
 * VEML7700 ambient light sensor, register level (address 0x10; 16-bit registers, LSB first).
 * Source: Vishay datasheet rev 1.7 and app note 84323 as summarised in research §1.
 *
 * - ALS_CONF (0x00): SD bit0, INT_EN bit1, PERS bits5:4, IT bits9:6, GAIN bits12:11. POR: shut down.
 * - Integration runs continuously while powered: a result appears one integration time after a
 *   configuration change (2.5 ms more after waking from shutdown) and every IT (+ the power-saving
 *   wait when PSM is on) after that. Until then the data registers hold the previous, stale value,
 *   as on the part, so a driver that reads too early gets counts scaled for the old setting.
 * - counts = lux_raw / resolution, resolution = 0.0042 × (800 / IT) × (2 / gain) lx/count,
 *   saturating at 65535. At gain ×1/8 and ×1/4 the response is non-linear: lux_raw is the inverse
 *   of the app-note correction polynomial, so the driver's correction recovers the true lux.
 * - WHITE (0x05) = ALS × a spectrum ratio; interrupt status (0x06) from the last PERS results
 *   against ALS_WH/ALS_WL, cleared by reading.
 */
import type { I2cTarget } from './bus.ts';
import { hashGaussian } from '../world/noise.ts';

export const VEML7700_ADDRESS = 0x10;

const IT_MS: Record<number, number> = { 0b1100: 25, 0b1000: 50, 0b0000: 100, 0b0001: 200, 0b0010: 400, 0b0011: 800 };
const GAIN: Record<number, number> = { 0b00: 1, 0b01: 2, 0b10: 1 / 8, 0b11: 1 / 4 };
const PSM_WAIT_MS = [500, 1000, 2000, 4000];
const PERSISTENCE = [1, 2, 4, 8];

/** Adafruit `computeLux` / app-note correction polynomial: true lux from the linear reading. */
export function veml7700Correction(L: number): number {
  return ((6.0135e-13 * L - 9.3924e-9) * L + 8.1488e-5) * L * L + 1.0023 * L;
}

/** Inverse of the correction (Newton; the polynomial is increasing for L ≥ 0). */
function uncorrect(lux: number): number {
  let x = lux / 1.0023;
  // Convex and increasing: Newton from above converges monotonically (slowly from far away).
  for (let i = 0; i < 60; i++) {
    const f = veml7700Correction(x) - lux;
    const d = ((4 * 6.0135e-13 * x - 3 * 9.3924e-9) * x + 2 * 8.1488e-5) * x + 1.0023;
    const step = f / d;
    x -= step;
    if (Math.abs(step) < 1e-9 * (1 + lux)) break;
  }
  return Math.max(0, x);
}

export interface Veml7700ModelOptions {
  clock: { trueTime(): number };
  /** True illuminance at the sensor (lux) at true time t. */
  lux: (t: number) => number;
  seed?: number;
  /** WHITE/ALS count ratio for the light's spectrum; default 1.25 (daylight). */
  whiteRatio?: number;
  /** Relative count noise (1σ); default 0.3 %. */
  noise?: number;
  /**
   * Model the app note's non-linearity at gain ×1/8 and ×1/4 (default true). A linear part
   * saturates at 65535 counts (≈141 klx at ×1/8, 25 ms); a non-linear one compresses bright
   * light and does not saturate in sunlight.
   */
  nonLinear?: boolean;
}

export class Veml7700Model implements I2cTarget {
  private readonly clock: { trueTime(): number };
  private readonly luxAt: (t: number) => number;
  private readonly seed: number;
  private readonly whiteRatio: number;
  private readonly noise: number;
  private readonly nonLinear: boolean;
  private conf = 0x0001;
  private wh = 0;
  private wl = 0;
  private psm = 0;
  private pointer = 0;
  /** When the current measurement sequence started (after config write / wake-up). */
  private runStart = 0;
  /** Registers held until the first result of the current sequence. */
  private staleAls = 0;
  private staleWhite = 0;
  private lastReportedCycle = -1;

  constructor(options: Veml7700ModelOptions) {
    this.clock = options.clock;
    this.luxAt = options.lux;
    this.seed = options.seed ?? 7700;
    this.whiteRatio = options.whiteRatio ?? 1.25;
    this.noise = options.noise ?? 0.003;
    this.nonLinear = options.nonLinear ?? true;
    this.runStart = this.clock.trueTime();
  }

  powerOnReset(): void {
    this.conf = 0x0001;
    this.wh = 0;
    this.wl = 0;
    this.psm = 0;
    this.pointer = 0;
    this.staleAls = 0;
    this.staleWhite = 0;
    this.lastReportedCycle = -1;
    this.runStart = this.clock.trueTime();
  }

  write(data: Uint8Array): void {
    this.pointer = data[0];
    if (data.length < 3) return; // a command byte alone sets the pointer for the next read
    const value = data[1] | (data[2] << 8);
    const t = this.clock.trueTime();
    switch (this.pointer) {
      case 0x00: {
        const wasShut = (this.conf & 1) === 1;
        this.freeze(t);
        this.conf = value & 0x1bf3;
        // 2.5 ms wake-up before the first integration after leaving shutdown (app note).
        this.runStart = t + (wasShut && (value & 1) === 0 ? 2.5 : 0);
        this.lastReportedCycle = -1;
        break;
      }
      case 0x01:
        this.wh = value;
        break;
      case 0x02:
        this.wl = value;
        break;
      case 0x03:
        this.freeze(t);
        this.psm = value & 0x7;
        this.runStart = t;
        break;
      default:
        break; // read-only or reserved: ignored
    }
  }

  read(length: number): Uint8Array {
    const t = this.clock.trueTime();
    let value = 0;
    switch (this.pointer) {
      case 0x00: value = this.conf; break;
      case 0x01: value = this.wh; break;
      case 0x02: value = this.wl; break;
      case 0x03: value = this.psm; break;
      case 0x04: value = this.registers(t).als; break;
      case 0x05: value = this.registers(t).white; break;
      case 0x06: value = this.interruptStatus(t); break;
      default: value = 0;
    }
    const out = new Uint8Array(length).fill(0xff);
    if (length > 0) out[0] = value & 0xff;
    if (length > 1) out[1] = value >> 8;
    return out;
  }

  /** Resolution (lx/count) for the current setting. */
  get resolution(): number {
    return 0.0042 * (800 / this.itMs) * (2 / this.gain);
  }

  private get itMs(): number {
    return IT_MS[(this.conf >> 6) & 0xf] ?? 100; // undefined IT codes behave as 100 ms here
  }

  private get gain(): number {
    return GAIN[(this.conf >> 11) & 0x3];
  }

  private get periodMs(): number {
    return this.itMs + ((this.psm & 1) === 1 ? PSM_WAIT_MS[(this.psm >> 1) & 3] : 0);
  }

  /** Index of the last completed integration at t, or −1 when none yet in this sequence. */
  private lastCycle(t: number): number {
    if ((this.conf & 1) === 1) return -1;
    const sinceFirst = t - (this.runStart + this.itMs);
    return sinceFirst < 0 ? -1 : Math.floor(sinceFirst / this.periodMs);
  }

  private cycleCounts(k: number): number {
    const end = this.runStart + this.itMs + k * this.periodMs;
    const lux = this.luxAt(end - this.itMs / 2);
    const raw = this.nonLinear && this.gain <= 0.25 ? uncorrect(lux) : lux;
    const counts = Math.floor((raw / this.resolution) * (1 + this.noise * hashGaussian(this.seed, Math.round(end))));
    return Math.min(65535, Math.max(0, counts));
  }

  private registers(t: number): { als: number; white: number } {
    const k = this.lastCycle(t);
    if (k < 0) return { als: this.staleAls, white: this.staleWhite };
    const als = this.cycleCounts(k);
    return { als, white: Math.min(65535, Math.floor(als * this.whiteRatio)) };
  }

  /** Keeps the current result registers across a configuration change or shutdown. */
  private freeze(t: number): void {
    const r = this.registers(t);
    this.staleAls = r.als;
    this.staleWhite = r.white;
  }

  private interruptStatus(t: number): number {
    if ((this.conf & 2) === 0) return 0;
    const k = this.lastCycle(t);
    const pers = PERSISTENCE[(this.conf >> 4) & 3];
    if (k < 0 || k + 1 < pers || k <= this.lastReportedCycle) return 0;
    let high = true;
    let low = true;
    for (let i = k - pers + 1; i <= k; i++) {
      const c = this.cycleCounts(i);
      if (c <= this.wh) high = false;
      if (c >= this.wl) low = false;
    }
    if (!high && !low) return 0;
    this.lastReportedCycle = k; // reading clears the flags
    return (high ? 0x4000 : 0) | (low ? 0x8000 : 0);
  }
}
