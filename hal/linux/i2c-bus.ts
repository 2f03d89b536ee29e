/**
 * An `I2cBus` over the kernel's /dev/i2c-N through i2c-bus's promisified API. A thin
 * pass-through: arguments are range-checked before they reach the ioctl, and the kernel's
 * errno values become the HAL's typed errors. A device that does not ACK its address shows up
 * as ENXIO (most adapters, i2c-bcm2835), EREMOTEIO (some adapters on a NACK mid-transfer) or
 * EIO; those mean "not responding". Anything else (arbitration lost, a stuck bus timing out)
 * is a bus problem.
 */
import type { OpenOptions, PromisifiedBus } from 'i2c-bus';
import { createRequire } from 'node:module';
import { DeviceBase, check } from '../device.ts';
import { BusError, DeviceNotFoundError, DeviceNotRespondingError, InvalidOptionsError } from '../errors.ts';
import type { I2cBus } from '../bus/i2c.ts';
import { requireObject } from './gpio-lines.ts';

/** The subset of i2c-bus's PromisifiedBus we use; a fake for tests implements the same shapes. */
export type PromisifiedBusLike = Pick<
  PromisifiedBus,
  'readByte' | 'readWord' | 'writeByte' | 'writeWord' | 'readI2cBlock' | 'writeI2cBlock' | 'i2cRead' | 'i2cWrite' | 'sendByte' | 'receiveByte' | 'scan' | 'close'
>;

export type OpenPromisified = (busNumber: number, options?: OpenOptions) => Promise<PromisifiedBusLike>;

export interface LinuxI2cBusOptions {
  /** N in /dev/i2c-N. */
  bus: number;
  /** Use I2C_SLAVE_FORCE (talk to an address a kernel driver has bound; e.g. a DS3231 bound by rtc-ds1307). */
  forceAccess?: boolean;
  /** i2c-bus's `openPromisified` (default) or a stand-in. */
  open?: OpenPromisified;
}

const NOT_RESPONDING = new Set(['ENXIO', 'EREMOTEIO', 'EIO']);

export class LinuxI2cBus extends DeviceBase implements I2cBus {
  readonly id: string;

  private constructor(
    readonly busNumber: number,
    private readonly bus: PromisifiedBusLike,
  ) {
    super(`/dev/i2c-${busNumber}`);
    this.id = `/dev/i2c-${busNumber}`;
  }

  static async open(options: LinuxI2cBusOptions): Promise<LinuxI2cBus> {
    requireObject(options, 'I2C bus');
    const busNumber = check.int(options.bus, 'I2C bus: bus', 0, 1023);
    if (options.forceAccess !== undefined && typeof options.forceAccess !== 'boolean') throw new InvalidOptionsError('I2C bus: forceAccess must be true or false');
    const open = options.open ?? (createRequire(import.meta.url)('i2c-bus').openPromisified as OpenPromisified);
    try {
      return new LinuxI2cBus(busNumber, await open(busNumber, { forceAccess: options.forceAccess ?? false }));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException)?.code;
      if (code === 'ENOENT') throw new DeviceNotFoundError(`/dev/i2c-${busNumber}`, 'no such I2C bus (enable it: dtparam=i2c_arm=on for bus 1, an i2cN overlay for others)');
      if (code === 'EACCES') throw new BusError(`/dev/i2c-${busNumber}: permission denied; run as a member of the i2c group`, { cause: err });
      throw new BusError(`/dev/i2c-${busNumber}: cannot open: ${(err as Error)?.message ?? String(err)}`, { cause: err });
    }
  }

  /**
   * Wraps an already-open promisified bus (what `openPromisified` resolved to). For callers that
   * opened the bus themselves, and for tests that put a fake kernel side behind the adapter.
   */
  static wrap(busNumber: number, bus: PromisifiedBusLike): LinuxI2cBus {
    const n = check.int(busNumber, 'I2C bus: bus', 0, 1023);
    if (!bus || typeof bus.readWord !== 'function' || typeof bus.scan !== 'function') throw new InvalidOptionsError('I2C bus: bus must be an i2c-bus PromisifiedBus');
    return new LinuxI2cBus(n, bus);
  }

  readByte(address: number, command: number): Promise<number> {
    return this.call('readByte', address, () => this.bus.readByte(address, this.u8(command, 'command')));
  }

  readWord(address: number, command: number): Promise<number> {
    return this.call('readWord', address, () => this.bus.readWord(address, this.u8(command, 'command')));
  }

  writeByte(address: number, command: number, byte: number): Promise<void> {
    return this.call('writeByte', address, () => this.bus.writeByte(address, this.u8(command, 'command'), this.u8(byte, 'byte')));
  }

  writeWord(address: number, command: number, word: number): Promise<void> {
    return this.call('writeWord', address, () => this.bus.writeWord(address, this.u8(command, 'command'), check.int(word, `${this.id}: word`, 0, 0xffff)));
  }

  readI2cBlock(address: number, command: number, length: number, buffer: Buffer): Promise<{ bytesRead: number; buffer: Buffer }> {
    return this.call('readI2cBlock', address, () => this.bus.readI2cBlock(address, this.u8(command, 'command'), this.length(length, buffer, 32), buffer));
  }

  writeI2cBlock(address: number, command: number, length: number, buffer: Buffer): Promise<{ bytesWritten: number; buffer: Buffer }> {
    return this.call('writeI2cBlock', address, () => this.bus.writeI2cBlock(address, this.u8(command, 'command'), this.length(length, buffer, 32), buffer));
  }

  i2cRead(address: number, length: number, buffer: Buffer): Promise<{ bytesRead: number; buffer: Buffer }> {
    return this.call('i2cRead', address, () => this.bus.i2cRead(address, this.length(length, buffer, 8192), buffer));
  }

  i2cWrite(address: number, length: number, buffer: Buffer): Promise<{ bytesWritten: number; buffer: Buffer }> {
    return this.call('i2cWrite', address, () => this.bus.i2cWrite(address, this.length(length, buffer, 8192), buffer));
  }

  sendByte(address: number, byte: number): Promise<void> {
    return this.call('sendByte', address, () => this.bus.sendByte(address, this.u8(byte, 'byte')));
  }

  receiveByte(address: number): Promise<number> {
    return this.call('receiveByte', address, () => this.bus.receiveByte(address));
  }

  /** Addresses 0x03..0x77 that ACK a receive-byte, ascending (like `i2cdetect -r`). */
  async scan(): Promise<number[]> {
    this.assertOpen();
    try {
      return [...(await this.bus.scan())].sort((a, b) => a - b);
    } catch (err) {
      throw new BusError(`${this.id}: scan failed: ${(err as Error)?.message ?? String(err)}`, { cause: err });
    }
  }

  protected override async onClose(): Promise<void> {
    await this.bus.close();
  }

  private async call<T>(op: string, address: number, fn: () => Promise<T>): Promise<T> {
    this.assertOpen();
    check.int(address, `${this.id}: address`, 0, 0x7f);
    try {
      // Argument checks run inside fn, before the transfer; they surface as InvalidOptionsError.
      return await fn();
    } catch (err) {
      if (err instanceof InvalidOptionsError) throw err;
      throw mapI2cError(err, this.id, address, op);
    }
  }

  private u8(value: number, what: string): number {
    return check.int(value, `${this.id}: ${what}`, 0, 0xff);
  }

  private length(length: number, buffer: Buffer, max: number): number {
    if (!Buffer.isBuffer(buffer)) throw new InvalidOptionsError(`${this.id}: buffer must be a Buffer`);
    return check.int(length, `${this.id}: length`, 1, Math.min(max, buffer.length));
  }
}

export function mapI2cError(err: unknown, bus: string, address: number, op: string): Error {
  const code = (err as NodeJS.ErrnoException)?.code ?? '';
  const where = `device 0x${address.toString(16).padStart(2, '0')} on ${bus}`;
  if (NOT_RESPONDING.has(code)) return new DeviceNotRespondingError(where, `no ACK (${code} in ${op})`, { cause: err });
  // i2c-bus opens /dev/i2c-N lazily, on the first transfer.
  if (code === 'ENOENT') return new DeviceNotFoundError(bus, 'no such I2C bus (enable it: dtparam=i2c_arm=on for bus 1, an i2cN overlay for others)');
  if (code === 'EACCES') return new BusError(`${bus}: permission denied; run as a member of the i2c group`, { cause: err });
  return new BusError(`${where}: ${op} failed: ${code || (err as Error)?.message || String(err)}`, { cause: err });
}
