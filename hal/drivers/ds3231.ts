/**
 * DS3231 real-time clock driver (Maxim/ADI; address 0x68). Registers 0x00–0x12 are read in one
 * 19-byte block (a consistent snapshot): BCD time 0x00–0x06 (12/24-hour hours, century bit in
 * the month register), control 0x0E (EOSC), status 0x0F (OSF), temperature 0x11–0x12.
 *
 * R-TIME-1: OSF = 1 means the oscillator stopped at some point (first power-up, both supplies
 * lost, EOSC on battery), so the time is not trustworthy → `oscillatorStopped: true`. `set()`
 * writes the time in 24-hour mode at a whole second (it waits for the boundary, since writing
 * the seconds register restarts the countdown chain), clears EOSC, then clears OSF.
 * The part counts years 2000–2199 (century bit); weekdays are written Sunday = 1, as Linux does.
 */
import type { RealTimeClock, RtcReading } from '../rtc.ts';
import { BusError, InvalidOptionsError } from '../errors.ts';
import { I2cDriver, type I2cDriverOptions } from './i2c-device.ts';

export const DS3231_DEFAULT_ADDRESS = 0x68;

const REG_SECONDS = 0x00;
const REG_CONTROL = 0x0e;
const REG_STATUS = 0x0f;
const STATUS_OSF = 0x80;
const CONTROL_EOSC = 0x80;

export const DS3231_MIN_TIME = Date.UTC(2000, 0, 1);
export const DS3231_MAX_TIME = Date.UTC(2200, 0, 1) - 1;

export function toBcd(n: number): number {
  if (!(Number.isInteger(n) && n >= 0 && n <= 99)) throw new RangeError(`BCD needs 0..99, got ${n}`);
  return ((n / 10) << 4) | n % 10;
}

/** Decodes a BCD byte; NaN when a digit is not 0–9. */
export function fromBcd(b: number): number {
  const hi = b >> 4;
  const lo = b & 0x0f;
  return hi > 9 || lo > 9 ? NaN : hi * 10 + lo;
}

/** The seven time registers for a UTC time (24-hour mode). */
export function encodeDs3231Time(epochMs: number): number[] {
  const d = new Date(epochMs);
  const year = d.getUTCFullYear();
  return [
    toBcd(d.getUTCSeconds()),
    toBcd(d.getUTCMinutes()),
    toBcd(d.getUTCHours()),
    d.getUTCDay() + 1,
    toBcd(d.getUTCDate()),
    toBcd(d.getUTCMonth() + 1) | (year >= 2100 ? 0x80 : 0),
    toBcd(year % 100),
  ];
}

/** Decodes the seven time registers (12- or 24-hour) to UTC ms; NaN when they are not a valid time. */
export function decodeDs3231Time(r: ArrayLike<number>): number {
  const seconds = fromBcd(r[0] & 0x7f);
  const minutes = fromBcd(r[1] & 0x7f);
  let hours: number;
  if (r[2] & 0x40) {
    const h12 = fromBcd(r[2] & 0x1f);
    hours = h12 < 1 || h12 > 12 ? NaN : (h12 % 12) + (r[2] & 0x20 ? 12 : 0);
  } else {
    hours = fromBcd(r[2] & 0x3f);
  }
  const date = fromBcd(r[4] & 0x3f);
  const month = fromBcd(r[5] & 0x1f);
  const year = 2000 + fromBcd(r[6]) + (r[5] & 0x80 ? 100 : 0);
  if (![seconds, minutes, hours, date, month, year].every(Number.isFinite)) return NaN;
  if (seconds > 59 || minutes > 59 || hours > 23 || month < 1 || month > 12 || date < 1) return NaN;
  const ms = Date.UTC(year, month - 1, date, hours, minutes, seconds);
  // Reject 31 February and the like instead of letting Date roll them over.
  return new Date(ms).getUTCDate() === date ? ms : NaN;
}

export type Ds3231Options = I2cDriverOptions;

export class Ds3231 extends I2cDriver implements RealTimeClock {
  private readonly block = Buffer.alloc(0x13);

  constructor(options: Ds3231Options) {
    super(options, { name: 'real-time clock', address: DS3231_DEFAULT_ADDRESS, addresses: [DS3231_DEFAULT_ADDRESS] });
  }

  read(): Promise<RtcReading> {
    return this.exclusive(async () => {
      await this.bus.readI2cBlock(this.address, REG_SECONDS, 0x13, this.block);
      const r = this.block;
      const time = decodeDs3231Time(r);
      if (!Number.isFinite(time)) {
        throw new BusError(`${this.name}: implausible time registers ${Array.from(r.subarray(0, 7), (b) => b.toString(16).padStart(2, '0')).join(' ')}`);
      }
      const msb = r[0x11] >= 0x80 ? r[0x11] - 0x100 : r[0x11];
      return {
        time,
        oscillatorStopped: (r[REG_STATUS] & STATUS_OSF) !== 0,
        temperatureC: msb + (r[0x12] >> 6) * 0.25,
      };
    });
  }

  set(epochMs: number): Promise<void> {
    if (typeof epochMs !== 'number' || !Number.isFinite(epochMs) || epochMs < DS3231_MIN_TIME || epochMs > DS3231_MAX_TIME) {
      return Promise.reject(new InvalidOptionsError(`${this.name}: time must be between 2000-01-01 and 2199-12-31, got ${String(epochMs)}`));
    }
    return this.exclusive(async () => {
      // Write on a whole second: the seconds write restarts the chip's sub-second countdown.
      const toBoundary = (1000 - (((epochMs % 1000) + 1000) % 1000)) % 1000;
      if (toBoundary > 0) await this.clock.sleep(toBoundary);
      const regs = encodeDs3231Time(Math.min(DS3231_MAX_TIME, epochMs + toBoundary));
      await this.bus.writeI2cBlock(this.address, REG_SECONDS, regs.length, Buffer.from(regs));
      const control = await this.bus.readByte(this.address, REG_CONTROL);
      if (control & CONTROL_EOSC) await this.bus.writeByte(this.address, REG_CONTROL, control & ~CONTROL_EOSC);
      const status = await this.bus.readByte(this.address, REG_STATUS);
      // OSF is cleared by writing 0; writing 1 to the alarm flags leaves them as they are.
      await this.bus.writeByte(this.address, REG_STATUS, status & ~STATUS_OSF);
    });
  }
}
