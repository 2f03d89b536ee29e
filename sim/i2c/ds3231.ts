/**
 * DS3231 real-time clock, register level: address 0x68, registers 0x00–0x12 with an
 * auto-incrementing pointer that wraps after 0x12. Source: Maxim datasheet via adafruit/RTClib
 * and Linux rtc-ds1307.c (research §4).
 *
 * - Time registers are BCD: seconds, minutes, hours (bit6 = 12-h mode, bit5 = PM in 12-h mode),
 *   day of week 1–7 (user-defined, advancing at midnight), date, month (bit7 = century), year.
 *   They are a snapshot of the oscillator model taken at the START of a read, as the chip copies
 *   them to its user buffer. Writing the seconds register restarts the countdown chain (the
 *   sub-second phase becomes zero).
 * - 0x0E control (EOSC stops the oscillator on battery), 0x0F status: OSF (bit7) mirrors the
 *   oscillator model's stop flag and is only cleared by writing 0; A1F/A2F likewise; EN32kHz R/W.
 * - 0x10 aging offset (signed, ≈0.1 ppm per LSB); 0x11–0x12 temperature, 0.25 °C, converted
 *   every 64 s. Alarm registers 0x07–0x0D are stored (alarm matching is not modelled).
 */
import type { I2cTarget } from './bus.ts';
import type { RtcOscillator } from '../world/rtc.ts';

export const DS3231_ADDRESS = 0x68;

const REGISTER_COUNT = 0x13;

export interface Ds3231ModelOptions {
  clock: { trueTime(): number };
  oscillator: RtcOscillator;
  /** Error of the on-die thermometer (°C); datasheet ±3 °C. Default 0. */
  temperatureOffsetC?: number;
}

function toBcd(n: number): number {
  return ((Math.floor(n / 10) % 10) << 4) | n % 10;
}

function fromBcd(b: number): number {
  return (b >> 4) * 10 + (b & 0x0f);
}

export class Ds3231Model implements I2cTarget {
  private readonly clock: { trueTime(): number };
  private readonly osc: RtcOscillator;
  private readonly temperatureOffset: number;
  private readonly regs = new Uint8Array(REGISTER_COUNT);
  private pointer = 0;
  private hour12 = false;
  /** Register day-of-week minus the computed weekday (mod 7), fixed when the host writes it. */
  private dowOffset = 0;

  constructor(options: Ds3231ModelOptions) {
    this.clock = options.clock;
    this.osc = options.oscillator;
    this.temperatureOffset = options.temperatureOffsetC ?? 0;
    this.powerOnReset();
  }

  powerOnReset(): void {
    this.regs.fill(0);
    this.regs[0x0e] = 0x1c; // INTCN, RS2, RS1
    this.regs[0x0f] = 0x08; // EN32kHz (OSF comes from the oscillator model)
    this.pointer = 0;
    this.hour12 = false;
    this.dowOffset = 0;
    this.osc.setStopOnBattery(false);
  }

  write(data: Uint8Array): void {
    this.pointer = data[0] % REGISTER_COUNT;
    if (data.length === 1) return;
    const time = this.timeRegisters(this.clock.trueTime());
    let timeWritten = false;
    let secondsWritten = false;
    for (let i = 1; i < data.length; i++) {
      const a = this.pointer;
      const v = data[i];
      if (a <= 0x06) {
        time[a] = v;
        timeWritten = true;
        if (a === 0x00) secondsWritten = true;
        if (a === 0x02) this.hour12 = (v & 0x40) !== 0;
      } else {
        this.writeControl(a, v);
      }
      this.pointer = (a + 1) % REGISTER_COUNT;
    }
    if (timeWritten) this.applyTime(time, secondsWritten);
  }

  read(length: number): Uint8Array {
    const t = this.clock.trueTime();
    const snapshot = this.snapshot(t);
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) {
      out[i] = snapshot[this.pointer];
      this.pointer = (this.pointer + 1) % REGISTER_COUNT;
    }
    return out;
  }

  private snapshot(t: number): Uint8Array {
    const r = this.regs.slice();
    r.set(this.timeRegisters(t), 0);
    r[0x0f] = (this.regs[0x0f] & 0x7f) | (this.osc.oscillatorStopFlag ? 0x80 : 0);
    // The TCXO converts every 64 s; the registers hold the last conversion.
    const conversion = Math.floor(t / 64_000) * 64_000;
    const q = Math.round((this.osc.temperature(conversion) + this.temperatureOffset) * 4);
    const clamped = Math.max(-128 * 4, Math.min(127 * 4 + 3, q));
    r[0x11] = (Math.floor(clamped / 4) & 0xff) >>> 0;
    r[0x12] = ((clamped & 3) << 6) & 0xc0;
    return r;
  }

  /** The seven time registers for the oscillator's time at t. */
  private timeRegisters(t: number): number[] {
    const d = new Date(this.osc.time(t));
    let year = d.getUTCFullYear();
    // The part counts 2000–2199: the century bit toggles at 99 → 00.
    year = 2000 + ((((year - 2000) % 200) + 200) % 200);
    const h = d.getUTCHours();
    let hours: number;
    if (this.hour12) {
      const h12 = h % 12 === 0 ? 12 : h % 12;
      hours = 0x40 | (h >= 12 ? 0x20 : 0) | toBcd(h12);
    } else {
      hours = toBcd(h);
    }
    const dow = ((d.getUTCDay() + this.dowOffset) % 7) + 1;
    return [
      toBcd(d.getUTCSeconds()),
      toBcd(d.getUTCMinutes()),
      hours,
      dow,
      toBcd(d.getUTCDate()),
      toBcd(d.getUTCMonth() + 1) | (year >= 2100 ? 0x80 : 0),
      toBcd(year % 100),
    ];
  }

  private applyTime(r: number[], secondsWritten: boolean): void {
    const seconds = fromBcd(r[0] & 0x7f);
    const minutes = fromBcd(r[1] & 0x7f);
    let hours: number;
    if (r[2] & 0x40) {
      const h12 = fromBcd(r[2] & 0x1f) % 12;
      hours = h12 + (r[2] & 0x20 ? 12 : 0);
    } else {
      hours = fromBcd(r[2] & 0x3f);
    }
    const date = fromBcd(r[4] & 0x3f);
    const month = fromBcd(r[5] & 0x1f);
    const year = 2000 + fromBcd(r[6]) + (r[5] & 0x80 ? 100 : 0);
    const current = this.osc.time();
    const subSecond = secondsWritten ? 0 : ((current % 1000) + 1000) % 1000;
    const ms = Date.UTC(year, month - 1, date, hours, minutes, seconds) + subSecond;
    const weekday = new Date(ms).getUTCDay();
    // Remember how the host numbers weekdays so the register keeps counting its way.
    this.dowOffset = ((((r[3] & 0x07) - 1 - weekday) % 7) + 7) % 7;
    this.osc.writeTime(ms);
  }

  private writeControl(a: number, v: number): void {
    switch (a) {
      case 0x0e:
        this.regs[a] = v;
        this.osc.setStopOnBattery((v & 0x80) !== 0);
        return;
      case 0x0f:
        if ((v & 0x80) === 0) this.osc.clearOscillatorStopFlag();
        // A1F/A2F clear only; EN32kHz and the rest R/W; BSY read-only.
        this.regs[a] = (this.regs[a] & 0x03 & v) | (v & 0x08);
        return;
      case 0x10:
        this.regs[a] = v;
        this.osc.setAgingOffset(v >= 0x80 ? v - 0x100 : v);
        return;
      case 0x11:
      case 0x12:
        return; // temperature is read-only
      default:
        this.regs[a] = v;
    }
  }
}
