/**
 * A serial port (`/dev/ttyAMA0`, `/dev/ttyUSB0`, `/dev/ttyACM0`, a pseudo-terminal) as a
 * `ByteLink`, over the `serialport` package. The dock cable, the GNSS receiver's NMEA and the
 * radar's serial output all come through this. Tests pass a binding (`@serialport/binding-mock`);
 * on a board the default binding (`@serialport/bindings-cpp`) opens the real device.
 */
import { Subject, type Observable } from 'rxjs';
import { SerialPortStream } from '@serialport/stream';
import { DeviceBase, check } from '../device.ts';
import { BusError, DeviceClosedError, DeviceNotFoundError, InvalidOptionsError } from '../errors.ts';
import type { ByteLink } from '../link.ts';

export interface SerialLinkOptions {
  /** Device path, e.g. /dev/ttyAMA0 or a pty from socat. */
  path: string;
  /** Line speed; 115200 by default. */
  baudRate?: number;
  dataBits?: 5 | 6 | 7 | 8;
  parity?: 'none' | 'even' | 'odd';
  stopBits?: 1 | 2;
  /** Hardware flow control (RTS/CTS). */
  rtscts?: boolean;
  /** The serialport binding; the platform's native binding by default. */
  binding?: SerialBinding;
  /** Read buffer size (bytes); 64 KiB by default. */
  highWaterMark?: number;
  name?: string;
}

/** A serialport binding (what `@serialport/binding-mock`'s MockBinding and the native one are). */
export type SerialBinding = ConstructorParameters<typeof SerialPortStream>[0]['binding'];

async function defaultBinding(): Promise<SerialBinding> {
  // Loaded only when a real port is opened, so tests with a mock never load native code.
  const { SerialPort } = await import('serialport');
  return SerialPort.binding as unknown as SerialBinding;
}

const UV_READABLE = 1;
const UV_WRITABLE = 2;

interface NativePollerWrapper {
  once(event: string, fn: (err?: Error | null) => void): unknown;
  on(event: string, fn: () => void): unknown;
  poll(flags: number): void;
}

/**
 * Works around two faults of `@serialport/bindings-cpp`'s Linux poller, both of which stall a
 * link that carries traffic in both directions (a dock protocol does; a GNSS feed does not):
 *
 * 1. `poll(flag)` restarts `uv_poll_start` with only that flag, so a read waiting for
 *    `readable` cancels a write waiting for `writable` (or the reverse) until the other side
 *    happens to send something: the write then sits for seconds. We keep every pending interest
 *    in each `poll` call.
 * 2. Events are delivered without a microtask checkpoint, so the read or write resumed by one
 *    only runs when some later macrotask happens (bindings-cpp PR #239, "deliver poller events
 *    with MakeCallback"). A `setImmediate` on each event makes Node drain the queue in the same
 *    loop iteration.
 */
function fixPoller(stream: SerialPortStream): void {
  const poller = (stream.port as unknown as { poller?: NativePollerWrapper } | undefined)?.poller;
  if (!poller || typeof poller.poll !== 'function' || typeof poller.once !== 'function') return; // mock bindings have none
  const waiting = { readable: 0, writable: 0 };
  const nativePoll = poller.poll.bind(poller);
  const nativeOnce = poller.once.bind(poller);
  poller.poll = (flags: number) => {
    nativePoll(flags | (waiting.readable > 0 ? UV_READABLE : 0) | (waiting.writable > 0 ? UV_WRITABLE : 0));
  };
  poller.once = (event: string, fn: (err?: Error | null) => void) => {
    if (event === 'readable' || event === 'writable') {
      waiting[event] += 1;
      return nativeOnce(event, (err?: Error | null) => {
        waiting[event] -= 1;
        fn(err);
      });
    }
    return nativeOnce(event, fn);
  };
  const kick = () => void setImmediate(noop);
  poller.on('readable', kick);
  poller.on('writable', kick);
}

function noop(): void {}

export class SerialLink extends DeviceBase implements ByteLink {
  private readonly subject = new Subject<Uint8Array>();
  readonly data$: Observable<Uint8Array> = this.subject.asObservable();
  private ended = false;

  private constructor(
    /** The underlying stream (tests reach the mock port through `stream.port`). */
    readonly stream: SerialPortStream,
    name: string,
  ) {
    super(name);
    stream.on('data', (chunk: Buffer) => this.subject.next(chunk));
    stream.on('error', (err: Error) => this.finish(new BusError(`${this.name}: ${err.message}`, { cause: err })));
    stream.on('close', (err?: Error & { disconnected?: boolean }) => {
      this.finish(err ? new BusError(`${this.name}: ${err.message}`, { cause: err }) : null);
    });
  }

  /** Validates the options, then opens the port. */
  static async open(options: SerialLinkOptions): Promise<SerialLink> {
    if (options === null || typeof options !== 'object') throw new InvalidOptionsError('serial link: options object required');
    const path = check.string(options.path, 'serial link path');
    const baudRate = check.int(options.baudRate ?? 115200, 'baudRate', 50, 16_000_000);
    const dataBits = options.dataBits ?? 8;
    if (![5, 6, 7, 8].includes(dataBits)) throw new InvalidOptionsError(`dataBits must be 5..8, got ${dataBits}`);
    const parity = check.oneOf(options.parity ?? 'none', 'parity', ['none', 'even', 'odd']);
    const stopBits = options.stopBits ?? 1;
    if (stopBits !== 1 && stopBits !== 2) throw new InvalidOptionsError(`stopBits must be 1 or 2, got ${stopBits}`);
    const highWaterMark = check.int(options.highWaterMark ?? 65536, 'highWaterMark', 64, 1 << 24);
    const binding = options.binding ?? (await defaultBinding());
    const stream = new SerialPortStream({
      binding,
      path,
      baudRate,
      dataBits,
      parity,
      stopBits,
      rtscts: options.rtscts ?? false,
      highWaterMark,
      autoOpen: false,
    });
    await new Promise<void>((resolve, reject) => {
      stream.open((err) => {
        if (!err) return resolve();
        const msg = err.message;
        if (/ENOENT|no such file|not found|does not exist/i.test(msg)) reject(new DeviceNotFoundError(path, msg));
        else reject(new BusError(`${path}: ${msg}`, { cause: err }));
      });
    });
    fixPoller(stream);
    return new SerialLink(stream, options.name ?? `serial ${path}`);
  }

  get isOpen(): boolean {
    return !this.ended && !this.closed && this.stream.isOpen;
  }

  write(data: Uint8Array): Promise<void> {
    if (this.closed) return Promise.reject(new DeviceClosedError(this.name));
    if (this.ended) return Promise.reject(new BusError(`${this.name}: port closed`));
    return new Promise((resolve, reject) => {
      this.stream.write(data, (err: Error | null | undefined) => (err ? reject(new BusError(`${this.name}: write failed: ${err.message}`, { cause: err })) : resolve()));
    });
  }

  private finish(err: Error | null): void {
    if (this.ended) return;
    this.ended = true;
    if (err) this.subject.error(err);
    else this.subject.complete();
  }

  protected override async onClose(): Promise<void> {
    if (!this.stream.isOpen) {
      this.finish(null);
      return;
    }
    // Let written bytes leave before closing (drain waits for the OS to send them).
    await new Promise<void>((resolve) => this.stream.drain(() => resolve()));
    await new Promise<void>((resolve) => this.stream.close(() => resolve()));
    this.finish(null);
  }
}
