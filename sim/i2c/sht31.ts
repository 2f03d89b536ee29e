/**
 * SHT31 temperature/humidity sensor (Sensirion), command level: address 0x44 (ADDR low) or 0x45.
 * 16-bit commands MSB first; results as 16-bit words MSB first, each followed by a CRC-8
 * (poly 0x31, init 0xFF). Source: Sensirion datasheet via adafruit/Adafruit_SHT31 (research §5).
 *
 * - Single shot: 0x2400/0x240B/0x2416 (high/medium/low repeatability, no clock stretching)
 *   take 12.5/4.5/2.5 ms (datasheet typ.; max 15/6/4 ms). During the measurement the sensor does
 *   not acknowledge its address; afterwards a 6-byte read returns T, CRC, RH, CRC once.
 *   0x2C06/0x2C0D/0x2C10 (clock stretching) answer a read at once (the stretch is not timed here).
 * - A read header with no result pending is not acknowledged (so a read-probing scan misses it).
 * - Status 0xF32D (3 bytes), clear status 0x3041, soft reset 0x30A2, heater on/off 0x306D/0x3066.
 *   POR status 0x8010 (alert pending, reset detected). Unknown commands set status bit 1.
 * - T = −45 + 175·S_T/65535, RH = 100·S_RH/65535. The heater warms the sensor by ≈3 °C (the
 *   vapour pressure stays, so RH drops).
 */
import type { I2cTarget } from './bus.ts';
import { hashGaussian } from '../world/noise.ts';
import { relativeHumidity, saturationVaporPressure, type ClimateReading } from '../world/climate.ts';

export const SHT31_ADDRESS = 0x44;
export const SHT31_ADDRESS_ALT = 0x45;

/** Sensirion CRC-8: polynomial 0x31, init 0xFF, no reflection, no final XOR. */
export function sensirionCrc8(bytes: ArrayLike<number>): number {
  let crc = 0xff;
  for (let i = 0; i < bytes.length; i++) {
    crc ^= bytes[i];
    for (let b = 0; b < 8; b++) crc = crc & 0x80 ? ((crc << 1) ^ 0x31) & 0xff : (crc << 1) & 0xff;
  }
  return crc;
}

const SINGLE_SHOT: Record<number, { ms: number; stretch: boolean; noise: number }> = {
  0x2400: { ms: 12.5, stretch: false, noise: 1 },
  0x240b: { ms: 4.5, stretch: false, noise: 1.5 },
  0x2416: { ms: 2.5, stretch: false, noise: 3 },
  0x2c06: { ms: 12.5, stretch: true, noise: 1 },
  0x2c0d: { ms: 4.5, stretch: true, noise: 1.5 },
  0x2c10: { ms: 2.5, stretch: true, noise: 3 },
};

export const SHT31_HEATER_RISE_C = 3;

export interface Sht31ModelOptions {
  clock: { trueTime(): number };
  /** Temperature and RH the sensing element sees at true time t. */
  climate: (t: number) => ClimateReading;
  seed?: number;
}

export class Sht31Model implements I2cTarget {
  private readonly clock: { trueTime(): number };
  private readonly climateAt: (t: number) => ClimateReading;
  private readonly seed: number;
  private status = 0x8010;
  private heater = false;
  private busyUntil = -Infinity;
  private pending: { readyAt: number; stretch: boolean; noise: number } | null = null;
  private output: Uint8Array | null = null;
  private measurements = 0;

  constructor(options: Sht31ModelOptions) {
    this.clock = options.clock;
    this.climateAt = options.climate;
    this.seed = options.seed ?? 31;
  }

  powerOnReset(): void {
    this.status = 0x8010;
    this.heater = false;
    this.busyUntil = -Infinity;
    this.pending = null;
    this.output = null;
  }

  acknowledge(read: boolean): boolean {
    const t = this.clock.trueTime();
    if (this.pending && !this.pending.stretch && t < this.pending.readyAt) return false;
    if (t < this.busyUntil) return false;
    if (!read) return true;
    return this.output !== null || this.pending !== null;
  }

  write(data: Uint8Array): void {
    if (data.length < 2) {
      this.status |= 0x0002;
      return;
    }
    const cmd = (data[0] << 8) | data[1];
    const t = this.clock.trueTime();
    const shot = SINGLE_SHOT[cmd];
    if (shot) {
      this.pending = { readyAt: t + shot.ms, stretch: shot.stretch, noise: shot.noise };
      this.output = null;
      this.status &= ~0x0002;
      return;
    }
    switch (cmd) {
      case 0xf32d: {
        const s = [this.status >> 8, this.status & 0xff];
        this.output = Uint8Array.from([...s, sensirionCrc8(s)]);
        this.pending = null;
        return;
      }
      case 0x3041:
        this.status &= ~0x8c10; // alert pending, RH/T alerts, reset detected
        return;
      case 0x30a2:
        this.powerOnReset();
        this.busyUntil = t + 1; // soft reset takes ≈1 ms (max 1.5)
        return;
      case 0x306d:
        this.heater = true;
        this.status |= 0x2000;
        return;
      case 0x3066:
        this.heater = false;
        this.status &= ~0x2000;
        return;
      default:
        this.status |= 0x0002; // command not processed
    }
  }

  read(length: number): Uint8Array {
    if (this.pending) {
      this.output = this.measure(this.pending.readyAt, this.pending.noise);
      this.pending = null;
    }
    const out = new Uint8Array(length).fill(0xff);
    if (this.output) out.set(this.output.subarray(0, length));
    this.output = null; // a result is read once
    return out;
  }

  private measure(t: number, noiseScale: number): Uint8Array {
    const c = this.climateAt(t);
    let celsius = c.celsius;
    let humidity = c.humidity;
    if (this.heater) {
      const vapor = (humidity / 100) * saturationVaporPressure(celsius);
      celsius += SHT31_HEATER_RISE_C;
      humidity = relativeHumidity(vapor, celsius);
    }
    const n = this.measurements++;
    // Repeatability (datasheet, high): 0.04 °C and 0.08 %RH.
    celsius += 0.04 * noiseScale * hashGaussian(this.seed, 2 * n);
    humidity += 0.08 * noiseScale * hashGaussian(this.seed, 2 * n + 1);
    const st = Math.round(Math.min(65535, Math.max(0, ((celsius + 45) / 175) * 65535)));
    const srh = Math.round(Math.min(65535, Math.max(0, (humidity / 100) * 65535)));
    const tb = [st >> 8, st & 0xff];
    const hb = [srh >> 8, srh & 0xff];
    return Uint8Array.from([...tb, sensirionCrc8(tb), ...hb, sensirionCrc8(hb)]);
  }
}
