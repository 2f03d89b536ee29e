/**
 * A simulated I2C bus that chip models sit on, answering at register level, so the real chip
 * drivers (hal/drivers/*) run unchanged in every simulated shift.
 *
 * Chips are modelled as I2C transaction handlers: a transfer is a START, one or more messages
 * (write n bytes / read n bytes) separated by repeated STARTs, and a STOP — exactly what the
 * Linux i2c-dev/SMBus layer puts on the wire. Every SMBus call maps onto that generically:
 * readWord(cmd) = [write cmd][read 2], and the first byte on the wire becomes the word's LSB
 * (so MSB-first parts read byte-swapped, as on Linux).
 *
 * Faults: unplug/plug a chip, a chip that stops answering from some time on, and bit flips in the
 * next read from a chip. A missing device rejects with `DeviceNotRespondingError`.
 */
import type { I2cBus } from '../../hal/bus/i2c.ts';
import { BusError, DeviceClosedError, DeviceNotRespondingError } from '../../hal/errors.ts';
import type { Random } from '../../hal/random.ts';
import { SeededRandom } from '../random.ts';

/** Thrown by a chip model to NACK (address or data byte). */
export class I2cNack extends Error {
  constructor(detail: string) {
    super(detail);
    this.name = 'I2cNack';
  }
}

export interface I2cTarget {
  /** Whether the chip ACKs its address for a read or a write right now (default: yes). */
  acknowledge?(read: boolean): boolean;
  /** The bytes of a write message after the address byte (never empty). Throw `I2cNack` to NACK. */
  write(data: Uint8Array): void;
  /** Produces the bytes of a read message, in a fresh array the bus may hand on. Throw `I2cNack` to refuse. */
  read(length: number): Uint8Array;
  /** STOP ended the transfer. */
  stop?(): void;
  /** Power was applied (plugged in again). */
  powerOnReset?(): void;
}

/** A target that forwards to downstream segments (an I2C multiplexer). */
export interface I2cRouter {
  /** The downstream segments currently connected to the upstream bus. */
  connectedSegments(): readonly SimI2cSegment[];
}

function isRouter(t: I2cTarget): t is I2cTarget & I2cRouter {
  return typeof (t as Partial<I2cRouter>).connectedSegments === 'function';
}

interface Attachment {
  address: number;
  target: I2cTarget;
  plugged: boolean;
  /** True time from which the chip no longer answers (Infinity: never). */
  failAt: number;
  /** Bits to flip in the next read message from this chip. */
  corruptBits: number;
}

/** One electrical segment of a bus: the root, or one channel behind a multiplexer. */
export class SimI2cSegment {
  private readonly chips = new Map<number, Attachment>();
  /** Attached multiplexers, so a lookup only descends where it can lead somewhere. */
  private readonly routers: Attachment[] = [];

  constructor(readonly label: string) {}

  attach(address: number, target: I2cTarget): void {
    checkAddress(address);
    if (this.chips.has(address)) throw new BusError(`${this.label}: address 0x${hex(address)} is already taken`);
    const a: Attachment = { address, target, plugged: true, failAt: Infinity, corruptBits: 0 };
    this.chips.set(address, a);
    if (isRouter(target)) this.routers.push(a);
  }

  detach(address: number): I2cTarget {
    const a = this.get(address);
    this.chips.delete(address);
    const i = this.routers.indexOf(a);
    if (i >= 0) this.routers.splice(i, 1);
    return a.target;
  }

  target(address: number): I2cTarget | undefined {
    return this.chips.get(address)?.target;
  }

  /** The chip's connector is pulled: it stops answering. */
  unplug(address: number): void {
    this.get(address).plugged = false;
  }

  /** The chip is plugged back in: it powers up (power-on reset) and answers again. */
  plug(address: number): void {
    const a = this.get(address);
    if (a.plugged) return;
    a.plugged = true;
    a.target.powerOnReset?.();
  }

  /** From true time `atMs` on the chip no longer answers (a failing part); Infinity heals it. */
  failAt(address: number, atMs: number): void {
    this.get(address).failAt = atMs;
  }

  /** Flips `bits` random bits in the next read message from this chip (a glitch on SDA). */
  corruptNextRead(address: number, bits = 1): void {
    if (!(Number.isInteger(bits) && bits > 0)) throw new BusError(`corruptNextRead: bits must be a positive integer, got ${bits}`);
    this.get(address).corruptBits = bits;
  }

  /** @internal */
  collect(address: number, now: number, out: Attachment[], depth: number): void {
    if (depth > 8) throw new BusError(`${this.label}: multiplexers nested too deep (a loop?)`);
    const a = this.chips.get(address);
    if (a && a.plugged && now < a.failAt) out.push(a);
    for (let i = 0; i < this.routers.length; i++) {
      const r = this.routers[i];
      if (!r.plugged || now >= r.failAt) continue;
      const segments = (r.target as I2cTarget & I2cRouter).connectedSegments();
      for (let k = 0; k < segments.length; k++) segments[k].collect(address, now, out, depth + 1);
    }
  }

  private get(address: number): Attachment {
    const a = this.chips.get(address);
    if (!a) throw new BusError(`${this.label}: nothing attached at 0x${hex(address)}`);
    return a;
  }
}

type Message = { read: false; data: Uint8Array } | { read: true; length: number };

export interface SimI2cBusOptions {
  /** Label used in errors and by `dozor doctor` (e.g. "sim-i2c-1"). */
  id?: string;
  /** Time source for timed faults (true UTC ms). */
  clock: { trueTime(): number };
  /** Picks the bits to flip for `corruptNextRead`; default a fixed-seed generator. */
  random?: Random;
}

export class SimI2cBus extends SimI2cSegment implements I2cBus {
  readonly id: string;
  private readonly clock: { trueTime(): number };
  private readonly random: Random;
  private closed = false;
  /** Counters for tests and benchmarks. */
  readonly stats = { transfers: 0, nacks: 0 };

  constructor(options: SimI2cBusOptions) {
    const id = options.id ?? 'sim-i2c';
    super(id);
    this.id = id;
    this.clock = options.clock;
    this.random = options.random ?? new SeededRandom(0x12c);
  }

  /** Timed fault relative to now: the chip at `address` on this segment stops answering after `ms`. */
  failAfter(address: number, ms: number): void {
    this.failAt(address, this.clock.trueTime() + ms);
  }

  // ---- I2cBus ---------------------------------------------------------------------------------

  // Register reads are the hot path (every sensor poll): their messages are reused, which is
  // safe because a transfer runs synchronously to the end and chips do not keep the buffers.
  private readonly command = { read: false as const, data: new Uint8Array(1) };
  private readonly commandThenRead1: Message[] = [this.command, { read: true, length: 1 }];
  private readonly commandThenRead2: Message[] = [this.command, { read: true, length: 2 }];
  private readonly commandOnly: Message[] = [this.command];
  private readonly scratch: Attachment[] = [];

  async readByte(address: number, command: number): Promise<number> {
    checkByte(command, 'command');
    this.command.data[0] = command;
    return this.transfer(address, this.commandThenRead1)[0];
  }

  async readWord(address: number, command: number): Promise<number> {
    checkByte(command, 'command');
    this.command.data[0] = command;
    const b = this.transfer(address, this.commandThenRead2);
    return b[0] | (b[1] << 8);
  }

  async writeByte(address: number, command: number, byte: number): Promise<void> {
    checkByte(command, 'command');
    checkByte(byte, 'byte');
    this.transfer(address, [writeMsg([command, byte])]);
  }

  async writeWord(address: number, command: number, word: number): Promise<void> {
    checkByte(command, 'command');
    if (!(Number.isInteger(word) && word >= 0 && word <= 0xffff)) throw new BusError(`word must be 0..0xffff, got ${word}`);
    this.transfer(address, [writeMsg([command, word & 0xff, word >> 8])]);
  }

  async readI2cBlock(address: number, command: number, length: number, buffer: Buffer): Promise<{ bytesRead: number; buffer: Buffer }> {
    checkByte(command, 'command');
    checkLength(length, buffer, 32);
    this.command.data[0] = command;
    const data = this.transfer(address, [this.command, { read: true, length }]);
    for (let i = 0; i < length; i++) buffer[i] = data[i];
    return { bytesRead: length, buffer };
  }

  async writeI2cBlock(address: number, command: number, length: number, buffer: Buffer): Promise<{ bytesWritten: number; buffer: Buffer }> {
    checkByte(command, 'command');
    checkLength(length, buffer, 32);
    const data = new Uint8Array(length + 1);
    data[0] = command;
    data.set(buffer.subarray(0, length), 1);
    this.transfer(address, [{ read: false, data }]);
    return { bytesWritten: length, buffer };
  }

  async i2cRead(address: number, length: number, buffer: Buffer): Promise<{ bytesRead: number; buffer: Buffer }> {
    checkLength(length, buffer, Infinity);
    if (length > 0) buffer.set(this.transfer(address, [{ read: true, length }]).subarray(0, length));
    return { bytesRead: length, buffer };
  }

  async i2cWrite(address: number, length: number, buffer: Buffer): Promise<{ bytesWritten: number; buffer: Buffer }> {
    checkLength(length, buffer, Infinity);
    if (length > 0) this.transfer(address, [{ read: false, data: Uint8Array.from(buffer.subarray(0, length)) }]);
    return { bytesWritten: length, buffer };
  }

  async sendByte(address: number, byte: number): Promise<void> {
    checkByte(byte, 'byte');
    this.command.data[0] = byte;
    this.transfer(address, this.commandOnly);
  }

  async receiveByte(address: number): Promise<number> {
    return this.transfer(address, [{ read: true, length: 1 }])[0];
  }

  /** Addresses 0x03–0x77 that ACK a write header (an SMBus quick write, as `i2cdetect -q` does). */
  async scan(): Promise<number[]> {
    this.assertOpen();
    const found: number[] = [];
    const now = this.clock.trueTime();
    for (let address = 0x03; address <= 0x77; address++) {
      const out: Attachment[] = [];
      this.collect(address, now, out, 0);
      if (out.some((a) => a.target.acknowledge?.(false) ?? true)) found.push(address);
    }
    return found;
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  /** The raw transaction interface, for adapters (e.g. the i2c-bus `PromisifiedBus` fake). */
  transact(address: number, messages: ReadonlyArray<{ read: false; data: Uint8Array } | { read: true; length: number }>): Uint8Array {
    return this.transfer(address, messages);
  }

  // ---- transaction engine -----------------------------------------------------------------------

  private transfer(address: number, messages: ReadonlyArray<Message>): Uint8Array {
    this.assertOpen();
    checkAddress(address);
    this.stats.transfers += 1;
    const responders = this.scratch;
    responders.length = 0;
    this.collect(address, this.clock.trueTime(), responders, 0);
    let result: Uint8Array = new Uint8Array(0);
    try {
      for (const msg of messages) {
        const acking = responders.length === 1 ? (acks(responders[0], msg.read) ? responders : NONE) : responders.filter((a) => acks(a, msg.read));
        if (acking.length === 0) throw new I2cNack(`no ACK for ${msg.read ? 'read' : 'write'} header`);
        if (!msg.read) {
          // An empty write (SMBus quick command) only probes the address.
          if (msg.data.length > 0) for (const a of acking) a.target.write(msg.data);
          continue;
        }
        if (acking.length === 1 && acking[0].corruptBits === 0) {
          const part = acking[0].target.read(msg.length);
          result = part.length === msg.length ? part : padded(part, msg.length);
          continue;
        }
        // Open-drain bus: several chips answering at once read as the AND of their bytes.
        result = new Uint8Array(msg.length).fill(0xff);
        for (const a of acking) {
          const part = a.target.read(msg.length);
          for (let i = 0; i < msg.length; i++) result[i] &= i < part.length ? part[i] : 0xff;
          if (a.corruptBits > 0) {
            for (let k = 0; k < a.corruptBits; k++) {
              const bit = this.random.int(0, msg.length * 8 - 1);
              result[bit >> 3] ^= 1 << (bit & 7);
            }
            a.corruptBits = 0;
          }
        }
      }
    } catch (e) {
      if (e instanceof I2cNack) {
        this.stats.nacks += 1;
        throw new DeviceNotRespondingError(`${this.id} 0x${hex(address)}`, e.message, { cause: e });
      }
      throw e;
    } finally {
      for (const a of responders) a.target.stop?.();
      responders.length = 0;
    }
    return result;
  }

  private assertOpen(): void {
    if (this.closed) throw new DeviceClosedError(this.id);
  }
}

const NONE: Attachment[] = [];

/** A short answer reads as 0xFF for the missing bytes (SDA left high). */
function padded(part: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length).fill(0xff);
  out.set(part.subarray(0, length));
  return out;
}

function acks(a: Attachment, read: boolean): boolean {
  return a.target.acknowledge ? a.target.acknowledge(read) : true;
}

function writeMsg(bytes: number[]): Message {
  return { read: false, data: Uint8Array.from(bytes) };
}

export function hex(n: number): string {
  return n.toString(16).padStart(2, '0');
}

function checkAddress(address: number): void {
  if (!(Number.isInteger(address) && address >= 0 && address <= 0x7f)) throw new BusError(`invalid I2C address ${address}`);
}

function checkByte(v: number, what: string): void {
  if (!(Number.isInteger(v) && v >= 0 && v <= 0xff)) throw new BusError(`${what} must be 0..0xff, got ${v}`);
}

function checkLength(length: number, buffer: Buffer, max: number): void {
  if (!(Number.isInteger(length) && length >= 0 && length <= max)) throw new BusError(`length must be 0..${max}, got ${length}`);
  if (!Buffer.isBuffer(buffer) || buffer.length < length) throw new BusError(`buffer must hold at least ${length} bytes`);
}
