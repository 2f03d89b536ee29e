/**
 * The I2C part of the self-test: every part the board should have is asked something it
 * answers, the way it answers it — a plain receive-byte probe (what `i2cdetect -r` and
 * i2c-bus's `scan()` do) misses an idle SHT31, which refuses read headers until it has been
 * given a command — and then the bus is scanned for addresses the board does not know about.
 * Parts behind a TCA9548A are reached through a multiplexer driver, which deselects every
 * channel when done.
 */
import { swap16, type I2cBus } from '../../hal/bus/i2c.ts';
import { DeviceNotFoundError, DeviceNotRespondingError } from '../../hal/errors.ts';
import type { I2cPart } from '../../hal/board-file.ts';
import { crc8 } from '../../hal/drivers/sht31.ts';
import { Tca9548a } from '../../hal/drivers/tca9548a.ts';
import type { CheckResult, DoctorI2cBus, ExpectedI2cPart } from './target.ts';

const hex = (n: number, digits = 2) => `0x${n.toString(16).padStart(digits, '0')}`;

/** A part answered, but not as that part would (a different chip on the address). */
export class WrongPartError extends Error {}

/** Asks the part something only it answers that way; resolves with what it said. */
export const PART_PROBES: Readonly<Record<I2cPart, (bus: I2cBus, address: number) => Promise<string>>> = {
  // ALS_CONF: any value is fine, the ACK on a register read is the answer.
  veml7700: async (bus, a) => `ALS_CONF ${hex(await bus.readWord(a, 0x00), 4)}`,
  // The BH1750 has no registers: its "power on" opcode (0x01) changes nothing that matters.
  bh1750: async (bus, a) => {
    await bus.sendByte(a, 0x01);
    return 'took the power-on opcode';
  },
  max17048: async (bus, a) => {
    const version = swap16(await bus.readWord(a, 0x08));
    if ((version & 0xfff0) !== 0x0010) throw new WrongPartError(`VERSION reads ${hex(version, 4)}, a MAX17048 reads 0x001x`);
    return `VERSION ${hex(version, 4)}`;
  },
  tca9548a: async (bus, a) => `control register ${hex(await bus.receiveByte(a))}`,
  ds3231: async (bus, a) => {
    const status = await bus.readByte(a, 0x0f);
    return `status ${hex(status)}${status & 0x80 ? ' (OSF set)' : ''}`;
  },
  // Read status (0xF32D): two bytes and a CRC-8, answered even when idle.
  sht31: async (bus, a) => {
    await bus.i2cWrite(a, 2, Buffer.from([0xf3, 0x2d]));
    const { buffer } = await bus.i2cRead(a, 3, Buffer.alloc(3));
    if (crc8(buffer, 0, 2) !== buffer[2]) throw new WrongPartError(`status ${hex(buffer[0])}${buffer[1].toString(16).padStart(2, '0')} fails its CRC-8`);
    return `status ${hex((buffer[0] << 8) | buffer[1], 4)}, CRC ok`;
  },
};

function describePart(p: ExpectedI2cPart): string {
  return `${p.role} (${p.part} at ${hex(p.address)}${p.mux ? ` behind ${hex(p.mux.address)} channel ${p.mux.channel}` : ''})`;
}

function rowId(bus: DoctorI2cBus, p: ExpectedI2cPart): string {
  return `i2c ${bus.id} ${p.mux ? `${hex(p.mux.address)}:${p.mux.channel}/` : ''}${hex(p.address)}`;
}

async function probe(bus: DoctorI2cBus, reach: I2cBus, p: ExpectedI2cPart): Promise<CheckResult> {
  const base = { id: rowId(bus, p), part: `I2C ${bus.id}: ${describePart(p)}` };
  try {
    return { ...base, status: 'pass', detail: `answers: ${await PART_PROBES[p.part](reach, p.address)}` };
  } catch (err) {
    if (err instanceof DeviceNotFoundError) throw err; // the bus itself
    if (err instanceof DeviceNotRespondingError) {
      // A MAX17048 runs from its cell: no pack in the slot, no ACK — not a fault of the board.
      if (p.part === 'max17048') return { ...base, status: 'skip', detail: `no answer at ${hex(p.address)}: no pack in the slot? (the gauge runs from its cell)` };
      return { ...base, status: 'fail', detail: `no answer at ${hex(p.address)}: not fitted, wrong address strap, no power, or SDA/SCL swapped` };
    }
    if (err instanceof WrongPartError) return { ...base, status: 'fail', detail: `a different chip answers: ${err.message}` };
    return { ...base, status: 'fail', detail: (err as Error)?.message ?? String(err) };
  }
}

/** Probes the parts of one bus (direct ones first, then through each multiplexer), then scans for strangers. */
export async function probeI2cBus(bus: DoctorI2cBus): Promise<CheckResult[]> {
  try {
    return await probeParts(bus);
  } catch (err) {
    // A bus that is not there at all (overlay off, i2c-dev not loaded) is one failure, not one per part.
    if (!(err instanceof DeviceNotFoundError)) throw err;
    return [
      { id: `i2c ${bus.id}`, part: `I2C ${bus.id}`, status: 'fail', detail: err.message },
      ...bus.parts.map((p): CheckResult => ({ id: rowId(bus, p), part: `I2C ${bus.id}: ${describePart(p)}`, status: 'skip', detail: 'the bus is not there' })),
    ];
  }
}

async function probeParts(bus: DoctorI2cBus): Promise<CheckResult[]> {
  const rows: CheckResult[] = [];
  const direct = bus.parts.filter((p) => !p.mux);
  for (const p of direct) rows.push(await probe(bus, bus.bus, p));
  const muxAddresses = [...new Set(bus.parts.filter((p) => p.mux).map((p) => p.mux!.address))];
  for (const address of muxAddresses) {
    const behind = bus.parts.filter((p) => p.mux?.address === address);
    const muxRow = rows.find((r) => r.id === `i2c ${bus.id} ${hex(address)}`);
    if (muxRow && muxRow.status !== 'pass') {
      for (const p of behind) rows.push({ id: rowId(bus, p), part: `I2C ${bus.id}: ${describePart(p)}`, status: 'skip', detail: `the multiplexer at ${hex(address)} does not answer` });
      continue;
    }
    const mux = new Tca9548a({ bus: bus.bus, address, name: `multiplexer ${hex(address)}` });
    try {
      for (const p of behind) rows.push(await probe(bus, mux.channel(p.mux!.channel), p));
    } finally {
      await mux.close(); // deselects every channel
    }
  }
  rows.push(await scanRow(bus));
  return rows;
}

async function scanRow(bus: DoctorI2cBus): Promise<CheckResult> {
  const base = { id: `i2c ${bus.id} scan`, part: `I2C ${bus.id}: scan for unknown devices` };
  let found: number[];
  try {
    found = await bus.bus.scan();
  } catch (err) {
    return { ...base, status: 'fail', detail: `scan failed: ${(err as Error)?.message ?? String(err)}` };
  }
  const known = new Set(bus.parts.filter((p) => !p.mux).map((p) => p.address));
  const strangers = found.filter((a) => !known.has(a));
  const seen = found.length ? `receive-byte answers from ${found.map((a) => hex(a)).join(' ')}` : 'no receive-byte answers';
  if (strangers.length === 0) return { ...base, status: 'pass', detail: `${seen}; nothing the board file does not list` };
  // Not a failure by itself: a missing part fails its own row; this names what answers instead.
  return { ...base, status: 'pass', detail: `${seen}; not in the board file: ${strangers.map((a) => hex(a)).join(' ')} (a wrong address strap?)` };
}
