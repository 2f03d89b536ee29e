/**
 * MAX17048 fuel-gauge driver (Maxim/ADI; address 0x36; 16-bit registers sent MSB first, so every
 * SMBus word is byte-swapped). Registers used: 0x02 VCELL (78.125 µV/LSB), 0x04 SOC (1/256 %),
 * 0x08 VERSION ((v & 0xFFF0) = 0x0010), 0x0A HIBRT, 0x0C CONFIG (RCOMP, SLEEP, ALSC, ALRT, ATHD),
 * 0x16 CRATE (signed, 0.208 %/h), 0x1A STATUS (RI, VH, VL, VR, HD, SC).
 *
 * A reading is two I2C block reads (0x16–0x1B: CRATE, VRESET/ID, STATUS; 0x02–0x05: VCELL, SOC),
 * relying on the register pointer's auto-increment, instead of four word reads.
 *
 * The gauge is powered by its cell, so an empty slot does not ACK: that is a reading with
 * `present: false`, not an error. Whenever a pack appears (first contact, or STATUS.RI after a
 * swap reset the gauge) the driver checks VERSION, disables hibernation (so readings are at most
 * 250 ms old), sets the empty alert, and clears RI.
 */
import type { BatteryGauge, BatteryReading, SlotIndex } from '../battery.ts';
import { swap16 } from '../bus/i2c.ts';
import { check } from '../device.ts';
import { DeviceNotFoundError, InvalidOptionsError } from '../errors.ts';
import { I2cDriver, hex, type I2cDriverOptions } from './i2c-device.ts';

export const MAX17048_DEFAULT_ADDRESS = 0x36;

const REG_VCELL = 0x02;
const REG_VERSION = 0x08;
const REG_HIBRT = 0x0a;
const REG_CONFIG = 0x0c;
const REG_CRATE = 0x16;
const REG_STATUS = 0x1a;

const STATUS_RI = 0x01;
const CONFIG_SLEEP = 0x80;
const CONFIG_ALSC = 0x40;
const CONFIG_ALRT = 0x20;

export interface Max17048Options extends I2cDriverOptions {
  /** Which battery slot this gauge watches. */
  slot: SlotIndex;
  /** SOC at which the gauge raises its empty alert (1–32 %); default 4 (the power-up value). */
  emptyAlertPercent?: number;
  /** Let the gauge hibernate at low rates (VCELL/SOC then update every 45 s); default false. */
  hibernate?: boolean;
}

/** Reads the 16-bit MSB-first register `reg`. */
async function readRegister(bus: I2cDriverOptions['bus'], address: number, reg: number): Promise<number> {
  return swap16(await bus.readWord(address, reg));
}

async function writeRegister(bus: I2cDriverOptions['bus'], address: number, reg: number, value: number): Promise<void> {
  await bus.writeWord(address, reg, swap16(value & 0xffff));
}

export class Max17048 extends I2cDriver implements BatteryGauge {
  readonly slot: SlotIndex;
  private readonly emptyAlertPercent: number;
  private readonly hibernate: boolean;
  private configured = false;
  private readonly head = Buffer.alloc(4);
  private readonly tail = Buffer.alloc(6);

  constructor(options: Max17048Options) {
    const slot = (options as Partial<Max17048Options> | null)?.slot;
    const fallbackName = slot === 1 ? 'battery B' : 'battery A';
    super(options, { name: fallbackName, address: MAX17048_DEFAULT_ADDRESS, addresses: [MAX17048_DEFAULT_ADDRESS] });
    if (slot !== 0 && slot !== 1) throw new InvalidOptionsError(`${this.name}: slot must be 0 or 1, got ${JSON.stringify(slot)}`);
    this.slot = slot;
    this.emptyAlertPercent = options.emptyAlertPercent === undefined ? 4 : check.int(options.emptyAlertPercent, `${this.name}: emptyAlertPercent`, 1, 32);
    if (options.hibernate !== undefined && typeof options.hibernate !== 'boolean') throw new InvalidOptionsError(`${this.name}: hibernate must be a boolean`);
    this.hibernate = options.hibernate ?? false;
  }

  read(): Promise<BatteryReading> {
    return this.exclusive(async () => {
      try {
        // Two sequential reads (the register pointer auto-increments, words MSB first):
        // CRATE, VRESET/ID, STATUS at 0x16–0x1B, then VCELL and SOC at 0x02–0x05.
        await this.bus.readI2cBlock(this.address, REG_CRATE, 6, this.tail);
        if (!this.configured || (this.tail[4] & STATUS_RI) !== 0) {
          await this.configure();
          await this.bus.readI2cBlock(this.address, REG_CRATE, 6, this.tail);
        }
        await this.bus.readI2cBlock(this.address, REG_VCELL, 4, this.head);
        const vcell = (this.head[0] << 8) | this.head[1];
        const soc = (this.head[2] << 8) | this.head[3];
        const crate = toInt16((this.tail[0] << 8) | this.tail[1]);
        return {
          present: true,
          voltage: vcell * 78.125e-6,
          socPercent: Math.min(100, soc / 256),
          ratePercentPerHour: crate * 0.208,
          at: this.clock.monotonic(),
        };
      } catch (e) {
        if (!I2cDriver.isNack(e)) throw e;
        // No ACK: the slot is empty (the gauge runs from the pack). Configure again when one appears.
        this.configured = false;
        return { present: false, voltage: 0, socPercent: 0, ratePercentPerHour: 0, at: this.clock.monotonic() };
      }
    });
  }

  private async configure(): Promise<void> {
    const version = await readRegister(this.bus, this.address, REG_VERSION);
    if ((version & 0xfff0) !== 0x0010) {
      throw new DeviceNotFoundError(this.name, `the chip at ${hex(this.address)} on ${this.bus.id} reports VERSION 0x${version.toString(16).padStart(4, '0')}, not a MAX17048`);
    }
    await writeRegister(this.bus, this.address, REG_HIBRT, this.hibernate ? 0x8030 : 0x0000);
    const config = await readRegister(this.bus, this.address, REG_CONFIG);
    // Keep RCOMP (high byte); awake, no 1 %-change alert, alert cleared, ATHD = 32 − threshold.
    const low = (config & 0xff & ~(CONFIG_SLEEP | CONFIG_ALSC | CONFIG_ALRT) & ~0x1f) | ((32 - this.emptyAlertPercent) & 0x1f);
    await writeRegister(this.bus, this.address, REG_CONFIG, (config & 0xff00) | low);
    const status = await readRegister(this.bus, this.address, REG_STATUS);
    await writeRegister(this.bus, this.address, REG_STATUS, status & ~(STATUS_RI << 8));
    this.configured = true;
  }
}

function toInt16(v: number): number {
  return v >= 0x8000 ? v - 0x10000 : v;
}
