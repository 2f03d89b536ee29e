/**
 * A fake of i2c-bus's `PromisifiedBus` (what `i2c.openPromisified(n)` returns) that routes every
 * call to the same chip models as a `SimI2cBus`. It lets the Linux I2C adapter (hal/linux) be
 * tested against the register-level models without /dev/i2c-*.
 *
 * It behaves like the native module where that matters to an adapter:
 * - a NACK rejects with an errno-style Error (`code` 'EREMOTEIO', `errno` 121, `syscall`), as the
 *   kernel's i2c-dev reports it on a Raspberry Pi; the adapter must map it to
 *   `DeviceNotRespondingError`;
 * - `scan()` probes with a receive-byte read (as i2c-bus does), so a chip that refuses read
 *   headers when idle (SHT31) does not show up, unlike `i2cdetect`'s quick-write probe;
 * - block transfers are limited to 32 bytes; invalid arguments throw synchronously-rejected Errors.
 */
import type { I2CBus, I2CDeviceId, I2CFuncs, PromisifiedBus } from 'i2c-bus';
import { DeviceNotRespondingError } from '../../hal/errors.ts';
import type { SimI2cBus } from './bus.ts';

type Message = { read: false; data: Uint8Array } | { read: true; length: number };

export interface ErrnoError extends Error {
  errno: number;
  code: string;
  syscall: string;
}

function remoteIo(syscall: string, cause: unknown): ErrnoError {
  return Object.assign(new Error(`EREMOTEIO, Remote I/O error (${syscall})`, { cause }), { errno: 121, code: 'EREMOTEIO', syscall });
}

function invalid(message: string): Error {
  return new Error(message);
}

const FUNCS: I2CFuncs = Object.freeze({
  i2c: true,
  tenBitAddr: false,
  protocolMangling: true,
  smbusPec: true,
  smbusBlockProcCall: false,
  smbusQuick: true,
  smbusReceiveByte: true,
  smbusSendByte: true,
  smbusReadByte: true,
  smbusWriteByte: true,
  smbusReadWord: true,
  smbusWriteWord: true,
  smbusProcCall: true,
  smbusReadBlock: false,
  smbusWriteBlock: true,
  smbusReadI2cBlock: true,
  smbusWriteI2cBlock: true,
});

export class FakePromisifiedBus implements PromisifiedBus {
  private closed = false;

  constructor(private readonly sim: SimI2cBus) {}

  private run(syscall: string, address: number, messages: Message[]): Uint8Array {
    if (this.closed) throw invalid('Bus is closed');
    if (!(Number.isInteger(address) && address >= 0 && address <= 0x7f)) throw invalid(`Invalid I2C address ${address}`);
    try {
      return this.sim.transact(address, messages);
    } catch (e) {
      if (e instanceof DeviceNotRespondingError) throw remoteIo(syscall, e);
      throw e;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  async i2cFuncs(): Promise<I2CFuncs> {
    return FUNCS;
  }

  async scan(startAddr?: number, endAddr?: number): Promise<number[]> {
    // i2c-bus: scan() covers 0x03–0x77, scan(a) only a, scan(a, b) a..b.
    const start = startAddr ?? 0x03;
    const end = endAddr ?? startAddr ?? 0x77;
    const found: number[] = [];
    for (let a = start; a <= end; a++) {
      try {
        this.run('receiveByte', a, [{ read: true, length: 1 }]);
        found.push(a);
      } catch {
        // no ACK: nothing there (or nothing willing to answer a read)
      }
    }
    return found;
  }

  async deviceId(address: number): Promise<I2CDeviceId> {
    // The SMBus Device ID lives at the reserved address 0x7C; none of our parts implement it.
    this.run('deviceId', 0x7c, [{ read: false, data: Uint8Array.of(address << 1) }, { read: true, length: 3 }]);
    throw remoteIo('deviceId', undefined);
  }

  async i2cRead(address: number, length: number, buffer: Buffer): Promise<{ bytesRead: number; buffer: Buffer }> {
    checkBuffer(length, buffer, Infinity);
    const data = this.run('read', address, [{ read: true, length }]);
    buffer.set(data.subarray(0, length));
    return { bytesRead: length, buffer };
  }

  async i2cWrite(address: number, length: number, buffer: Buffer): Promise<{ bytesWritten: number; buffer: Buffer }> {
    checkBuffer(length, buffer, Infinity);
    this.run('write', address, [{ read: false, data: Uint8Array.from(buffer.subarray(0, length)) }]);
    return { bytesWritten: length, buffer };
  }

  async readByte(address: number, command: number): Promise<number> {
    checkByte(command);
    return this.run('readByte', address, [{ read: false, data: Uint8Array.of(command) }, { read: true, length: 1 }])[0];
  }

  async readWord(address: number, command: number): Promise<number> {
    checkByte(command);
    const b = this.run('readWord', address, [{ read: false, data: Uint8Array.of(command) }, { read: true, length: 2 }]);
    return b[0] | (b[1] << 8);
  }

  async readI2cBlock(address: number, command: number, length: number, buffer: Buffer): Promise<{ bytesRead: number; buffer: Buffer }> {
    checkByte(command);
    checkBuffer(length, buffer, 32);
    const data = this.run('readI2cBlock', address, [{ read: false, data: Uint8Array.of(command) }, { read: true, length }]);
    buffer.set(data.subarray(0, length));
    return { bytesRead: length, buffer };
  }

  async receiveByte(address: number): Promise<number> {
    return this.run('receiveByte', address, [{ read: true, length: 1 }])[0];
  }

  async sendByte(address: number, byte: number): Promise<void> {
    checkByte(byte);
    this.run('sendByte', address, [{ read: false, data: Uint8Array.of(byte) }]);
  }

  async writeByte(address: number, command: number, byte: number): Promise<void> {
    checkByte(command);
    checkByte(byte);
    this.run('writeByte', address, [{ read: false, data: Uint8Array.of(command, byte) }]);
  }

  async writeWord(address: number, command: number, word: number): Promise<void> {
    checkByte(command);
    if (!(Number.isInteger(word) && word >= 0 && word <= 0xffff)) throw invalid(`Invalid word ${word}`);
    this.run('writeWord', address, [{ read: false, data: Uint8Array.of(command, word & 0xff, word >> 8) }]);
  }

  async writeQuick(address: number, _command: number, bit: number): Promise<void> {
    // A quick write/read carries no data: only whether the address is acknowledged matters.
    this.run('writeQuick', address, bit ? [{ read: true, length: 0 }] : [{ read: false, data: new Uint8Array(0) }]);
  }

  async writeI2cBlock(address: number, command: number, length: number, buffer: Buffer): Promise<{ bytesWritten: number; buffer: Buffer }> {
    checkByte(command);
    checkBuffer(length, buffer, 32);
    const data = new Uint8Array(length + 1);
    data[0] = command;
    data.set(buffer.subarray(0, length), 1);
    this.run('writeI2cBlock', address, [{ read: false, data }]);
    return { bytesWritten: length, buffer };
  }

  bus(): I2CBus {
    throw invalid('FakePromisifiedBus has no synchronous/callback bus');
  }
}

/** Wraps a simulated bus in the i2c-bus `PromisifiedBus` shape. */
export function toPromisifiedBus(sim: SimI2cBus): PromisifiedBus {
  return new FakePromisifiedBus(sim);
}

function checkByte(v: number): void {
  if (!(Number.isInteger(v) && v >= 0 && v <= 0xff)) throw invalid(`Invalid byte ${v}`);
}

function checkBuffer(length: number, buffer: Buffer, max: number): void {
  if (!(Number.isInteger(length) && length >= 0 && length <= max)) throw invalid(`Invalid length ${length}`);
  if (!Buffer.isBuffer(buffer) || buffer.length < length) throw invalid('Buffer too small');
}
