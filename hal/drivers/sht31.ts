/**
 * SHT31 temperature/humidity driver (Sensirion; address 0x44, or 0x45 with ADDR high).
 * 16-bit commands sent MSB first as plain I2C writes; results read as plain I2C reads of
 * 16-bit words MSB first, each followed by CRC-8 (polynomial 0x31, init 0xFF, no final XOR).
 *
 * A reading is a single-shot measurement without clock stretching (0x2400 / 0x240B / 0x2416 for
 * high / medium / low repeatability), a wait of the datasheet maximum (15 / 6 / 4 ms, +1 ms),
 * then a 6-byte read. A CRC mismatch is a `ChecksumError`; no ACK is `DeviceNotRespondingError`.
 * On first use (and after any failure) the sensor is soft-reset (0x30A2, 1.5 ms) and the heater
 * set as configured (0x306D on / 0x3066 off).
 */
import type { ClimateSample, ClimateSensor } from '../climate.ts';
import { ChecksumError, InvalidOptionsError } from '../errors.ts';
import { I2cDriver, type I2cDriverOptions } from './i2c-device.ts';

export const SHT31_ADDRESSES = [0x44, 0x45] as const;

/** Sensirion CRC-8 (poly 0x31, init 0xFF): CRC of 0xBE 0xEF is 0x92. */
export function crc8(bytes: ArrayLike<number>, offset = 0, length = bytes.length - offset): number {
  let crc = 0xff;
  for (let i = offset; i < offset + length; i++) {
    crc ^= bytes[i];
    for (let b = 0; b < 8; b++) crc = (crc & 0x80 ? (crc << 1) ^ 0x31 : crc << 1) & 0xff;
  }
  return crc;
}

export type Sht31Repeatability = 'high' | 'medium' | 'low';

const SINGLE_SHOT: Record<Sht31Repeatability, { command: number; waitMs: number }> = {
  high: { command: 0x2400, waitMs: 16 },
  medium: { command: 0x240b, waitMs: 7 },
  low: { command: 0x2416, waitMs: 5 },
};

const CMD_SOFT_RESET = 0x30a2;
const CMD_HEATER_ON = 0x306d;
const CMD_HEATER_OFF = 0x3066;

export interface Sht31Options extends I2cDriverOptions {
  repeatability?: Sht31Repeatability;
  /** Run the on-chip heater (drives off condensation on the sensor; reads ≈3 °C warm). Default false. */
  heater?: boolean;
}

export class Sht31 extends I2cDriver implements ClimateSensor {
  private readonly shot: { command: number; waitMs: number };
  private readonly heater: boolean;
  private initialised = false;
  private readonly rx = Buffer.alloc(6);

  constructor(options: Sht31Options) {
    super(options, { name: 'climate sensor', address: 0x44, addresses: SHT31_ADDRESSES });
    const rep = options.repeatability ?? 'high';
    if (!(rep in SINGLE_SHOT)) throw new InvalidOptionsError(`${this.name}: repeatability must be high, medium or low, got ${JSON.stringify(rep)}`);
    if (options.heater !== undefined && typeof options.heater !== 'boolean') throw new InvalidOptionsError(`${this.name}: heater must be a boolean`);
    this.shot = SINGLE_SHOT[rep];
    this.heater = options.heater ?? false;
  }

  read(): Promise<ClimateSample> {
    return this.exclusive(async () => {
      if (!this.initialised) {
        await this.command(CMD_SOFT_RESET);
        await this.clock.sleep(2);
        await this.command(this.heater ? CMD_HEATER_ON : CMD_HEATER_OFF);
        this.initialised = true;
      }
      await this.command(this.shot.command);
      await this.clock.sleep(this.shot.waitMs);
      await this.bus.i2cRead(this.address, 6, this.rx);
      const r = this.rx;
      const tCrc = crc8(r, 0, 2);
      if (tCrc !== r[2]) throw new ChecksumError(this.name, `temperature CRC 0x${hex(r[2])} ≠ 0x${hex(tCrc)}`);
      const hCrc = crc8(r, 3, 2);
      if (hCrc !== r[5]) throw new ChecksumError(this.name, `humidity CRC 0x${hex(r[5])} ≠ 0x${hex(hCrc)}`);
      const st = (r[0] << 8) | r[1];
      const srh = (r[3] << 8) | r[4];
      return {
        celsius: -45 + (175 * st) / 65535,
        humidity: Math.min(100, Math.max(0, (100 * srh) / 65535)),
        at: this.clock.monotonic(),
      };
    });
  }

  /** After any failure, start again from a soft reset. */
  protected override onFailure(): void {
    this.initialised = false;
  }

  private async command(cmd: number): Promise<void> {
    await this.bus.i2cWrite(this.address, 2, Buffer.from([cmd >> 8, cmd & 0xff]));
  }

  protected override async onClose(): Promise<void> {
    // Nothing to release: single-shot mode leaves the sensor idle (≈0.2 µA).
  }
}

function hex(n: number): string {
  return n.toString(16).padStart(2, '0');
}
