import { describe, expect, it } from 'vitest';
import { FakePromisifiedBus, I2cNack, RegisterDevice, errnoException } from '../../test/fakes/i2c-bus.ts';
import { BusError, DeviceClosedError, DeviceNotFoundError, DeviceNotRespondingError, InvalidOptionsError } from '../errors.ts';
import { swap16 } from '../bus/i2c.ts';
import { LinuxI2cBus } from './i2c-bus.ts';

async function setup(options: { nackErrno?: 'EREMOTEIO' | 'ENXIO' } = {}) {
  const fake = new FakePromisifiedBus(options);
  const opened: Array<[number, unknown]> = [];
  const bus = await LinuxI2cBus.open({
    bus: 1,
    open: async (n, opts) => {
      opened.push([n, opts]);
      return fake;
    },
  });
  return { fake, bus, opened };
}

describe('I2C bus over i2c-bus (fake PromisifiedBus)', () => {
  it('opens /dev/i2c-N through openPromisified and names itself after it', async () => {
    const { bus, opened } = await setup();
    expect(bus.id).toBe('/dev/i2c-1');
    expect(opened).toEqual([[1, { forceAccess: false }]]);
  });

  it('passes SMBus words through little-endian: an MSB-first part (MAX17048 VCELL) needs swap16', async () => {
    const { fake, bus } = await setup();
    // VCELL 0xD000 = 4.160 V at 78.125 µV/LSB; the gauge sends the MSB first.
    fake.attach(0x36, new RegisterDevice({ 0x02: 0xd0, 0x03: 0x00 }));
    const raw = await bus.readWord(0x36, 0x02);
    expect(raw).toBe(0x00d0);
    expect(swap16(raw) * 78.125e-6).toBeCloseTo(4.16, 3);
  });

  it('reads and writes bytes, words and blocks', async () => {
    const { fake, bus } = await setup();
    const dev = new RegisterDevice();
    fake.attach(0x68, dev);
    await bus.writeByte(0x68, 0x0e, 0x1c);
    expect(await bus.readByte(0x68, 0x0e)).toBe(0x1c);
    await bus.writeWord(0x68, 0x10, 0xbeef);
    expect([dev.registers[0x10], dev.registers[0x11]]).toEqual([0xef, 0xbe]);
    await bus.writeI2cBlock(0x68, 0x00, 3, Buffer.from([0x45, 0x59, 0x23]));
    const block = await bus.readI2cBlock(0x68, 0x00, 3, Buffer.alloc(3));
    expect([...block.buffer]).toEqual([0x45, 0x59, 0x23]);
    await bus.sendByte(0x68, 0x05);
    expect(await bus.receiveByte(0x68)).toBe(dev.registers[0x05]);
    await bus.i2cWrite(0x68, 2, Buffer.from([0x07, 0x99]));
    const plain = await bus.i2cRead(0x68, 1, Buffer.alloc(1));
    expect(plain.bytesRead).toBe(1);
    expect(dev.registers[0x07]).toBe(0x99);
  });

  it('a missing device is DeviceNotRespondingError, with the Raspberry Pi adapter errno (EREMOTEIO) and others (ENXIO)', async () => {
    for (const nackErrno of ['EREMOTEIO', 'ENXIO'] as const) {
      const { bus } = await setup({ nackErrno });
      const err = await bus.readWord(0x36, 0x02).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DeviceNotRespondingError);
      expect((err as Error).message).toBe(`device 0x36 on /dev/i2c-1: no ACK (${nackErrno} in readWord)`);
    }
  });

  it('a NACK in the middle of a transfer and a clock-stretch timeout (EIO) are also "not responding"', async () => {
    const { fake, bus } = await setup();
    fake.attach(0x44, { write: () => undefined, read: () => { throw new I2cNack(); } });
    await expect(bus.i2cRead(0x44, 6, Buffer.alloc(6))).rejects.toBeInstanceOf(DeviceNotRespondingError);
    fake.attach(0x45, new RegisterDevice());
    fake.nextFault = 'EIO';
    await expect(bus.readByte(0x45, 0)).rejects.toBeInstanceOf(DeviceNotRespondingError);
  });

  it('other failures (arbitration lost, bus timeout) are BusError', async () => {
    const { fake, bus } = await setup();
    fake.attach(0x10, new RegisterDevice());
    for (const code of ['EAGAIN', 'ETIMEDOUT']) {
      fake.nextFault = code;
      const err = await bus.readWord(0x10, 0x04).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BusError);
      expect((err as Error).message).toBe(`device 0x10 on /dev/i2c-1: readWord failed: ${code}`);
    }
    expect(await bus.readWord(0x10, 0x04)).toBe(0);
  });

  it('checks arguments before any transfer', async () => {
    const { fake, bus } = await setup();
    fake.attach(0x10, new RegisterDevice());
    await expect(bus.readByte(0x80, 0)).rejects.toBeInstanceOf(InvalidOptionsError);
    await expect(bus.writeByte(0x10, 0x100, 0)).rejects.toBeInstanceOf(InvalidOptionsError);
    await expect(bus.writeWord(0x10, 0, 0x10000)).rejects.toBeInstanceOf(InvalidOptionsError);
    await expect(bus.readI2cBlock(0x10, 0, 33, Buffer.alloc(64))).rejects.toBeInstanceOf(InvalidOptionsError);
    await expect(bus.readI2cBlock(0x10, 0, 8, Buffer.alloc(4))).rejects.toBeInstanceOf(InvalidOptionsError);
    expect(fake.log).toEqual([]);
  });

  it('scans the bus and lists responding addresses in ascending order', async () => {
    const { fake, bus } = await setup();
    for (const a of [0x70, 0x10, 0x68, 0x44]) fake.attach(a, new RegisterDevice());
    expect(await bus.scan()).toEqual([0x10, 0x44, 0x68, 0x70]);
  });

  it('maps open failures: no bus is DeviceNotFoundError, permissions are BusError', async () => {
    const open = (code: string) => LinuxI2cBus.open({ bus: 3, open: async () => Promise.reject(errnoException(code, 'open')) });
    await expect(open('ENOENT')).rejects.toBeInstanceOf(DeviceNotFoundError);
    await expect(open('EACCES')).rejects.toThrow('/dev/i2c-3: permission denied; run as a member of the i2c group');
    await expect(LinuxI2cBus.open({ bus: -1 })).rejects.toBeInstanceOf(InvalidOptionsError);
  });

  it('with the real i2c-bus addon, a bus that does not exist is DeviceNotFoundError on first use', async () => {
    const bus = await LinuxI2cBus.open({ bus: 250 });
    await expect(bus.readByte(0x10, 0)).rejects.toThrow(DeviceNotFoundError);
    await bus.close();
  });

  it('close is idempotent and later calls throw DeviceClosedError', async () => {
    const { fake, bus } = await setup();
    await bus.close();
    await bus.close();
    expect(fake.closed).toBe(true);
    await expect(bus.readByte(0x10, 0)).rejects.toBeInstanceOf(DeviceClosedError);
    await expect(bus.scan()).rejects.toBeInstanceOf(DeviceClosedError);
  });
});

describe('LinuxI2cBus.wrap', () => {
  it('wraps an already-open PromisifiedBus and refuses anything else', async () => {
    const fake = new FakePromisifiedBus();
    fake.attach(0x68, new RegisterDevice({ 0x0f: 0x88 }));
    const bus = LinuxI2cBus.wrap(3, fake);
    expect(bus.id).toBe('/dev/i2c-3');
    expect(await bus.readByte(0x68, 0x0f)).toBe(0x88);
    await expect(bus.readByte(0x10, 0x00)).rejects.toBeInstanceOf(DeviceNotRespondingError);
    expect(() => LinuxI2cBus.wrap(1, {} as never)).toThrow(InvalidOptionsError);
    expect(() => LinuxI2cBus.wrap(-1, fake)).toThrow(InvalidOptionsError);
  });
});
