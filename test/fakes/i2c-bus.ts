/**
 * A fake of i2c-bus's `PromisifiedBus` (same method names, argument order, results and error
 * shapes) over transaction-level device models. SMBus calls are composed from plain I2C
 * transfers the way the kernel emulates them on an I2C adapter (i2c_smbus_xfer_emulated):
 * "read byte data" is a write of the command byte then a 1-byte read, "read word data" reads
 * two bytes and returns them little-endian, and so on. A missing address fails the way the
 * Raspberry Pi's i2c-bcm2835 adapter fails (-EREMOTEIO on a NACK; ENXIO on other adapters).
 * Errors look like i2c-bus's Nan::ErrnoException (`code`, positive `errno`, `syscall`).
 */

/** A device as the bus sees it: it ACKs its address, then takes writes and answers reads. */
export interface FakeI2cDevice {
  write(bytes: Uint8Array): void;
  read(length: number): Uint8Array;
}

/** Thrown by a device model to NACK a byte (the adapter then reports EREMOTEIO). */
export class I2cNack extends Error {}

const ERRNO: Record<string, number> = { ENXIO: 6, EREMOTEIO: 121, EIO: 5, EAGAIN: 11, ETIMEDOUT: 110 };
const TEXT: Record<string, string> = {
  ENXIO: 'No such device or address',
  EREMOTEIO: 'Remote I/O error',
  EIO: 'Input/output error',
  EAGAIN: 'Resource temporarily unavailable',
  ETIMEDOUT: 'Connection timed out',
};

export function errnoException(code: string, syscall: string): NodeJS.ErrnoException {
  const e = new Error(`${code}, ${TEXT[code] ?? code}`) as NodeJS.ErrnoException;
  e.code = code;
  e.errno = ERRNO[code] ?? 0;
  e.syscall = syscall;
  return e;
}

/**
 * An 8-bit register file with an auto-incrementing register pointer: the first written byte
 * sets the pointer, further written bytes store, reads return from the pointer on.
 * SMBus words therefore read LSB first from (reg, reg+1).
 */
export class RegisterDevice implements FakeI2cDevice {
  readonly registers = new Uint8Array(256);
  pointer = 0;
  /** Every write transaction, for assertions. */
  readonly writes: number[][] = [];

  constructor(init: Record<number, number> = {}) {
    for (const [reg, value] of Object.entries(init)) this.registers[Number(reg)] = value;
  }

  write(bytes: Uint8Array): void {
    this.writes.push([...bytes]);
    if (bytes.length === 0) return;
    this.pointer = bytes[0];
    for (const b of bytes.subarray(1)) {
      this.registers[this.pointer] = b;
      this.pointer = (this.pointer + 1) & 0xff;
    }
  }

  read(length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) {
      out[i] = this.registers[this.pointer];
      this.pointer = (this.pointer + 1) & 0xff;
    }
    return out;
  }
}

export interface FakePromisifiedBusOptions {
  /** errno for an address nobody ACKs: EREMOTEIO on a Raspberry Pi (i2c-bcm2835), ENXIO on most others. */
  nackErrno?: 'EREMOTEIO' | 'ENXIO';
}

export class FakePromisifiedBus {
  private readonly devices = new Map<number, FakeI2cDevice>();
  private readonly nackErrno: string;
  /** A fault the next transfer fails with (e.g. EAGAIN = arbitration lost), then clears. */
  nextFault: string | null = null;
  closed = false;
  /** Every transfer as "op@addr" (for assertions). */
  readonly log: string[] = [];

  constructor(options: FakePromisifiedBusOptions = {}) {
    this.nackErrno = options.nackErrno ?? 'EREMOTEIO';
  }

  attach(address: number, device: FakeI2cDevice): this {
    this.devices.set(address, device);
    return this;
  }

  detach(address: number): void {
    this.devices.delete(address);
  }

  private device(address: number, syscall: string): FakeI2cDevice {
    if (this.closed) throw errnoException('EBADF', syscall);
    this.log.push(`${syscall}@0x${address.toString(16)}`);
    if (this.nextFault) {
      const f = this.nextFault;
      this.nextFault = null;
      throw errnoException(f, syscall);
    }
    const d = this.devices.get(address);
    if (!d) throw errnoException(this.nackErrno, syscall);
    return d;
  }

  private xfer<T>(address: number, syscall: string, fn: (d: FakeI2cDevice) => T): Promise<T> {
    return new Promise((resolve, reject) => {
      // i2c-bus completes on a libuv worker: never synchronously.
      setImmediate(() => {
        try {
          resolve(fn(this.device(address, syscall)));
        } catch (err) {
          reject(err instanceof I2cNack ? errnoException('EREMOTEIO', syscall) : err);
        }
      });
    });
  }

  readByte(address: number, cmd: number): Promise<number> {
    return this.xfer(address, 'readByte', (d) => {
      d.write(Uint8Array.of(cmd));
      return d.read(1)[0];
    });
  }

  readWord(address: number, cmd: number): Promise<number> {
    return this.xfer(address, 'readWord', (d) => {
      d.write(Uint8Array.of(cmd));
      const b = d.read(2);
      return b[0] | (b[1] << 8);
    });
  }

  writeByte(address: number, cmd: number, byte: number): Promise<void> {
    return this.xfer(address, 'writeByte', (d) => d.write(Uint8Array.of(cmd, byte)));
  }

  writeWord(address: number, cmd: number, word: number): Promise<void> {
    return this.xfer(address, 'writeWord', (d) => d.write(Uint8Array.of(cmd, word & 0xff, word >> 8)));
  }

  readI2cBlock(address: number, cmd: number, length: number, buffer: Buffer): Promise<{ bytesRead: number; buffer: Buffer }> {
    return this.xfer(address, 'readI2cBlock', (d) => {
      d.write(Uint8Array.of(cmd));
      buffer.set(d.read(length));
      return { bytesRead: length, buffer };
    });
  }

  writeI2cBlock(address: number, cmd: number, length: number, buffer: Buffer): Promise<{ bytesWritten: number; buffer: Buffer }> {
    return this.xfer(address, 'writeI2cBlock', (d) => {
      d.write(Uint8Array.of(cmd, ...buffer.subarray(0, length)));
      return { bytesWritten: length, buffer };
    });
  }

  i2cRead(address: number, length: number, buffer: Buffer): Promise<{ bytesRead: number; buffer: Buffer }> {
    return this.xfer(address, 'read', (d) => {
      buffer.set(d.read(length));
      return { bytesRead: length, buffer };
    });
  }

  i2cWrite(address: number, length: number, buffer: Buffer): Promise<{ bytesWritten: number; buffer: Buffer }> {
    return this.xfer(address, 'write', (d) => {
      d.write(buffer.subarray(0, length));
      return { bytesWritten: length, buffer };
    });
  }

  sendByte(address: number, byte: number): Promise<void> {
    return this.xfer(address, 'sendByte', (d) => d.write(Uint8Array.of(byte)));
  }

  receiveByte(address: number): Promise<number> {
    return this.xfer(address, 'receiveByte', (d) => d.read(1)[0]);
  }

  /** Like i2c-bus: receiveByte on 0x03..0x77, addresses that answer. */
  async scan(): Promise<number[]> {
    const found: number[] = [];
    for (let a = 0x03; a <= 0x77; a++) {
      try {
        await this.receiveByte(a);
        found.push(a);
      } catch {
        /* no ACK */
      }
    }
    return found;
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
