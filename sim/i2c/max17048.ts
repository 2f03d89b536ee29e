/**
 * MAX17048 fuel gauge, register level: address 0x36, 16-bit registers MSB first, byte-addressed
 * with auto-increment (so VALRT.MIN/MAX at 0x14/0x15 and STATUS at 0x1A read as single bytes).
 * Source: Maxim datasheet as used by adafruit/Adafruit_MAX1704X and Linux max17040_battery.c
 * (research §3).
 *
 * - The gauge is powered by the cell: no pack in the slot → no ACK. Inserting a pack is a
 *   power-on reset (registers to defaults, STATUS.RI set).
 * - VCELL 78.125 µV/LSB, SOC 1/256 %, CRATE 0.208 %/h signed. Values are sampled every 250 ms in
 *   active mode and every 45 s in hibernate (HIBRT: 0x0000 never hibernates, 0xFFFF always,
 *   otherwise hibernate while |CRATE| < HibThr × 0.208 %/h); frozen in sleep (CONFIG.SLEEP with
 *   MODE.EnSleep).
 * - Alerts, evaluated whenever the host talks to the chip: VH/VL against VALRT (20 mV/LSB), HD
 *   when SOC falls below 32 − ATHD %, SC on a 1 % change when CONFIG.ALSC is set; each new alert
 *   sets CONFIG.ALRT. Flags latch until the host writes them to 0.
 * - CMD (0xFE) ← 0x5400: power-on reset; the chip NACKs that write.
 */
import { I2cNack, type I2cTarget } from './bus.ts';

export const MAX17048_ADDRESS = 0x36;

/** What the gauge's ADC and model see of the cell in its slot. */
export interface GaugedCell {
  /** Cell voltage at the gauge pins (V). */
  voltage: number;
  /** State of charge as the gauge's ModelGauge estimates it (%). */
  socPercent: number;
  ratePercentPerHour: number;
  /** Changes whenever a (new) pack is inserted, which power-cycles the gauge. */
  insertion: number;
}

export interface Max17048ModelOptions {
  clock: { trueTime(): number };
  /** The cell at true time t, or null when the slot is empty. */
  cell: (t: number) => GaugedCell | null;
  /**
   * Cheap presence check: the insertion count of the pack in the slot, or null when empty.
   * Defaults to asking `cell`; worth giving when `cell` is expensive (it is asked on every ACK).
   */
  insertion?: (t: number) => number | null;
  /** VERSION register; MAX17048 reads 0x001x. Default 0x0012. */
  version?: number;
  /** ID byte at 0x19 (part-specific); default 0x5A. */
  chipId?: number;
}

const STATUS_RI = 0x01;
const STATUS_VH = 0x02;
const STATUS_VL = 0x04;
const STATUS_HD = 0x10;
const STATUS_SC = 0x20;
const CONFIG_ALRT = 0x20;
const CONFIG_ALSC = 0x40;
const CONFIG_SLEEP = 0x80;
const MODE_ENSLEEP = 0x20;

interface Sample {
  at: number;
  vcell: number;
  soc: number;
  crate: number;
}

export class Max17048Model implements I2cTarget {
  private readonly clock: { trueTime(): number };
  private readonly cellAt: (t: number) => GaugedCell | null;
  private readonly insertionAt: (t: number) => number | null;
  private readonly version: number;
  private readonly chipId: number;
  private readonly mem = new Uint8Array(256);
  private pointer = 0;
  private insertion = -1;
  private sample: Sample | null = null;
  private lastSocPercent = -1;
  private wasBelowAthd = false;
  /** Counts power-on resets (for tests). */
  resets = 0;

  constructor(options: Max17048ModelOptions) {
    this.clock = options.clock;
    this.cellAt = options.cell;
    this.insertionAt = options.insertion ?? ((t) => this.cellAt(t)?.insertion ?? null);
    this.version = options.version ?? 0x0012;
    this.chipId = options.chipId ?? 0x5a;
    this.reset();
  }

  acknowledge(): boolean {
    const insertion = this.insertionAt(this.clock.trueTime());
    if (insertion === null) return false;
    if (insertion !== this.insertion) {
      this.reset();
      this.insertion = insertion;
    }
    return true;
  }

  powerOnReset(): void {
    this.reset();
  }

  write(data: Uint8Array): void {
    const t = this.clock.trueTime();
    this.update(t);
    this.pointer = data[0];
    for (let i = 1; i < data.length; i++) {
      const a = this.pointer;
      this.writeByte(a, data[i]);
      this.pointer = (a + 1) & 0xff;
      // CMD = 0x5400 resets the chip, which NACKs the rest of the transfer.
      if (a === 0xff && this.mem[0xfe] === 0x54 && this.mem[0xff] === 0x00) {
        this.reset();
        throw new I2cNack('power-on reset (MAX17048 NACKs the reset command)');
      }
    }
  }

  read(length: number): Uint8Array {
    const t = this.clock.trueTime();
    this.update(t);
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) {
      out[i] = this.mem[this.pointer];
      this.pointer = (this.pointer + 1) & 0xff;
    }
    return out;
  }

  private reset(): void {
    this.resets += 1;
    this.mem.fill(0);
    this.setWord(0x06, 0x0000); // MODE
    this.setWord(0x08, this.version);
    this.setWord(0x0a, 0x8030); // HIBRT
    this.setWord(0x0c, 0x971c); // CONFIG: RCOMP 0x97, ATHD 0x1C (4 %)
    this.mem[0x14] = 0x00; // VALRT.MIN
    this.mem[0x15] = 0xff; // VALRT.MAX
    this.mem[0x18] = 0x96; // VRESET
    this.mem[0x19] = this.chipId;
    this.mem[0x1a] = STATUS_RI;
    this.mem[0x1b] = 0xff;
    this.setWord(0xfe, 0xffff);
    this.sample = null;
    this.lastSocPercent = -1;
    this.wasBelowAthd = false;
    this.pointer = 0;
  }

  private setWord(a: number, v: number): void {
    this.mem[a] = (v >> 8) & 0xff;
    this.mem[a + 1] = v & 0xff;
  }

  private word(a: number): number {
    return (this.mem[a] << 8) | this.mem[a + 1];
  }

  private writeByte(a: number, v: number): void {
    switch (a) {
      case 0x02: case 0x03: case 0x04: case 0x05: case 0x08: case 0x09: case 0x16: case 0x17: case 0x19:
        return; // read-only
      case 0x1a:
        // Flags only clear from the host; RI and the alert bits are W0C in practice.
        this.mem[0x1a] = (this.mem[0x1a] & v & 0x3f) | (v & 0x40);
        return;
      default:
        this.mem[a] = v;
    }
  }

  private sleeping(): boolean {
    return (this.mem[0x0d] & CONFIG_SLEEP) !== 0 && (this.mem[0x06] & MODE_ENSLEEP) !== 0;
  }

  private hibernating(crate: number): boolean {
    const hibrt = this.word(0x0a);
    if (hibrt === 0x0000) return false;
    if (hibrt === 0xffff) return true;
    return Math.abs(crate) * 0.208 < this.mem[0x0a] * 0.208;
  }

  /** Refreshes the measurement registers and latches alerts as the chip would by time t. */
  private update(t: number): void {
    if (this.sleeping() && this.sample) return;
    const period = this.sample && this.hibernating(this.sample.crate) ? 45_000 : 250;
    if (this.sample && t - this.sample.at < period) return;
    const cell = this.cellAt(t);
    if (!cell) return;
    const vcell = clamp(Math.round(cell.voltage / 78.125e-6), 0, 0xffff);
    const soc = clamp(Math.round(cell.socPercent * 256), 0, 0xffff);
    const crate = clamp(Math.round(cell.ratePercentPerHour / 0.208), -32768, 32767);
    this.sample = { at: t, vcell, soc, crate };
    this.setWord(0x02, vcell);
    this.setWord(0x04, soc);
    this.setWord(0x16, crate & 0xffff);
    this.alerts(cell.voltage, soc / 256);
  }

  private alerts(volts: number, socPercent: number): void {
    let flags = 0;
    if (volts > this.mem[0x15] * 0.02) flags |= STATUS_VH;
    if (volts < this.mem[0x14] * 0.02) flags |= STATUS_VL;
    const athd = 32 - (this.mem[0x0d] & 0x1f);
    const below = socPercent < athd;
    if (below && !this.wasBelowAthd) flags |= STATUS_HD;
    this.wasBelowAthd = below;
    const whole = Math.floor(socPercent);
    if ((this.mem[0x0d] & CONFIG_ALSC) !== 0 && this.lastSocPercent >= 0 && whole !== this.lastSocPercent) flags |= STATUS_SC;
    this.lastSocPercent = whole;
    const fresh = flags & ~this.mem[0x1a];
    if (fresh) {
      this.mem[0x1a] |= flags;
      this.mem[0x0d] |= CONFIG_ALRT;
    }
  }
}

function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}
