/**
 * BH1750 ambient light sensor driver (ROHM; address 0x23 with ADDR low, 0x5C with ADDR high).
 * No registers: one-byte opcodes (`sendByte`) and a two-byte result read MSB first (`i2cRead`).
 *
 * Runs in a continuous mode and ranges over three settings, least sensitive first:
 * H-resolution with MTreg 31 (≈1.85 lx/count, up to ≈121 klx), H-resolution with the default
 * MTreg 69 (0.83 lx/count, up to ≈54.6 klx) and H-resolution-2 with MTreg 254 (≈0.11 lx/count,
 * up to ≈7.4 klx). lux = counts / 1.2 × 69 / MTreg (÷ 2 more in H-res2 mode).
 * After a change it waits the datasheet's maximum measurement time (180 ms × MTreg / 69).
 */
import type { AmbientLightSensor, LightSample } from '../light.ts';
import { I2cDriver, type I2cDriverOptions } from './i2c-device.ts';

export const BH1750_ADDRESSES = [0x23, 0x5c] as const;

const OP_POWER_ON = 0x01;
const OP_RESET = 0x07;
const OP_POWER_DOWN = 0x00;
const OP_CONTINUOUS_H = 0x10;
const OP_CONTINUOUS_H2 = 0x11;

export interface Bh1750Step {
  opcode: number;
  mtreg: number;
  /** lx per count. */
  resolution: number;
}

export const BH1750_LADDER: readonly Bh1750Step[] = [
  { opcode: OP_CONTINUOUS_H, mtreg: 31, resolution: (1 / 1.2) * (69 / 31) },
  { opcode: OP_CONTINUOUS_H, mtreg: 69, resolution: 1 / 1.2 },
  { opcode: OP_CONTINUOUS_H2, mtreg: 254, resolution: (1 / 1.2) * (69 / 254) / 2 },
];

const START_STEP = 1;
const FULL_SCALE = 65_535;
const MOVE_DOWN_ABOVE = 60_000;
const MOVE_UP_TO = 30_000;

/** The ladder step to use after reading `counts` at step `i`. */
export function bh1750NextStep(i: number, counts: number): number {
  if (counts >= FULL_SCALE) return Math.max(0, i - 1);
  const lux = counts * BH1750_LADDER[i].resolution;
  if (counts > MOVE_DOWN_ABOVE) {
    for (let s = i - 1; s > 0; s--) if (lux / BH1750_LADDER[s].resolution <= MOVE_DOWN_ABOVE) return s;
    return 0;
  }
  let best = i;
  for (let s = i + 1; s < BH1750_LADDER.length; s++) if (lux / BH1750_LADDER[s].resolution <= MOVE_UP_TO) best = s;
  return best;
}

export type Bh1750Options = I2cDriverOptions;

export class Bh1750 extends I2cDriver implements AmbientLightSensor {
  private step = START_STEP;
  private initialised = false;
  private freshFrom = 0;
  private readonly buf = Buffer.alloc(2);

  constructor(options: Bh1750Options) {
    super(options, { name: 'light sensor', address: 0x23, addresses: BH1750_ADDRESSES });
  }

  get setting(): Bh1750Step {
    return BH1750_LADDER[this.step];
  }

  read(): Promise<LightSample> {
    return this.exclusive(() => this.measure());
  }

  /** After a dropout the part is powered down: start it again. */
  protected override onFailure(): void {
    this.initialised = false;
  }

  private async measure(): Promise<LightSample> {
    if (!this.initialised) {
      await this.bus.sendByte(this.address, OP_POWER_ON);
      await this.bus.sendByte(this.address, OP_RESET);
      await this.configure(START_STEP);
      this.initialised = true;
    }
    for (let changes = 0; ; changes++) {
      const wait = this.freshFrom - this.clock.monotonic();
      if (wait > 0) await this.clock.sleep(wait);
      await this.bus.i2cRead(this.address, 2, this.buf);
      const counts = (this.buf[0] << 8) | this.buf[1];
      const next = bh1750NextStep(this.step, counts);
      if (next === this.step || changes >= 3) {
        return { lux: counts * this.setting.resolution, saturated: counts >= FULL_SCALE, at: this.clock.monotonic() };
      }
      await this.configure(next);
    }
  }

  private async configure(i: number): Promise<void> {
    const s = BH1750_LADDER[i];
    await this.bus.sendByte(this.address, 0x40 | (s.mtreg >> 5));
    await this.bus.sendByte(this.address, 0x60 | (s.mtreg & 0x1f));
    await this.bus.sendByte(this.address, s.opcode);
    this.step = i;
    this.freshFrom = this.clock.monotonic() + (180 * s.mtreg) / 69;
  }

  protected override async onClose(): Promise<void> {
    if (!this.initialised) return;
    try {
      await this.bus.sendByte(this.address, OP_POWER_DOWN);
    } catch {
      // closing must succeed even when the sensor is gone
    }
  }
}
