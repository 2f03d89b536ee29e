/**
 * TCA9548A 1-to-8 I2C multiplexer driver (TI; address 0x70–0x77). Its one control register is
 * written with a plain byte (bit n connects channel n).
 *
 * `channel(n)` returns an `I2cBus` that selects channel n before each transfer. All channel
 * views of one multiplexer share a lock, so "select channel, then transfer" is atomic and two
 * gauges at the same address (0x36 behind channels 0 and 1) never interleave. The selection is
 * cached. When a chip behind it does not ACK, the driver reads the control register back: a
 * multiplexer that lost its selection (reset) is selected again and the transfer retried once;
 * one that does not answer is a `BusError` (a broken path), not a missing chip, so a gauge
 * behind it does not mistake it for an empty slot.
 */
import type { I2cBus } from '../bus/i2c.ts';
import { DeviceBase, check } from '../device.ts';
import { BusError, DeviceClosedError, DeviceNotRespondingError, InvalidOptionsError } from '../errors.ts';
import { Mutex } from './mutex.ts';
import { hex } from './i2c-device.ts';

export interface Tca9548aOptions {
  bus: I2cBus;
  /** 0x70–0x77 (A2..A0 straps); default 0x70. */
  address?: number;
  name?: string;
}

export class Tca9548a extends DeviceBase {
  readonly address: number;
  private readonly bus: I2cBus;
  private readonly lock = new Mutex();
  private selected: number | null = null;
  private readonly views = new Map<number, MuxChannel>();

  constructor(options: Tca9548aOptions) {
    if (options === null || typeof options !== 'object') throw new InvalidOptionsError('I2C multiplexer: options object required');
    const name = options.name === undefined ? 'I2C multiplexer' : check.string(options.name, 'I2C multiplexer: name');
    const bus = options.bus as Partial<I2cBus> | undefined;
    if (bus === null || typeof bus !== 'object' || typeof bus.sendByte !== 'function' || typeof bus.readWord !== 'function') {
      throw new InvalidOptionsError(`${name}: bus must implement I2cBus`);
    }
    const address = options.address === undefined ? 0x70 : check.i2cAddress(options.address, `${name}: address`);
    if (address < 0x70 || address > 0x77) throw new InvalidOptionsError(`${name}: address must be 0x70..0x77, got ${hex(address)}`);
    super(name);
    this.bus = bus as I2cBus;
    this.address = address;
  }

  /** The bus behind channel `n` (0–7). */
  channel(n: number): I2cBus {
    this.assertOpen();
    check.int(n, `${this.name}: channel`, 0, 7);
    let view = this.views.get(n);
    if (!view) {
      view = new MuxChannel(this, n, `${this.bus.id}/${hex(this.address)}:${n}`);
      this.views.set(n, view);
    }
    return view;
  }

  /** @internal Runs `op` on the parent bus with channel `n` connected, holding the lock. */
  withChannel<T>(n: number, op: (bus: I2cBus) => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new DeviceClosedError(this.name));
    return this.lock.run(async () => {
      this.assertOpen();
      const mask = 1 << n;
      if (this.selected !== mask) await this.select(mask, n);
      try {
        return await op(this.bus);
      } catch (e) {
        this.selected = null;
        if (!(e instanceof DeviceNotRespondingError)) throw e;
        // No ACK behind the multiplexer: tell a missing chip from a multiplexer that is gone or
        // was reset (and lost the selection) by reading its control register back.
        let control: number;
        try {
          control = await this.bus.receiveByte(this.address);
        } catch (me) {
          throw new BusError(`${this.name}: multiplexer at ${hex(this.address)} on ${this.bus.id} does not answer`, { cause: me });
        }
        if (control === mask) {
          this.selected = mask;
          throw e;
        }
        await this.select(mask, n);
        return await op(this.bus);
      }
    });
  }

  private async select(mask: number, n: number): Promise<void> {
    try {
      await this.bus.sendByte(this.address, mask);
    } catch (e) {
      this.selected = null;
      throw new BusError(`${this.name}: multiplexer at ${hex(this.address)} on ${this.bus.id} did not take channel ${n}`, { cause: e });
    }
    this.selected = mask;
  }

  /** Disconnects every channel. */
  disconnectAll(): Promise<void> {
    if (this.closed) return Promise.reject(new DeviceClosedError(this.name));
    return this.lock.run(async () => {
      this.selected = null;
      await this.bus.sendByte(this.address, 0);
      this.selected = 0;
    });
  }

  protected override async onClose(): Promise<void> {
    await this.lock.run(async () => {
      try {
        await this.bus.sendByte(this.address, 0);
      } catch {
        // closing must succeed even when the multiplexer is gone
      }
    });
  }
}

class MuxChannel implements I2cBus {
  private closed = false;

  constructor(
    private readonly mux: Tca9548a,
    private readonly n: number,
    readonly id: string,
  ) {}

  private run<T>(op: (bus: I2cBus) => Promise<T>): Promise<T> {
    if (this.closed || this.mux.closed) return Promise.reject(new DeviceClosedError(this.id));
    return this.mux.withChannel(this.n, op);
  }

  readByte(address: number, command: number): Promise<number> {
    return this.run((b) => b.readByte(address, command));
  }
  readWord(address: number, command: number): Promise<number> {
    return this.run((b) => b.readWord(address, command));
  }
  writeByte(address: number, command: number, byte: number): Promise<void> {
    return this.run((b) => b.writeByte(address, command, byte));
  }
  writeWord(address: number, command: number, word: number): Promise<void> {
    return this.run((b) => b.writeWord(address, command, word));
  }
  readI2cBlock(address: number, command: number, length: number, buffer: Buffer): Promise<{ bytesRead: number; buffer: Buffer }> {
    return this.run((b) => b.readI2cBlock(address, command, length, buffer));
  }
  writeI2cBlock(address: number, command: number, length: number, buffer: Buffer): Promise<{ bytesWritten: number; buffer: Buffer }> {
    return this.run((b) => b.writeI2cBlock(address, command, length, buffer));
  }
  i2cRead(address: number, length: number, buffer: Buffer): Promise<{ bytesRead: number; buffer: Buffer }> {
    return this.run((b) => b.i2cRead(address, length, buffer));
  }
  i2cWrite(address: number, length: number, buffer: Buffer): Promise<{ bytesWritten: number; buffer: Buffer }> {
    return this.run((b) => b.i2cWrite(address, length, buffer));
  }
  sendByte(address: number, byte: number): Promise<void> {
    return this.run((b) => b.sendByte(address, byte));
  }
  receiveByte(address: number): Promise<number> {
    return this.run((b) => b.receiveByte(address));
  }
  /** Addresses that answer with this channel connected (includes the multiplexer and the parent bus's chips). */
  scan(): Promise<number[]> {
    return this.run((b) => b.scan());
  }
  /** Closes this view only; the parent bus stays open. */
  async close(): Promise<void> {
    this.closed = true;
  }
}
