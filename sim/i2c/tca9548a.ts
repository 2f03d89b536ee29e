/**
 * TCA9548A 1-to-8 I2C multiplexer (TI), addresses 0x70–0x77. One 8-bit control register, written
 * and read without a command byte: bit n connects downstream channel n. POR: all channels off.
 * Two MAX17048 gauges, both fixed at 0x36, sit behind channels 0 and 1.
 */
import { SimI2cSegment, type I2cRouter, type I2cTarget } from './bus.ts';

export class Tca9548aModel implements I2cTarget, I2cRouter {
  readonly channels: readonly SimI2cSegment[];
  private control = 0;

  constructor(label = 'tca9548a') {
    this.channels = Array.from({ length: 8 }, (_, i) => new SimI2cSegment(`${label} channel ${i}`));
  }

  /** The downstream segment of channel `n` (attach chips here). */
  channel(n: number): SimI2cSegment {
    const seg = this.channels[n];
    if (!seg) throw new RangeError(`TCA9548A has channels 0..7, got ${n}`);
    return seg;
  }

  get controlRegister(): number {
    return this.control;
  }

  private connected: readonly SimI2cSegment[] = [];

  connectedSegments(): readonly SimI2cSegment[] {
    return this.connected;
  }

  private setControl(value: number): void {
    this.control = value;
    this.connected = this.channels.filter((_, i) => (value >> i) & 1);
  }

  write(data: Uint8Array): void {
    // Each byte written lands in the control register; the last one wins.
    this.setControl(data[data.length - 1]);
  }

  read(length: number): Uint8Array {
    return new Uint8Array(length).fill(this.control);
  }

  powerOnReset(): void {
    this.setControl(0);
  }
}
