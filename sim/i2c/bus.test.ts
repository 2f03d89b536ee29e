import { describe, expect, it } from 'vitest';
import { BusError, DeviceClosedError, DeviceNotRespondingError } from '../../hal/errors.ts';
import { SeededRandom } from '../random.ts';
import { VirtualClock } from '../virtual-clock.ts';
import { I2cNack, SimI2cBus, type I2cTarget } from './bus.ts';
import { toPromisifiedBus, type ErrnoError } from './promisified-bus.ts';
import { Sht31Model } from './sht31.ts';
import { Tca9548aModel } from './tca9548a.ts';

/** A chip with a byte-addressed register file and an auto-incrementing pointer. */
class RegisterChip implements I2cTarget {
  readonly mem = new Uint8Array(256);
  pointer = 0;
  writes: number[][] = [];
  resets = 0;
  constructor(fill = 0) {
    this.mem.forEach((_, i) => (this.mem[i] = (i + fill) & 0xff));
  }
  write(data: Uint8Array): void {
    this.writes.push([...data]);
    this.pointer = data[0];
    for (let i = 1; i < data.length; i++) this.mem[this.pointer++ & 0xff] = data[i];
  }
  read(length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) out[i] = this.mem[this.pointer++ & 0xff];
    return out;
  }
  powerOnReset(): void {
    this.resets++;
  }
}

function rig(seed = 1) {
  const clock = new VirtualClock({ startEpochMs: Date.UTC(2026, 0, 1) });
  const bus = new SimI2cBus({ id: 'i2c-test', clock, random: new SeededRandom(seed) });
  return { clock, bus };
}

describe('SimI2cBus', () => {
  it('SMBus words are little-endian on the wire: the first byte read is the LSB', async () => {
    const { bus } = rig();
    const chip = new RegisterChip();
    chip.mem[0x02] = 0xd0;
    chip.mem[0x03] = 0x00;
    bus.attach(0x36, chip);
    expect(await bus.readWord(0x36, 0x02)).toBe(0x00d0); // an MSB-first part reads swapped
    await bus.writeWord(0x36, 0x0c, 0x1c97);
    expect(chip.writes.at(-1)).toEqual([0x0c, 0x97, 0x1c]);
    expect(await bus.readByte(0x36, 0x0c)).toBe(0x97);
  });

  it('maps block, plain and byte calls onto write/read messages', async () => {
    const { bus } = rig();
    const chip = new RegisterChip();
    bus.attach(0x68, chip);
    const buf = Buffer.alloc(4);
    await bus.readI2cBlock(0x68, 0x10, 4, buf);
    expect([...buf]).toEqual([0x10, 0x11, 0x12, 0x13]);
    await bus.writeI2cBlock(0x68, 0x20, 2, Buffer.from([0xaa, 0xbb]));
    expect(chip.writes.at(-1)).toEqual([0x20, 0xaa, 0xbb]);
    await bus.sendByte(0x68, 0x05);
    expect(await bus.receiveByte(0x68)).toBe(0x05);
    await bus.i2cWrite(0x68, 3, Buffer.from([0x40, 1, 2]));
    await bus.i2cWrite(0x68, 1, Buffer.from([0x40]));
    const out = Buffer.alloc(2);
    await bus.i2cRead(0x68, 2, out);
    expect([...out]).toEqual([1, 2]);
  });

  it('a missing device is DeviceNotRespondingError naming bus and address', async () => {
    const { bus } = rig();
    const err = await bus.readByte(0x23, 0).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeviceNotRespondingError);
    expect((err as DeviceNotRespondingError).device).toBe('i2c-test 0x23');
  });

  it('fault injection: unplug/plug (with power-on reset), fail after a time, chip NACKs', async () => {
    const { bus, clock } = rig();
    const chip = new RegisterChip();
    bus.attach(0x10, chip);
    bus.unplug(0x10);
    await expect(bus.readWord(0x10, 0)).rejects.toBeInstanceOf(DeviceNotRespondingError);
    expect(await bus.scan()).toEqual([]);
    bus.plug(0x10);
    expect(chip.resets).toBe(1);
    await bus.readWord(0x10, 0);
    bus.failAfter(0x10, 5_000);
    clock.advance(4_999);
    await bus.readWord(0x10, 0);
    clock.advance(1);
    await expect(bus.readWord(0x10, 0)).rejects.toBeInstanceOf(DeviceNotRespondingError);
    bus.attach(0x11, { write: () => {}, read: () => { throw new I2cNack('busy'); } });
    await expect(bus.receiveByte(0x11)).rejects.toThrow(/busy/);
    expect(bus.stats.nacks).toBe(3);
  });

  it('corruptNextRead flips exactly the asked number of bits, once, reproducibly for a seed', async () => {
    const flips = async (seed: number) => {
      const { bus } = rig(seed);
      bus.attach(0x44, new RegisterChip());
      bus.corruptNextRead(0x44, 3);
      const bad = Buffer.alloc(6);
      await bus.readI2cBlock(0x44, 0, 6, bad);
      const good = Buffer.alloc(6);
      await bus.readI2cBlock(0x44, 0, 6, good);
      expect([...good]).toEqual([0, 1, 2, 3, 4, 5]);
      let bits = 0;
      for (let i = 0; i < 6; i++) for (let x = bad[i] ^ good[i]; x; x &= x - 1) bits++;
      expect(bits).toBeLessThanOrEqual(3); // the same bit may be picked twice
      expect(bits % 2).toBe(1);
      return [...bad];
    };
    expect(await flips(9)).toEqual(await flips(9));
  });

  it('routes through a TCA9548A: nothing behind it answers until its channel is selected', async () => {
    const { bus } = rig();
    const mux = new Tca9548aModel();
    bus.attach(0x70, mux);
    const a = new RegisterChip(0x00);
    const b = new RegisterChip(0x0f);
    mux.channel(0).attach(0x36, a);
    mux.channel(1).attach(0x36, b);
    await expect(bus.readByte(0x36, 0x08)).rejects.toBeInstanceOf(DeviceNotRespondingError);
    await bus.sendByte(0x70, 0b01);
    expect(await bus.readByte(0x36, 0x08)).toBe(0x08);
    await bus.sendByte(0x70, 0b10);
    expect(await bus.readByte(0x36, 0x08)).toBe(0x17);
    expect(await bus.receiveByte(0x70)).toBe(0b10);
    // Both channels on: two chips answer at once and the open-drain bus ANDs their bytes.
    await bus.sendByte(0x70, 0b11);
    expect(await bus.readByte(0x36, 0x08)).toBe(0x08 & 0x17);
    expect(await bus.scan()).toEqual([0x36, 0x70]);
    bus.unplug(0x70);
    await expect(bus.readByte(0x36, 0x08)).rejects.toBeInstanceOf(DeviceNotRespondingError);
  });

  it('validates arguments and refuses use after close', async () => {
    const { bus } = rig();
    bus.attach(0x10, new RegisterChip());
    expect(() => bus.attach(0x10, new RegisterChip())).toThrow(BusError);
    await expect(bus.readByte(0x80, 0)).rejects.toBeInstanceOf(BusError);
    await expect(bus.writeByte(0x10, 0, 256)).rejects.toBeInstanceOf(BusError);
    await expect(bus.readI2cBlock(0x10, 0, 33, Buffer.alloc(33))).rejects.toBeInstanceOf(BusError);
    await expect(bus.readI2cBlock(0x10, 0, 8, Buffer.alloc(4))).rejects.toBeInstanceOf(BusError);
    await bus.close();
    await expect(bus.readByte(0x10, 0)).rejects.toBeInstanceOf(DeviceClosedError);
  });
});

describe('i2c-bus PromisifiedBus fake', () => {
  it('routes to the same chips and reports a NACK the way the kernel does (EREMOTEIO)', async () => {
    const { bus } = rig();
    const chip = new RegisterChip();
    bus.attach(0x36, chip);
    const p = toPromisifiedBus(bus);
    expect(await p.readWord(0x36, 0x02)).toBe(0x0302);
    const err = (await p.readWord(0x37, 0).catch((e: unknown) => e)) as ErrnoError;
    expect(err.code).toBe('EREMOTEIO');
    expect(err.errno).toBe(121);
    expect(err.syscall).toBe('readWord');
    await expect(p.readI2cBlock(0x36, 0, 33, Buffer.alloc(40))).rejects.toThrow(/length/);
    expect((await p.i2cFuncs()).smbusReadI2cBlock).toBe(true);
  });

  it('scans with receive-byte reads like i2c-bus, so an idle SHT31 is missed (i2cdetect-style quick writes find it)', async () => {
    const { bus, clock } = rig();
    bus.attach(0x36, new RegisterChip());
    bus.attach(0x44, new Sht31Model({ clock, climate: () => ({ celsius: 20, humidity: 50 }) }));
    expect(await bus.scan()).toEqual([0x36, 0x44]);
    const p = toPromisifiedBus(bus);
    expect(await p.scan()).toEqual([0x36]);
    expect(await p.scan(0x36)).toEqual([0x36]);
    expect(await p.scan(0x40, 0x50)).toEqual([]);
  });
});
