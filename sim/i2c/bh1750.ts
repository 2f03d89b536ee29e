/**
 * BH1750 ambient light sensor (ROHM), opcode level: address 0x23 (ADDR low) or 0x5C (ADDR high),
 * no registers — one-byte opcodes, the result read as two bytes MSB first.
 * Source: ROHM datasheet via Linux `drivers/iio/light/bh1750.c` (research §1).
 *
 * counts = lux × 1.2 × MTreg/69 (H mode), ×2 in H-res2 mode; L mode has 4-lx steps. The
 * measurement takes 120 ms × MTreg/69 (16 ms in L mode); continuous modes repeat, one-time
 * modes measure once and power down. POR state: powered down, MTreg 69, result 0.
 */
import type { I2cTarget } from './bus.ts';
import { hashGaussian } from '../world/noise.ts';

export const BH1750_ADDRESS_LOW = 0x23;
export const BH1750_ADDRESS_HIGH = 0x5c;

type Resolution = 'H' | 'H2' | 'L';

export interface Bh1750ModelOptions {
  clock: { trueTime(): number };
  lux: (t: number) => number;
  seed?: number;
  /** Unit sensitivity relative to the typical 1.2 counts/lx (datasheet: ±20 %); default 1. */
  sensitivity?: number;
  /** Relative count noise (1σ); default 0.3 %. */
  noise?: number;
}

export class Bh1750Model implements I2cTarget {
  private readonly clock: { trueTime(): number };
  private readonly luxAt: (t: number) => number;
  private readonly seed: number;
  private readonly sensitivity: number;
  private readonly noise: number;
  private powered = false;
  private mt = 69;
  private mode: { continuous: boolean; res: Resolution; mt: number } | null = null;
  private started = 0;
  private result = 0;

  constructor(options: Bh1750ModelOptions) {
    this.clock = options.clock;
    this.luxAt = options.lux;
    this.seed = options.seed ?? 1750;
    this.sensitivity = options.sensitivity ?? 1;
    this.noise = options.noise ?? 0.003;
  }

  powerOnReset(): void {
    this.powered = false;
    this.mt = 69;
    this.mode = null;
    this.result = 0;
  }

  write(data: Uint8Array): void {
    const t = this.clock.trueTime();
    for (const op of data) this.opcode(op, t);
  }

  read(length: number): Uint8Array {
    const value = this.current(this.clock.trueTime());
    const out = new Uint8Array(length).fill(0xff);
    if (length > 0) out[0] = value >> 8;
    if (length > 1) out[1] = value & 0xff;
    return out;
  }

  private opcode(op: number, t: number): void {
    this.result = this.current(t);
    if (op === 0x00) {
      this.powered = false;
      this.mode = null;
    } else if (op === 0x01) {
      this.powered = true;
    } else if (op === 0x07) {
      if (this.powered) this.result = 0;
    } else if ((op & 0xf8) === 0x40) {
      this.mt = (this.mt & 0x1f) | ((op & 0x07) << 5);
    } else if ((op & 0xe0) === 0x60) {
      this.mt = (this.mt & 0xe0) | (op & 0x1f);
    } else {
      const modes: Record<number, { continuous: boolean; res: Resolution }> = {
        0x10: { continuous: true, res: 'H' },
        0x11: { continuous: true, res: 'H2' },
        0x13: { continuous: true, res: 'L' },
        0x20: { continuous: false, res: 'H' },
        0x21: { continuous: false, res: 'H2' },
        0x23: { continuous: false, res: 'L' },
      };
      const m = modes[op];
      if (!m) return; // undefined opcodes are ignored
      this.powered = true;
      this.mode = { ...m, mt: Math.max(31, Math.min(254, this.mt)) };
      this.started = t;
    }
  }

  private measurementMs(): number {
    const m = this.mode!;
    return (m.res === 'L' ? 16 : 120) * (m.mt / 69);
  }

  /** The data register at t. */
  private current(t: number): number {
    const m = this.mode;
    if (!m || !this.powered) return this.result;
    const period = this.measurementMs();
    const done = Math.floor((t - this.started) / period);
    if (done < 1) return this.result;
    if (!m.continuous) {
      // One measurement, then power down with the result held.
      const v = this.counts(this.started + period, m);
      this.powered = false;
      this.mode = null;
      this.result = v;
      return v;
    }
    return this.counts(this.started + done * period, m);
  }

  private counts(end: number, m: { res: Resolution; mt: number }): number {
    const lux = this.luxAt(end - this.measurementMs() / 2);
    const noisy = lux * this.sensitivity * (1 + this.noise * hashGaussian(this.seed, Math.round(end)));
    // Rounded to 9 digits first so 100 lx × 1.2 is 120 counts, not 119.99999999999999.
    let c = Math.round(noisy * 1.2 * (m.mt / 69) * 1e9) / 1e9;
    if (m.res === 'H2') c *= 2;
    if (m.res === 'L') c = Math.floor(c / 4) * 4;
    return Math.min(65535, Math.max(0, Math.floor(c)));
  }
}
