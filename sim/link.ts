/**
 * In-memory byte links for the simulator and tests: a connected pair of `ByteLink`s with
 * optional latency and bandwidth on the injected clock (so an offload over a 3 Mbaud serial
 * cable takes the virtual time it would take), and fault injection (cut, dropped or flipped
 * bytes) for protocol robustness tests.
 */
import { Subject, type Observable } from 'rxjs';
import { DeviceBase } from '../hal/device.ts';
import { BusError, DeviceClosedError, InvalidOptionsError } from '../hal/errors.ts';
import type { Clock } from '../hal/clock.ts';
import type { Random } from '../hal/random.ts';
import type { ByteLink, LinkPort } from '../hal/link.ts';

export interface SimLinkOptions {
  name?: string;
  /** Deliver through this clock (latency, bandwidth); without it bytes arrive on the next microtask. */
  clock?: Clock;
  /** One-way latency in ms (needs `clock`). */
  latencyMs?: number;
  /** Line rate in bytes per second (needs `clock`); writes resolve when the bytes are on the wire. */
  bytesPerSecond?: number;
}

export interface LinkFaults {
  random: Random;
  /** Probability that each written chunk loses one random byte. */
  dropByte?: number;
  /** Probability that each written chunk gets one random bit flipped. */
  flipBit?: number;
}

export class SimByteLink extends DeviceBase implements ByteLink {
  private readonly incoming = new Subject<Uint8Array>();
  readonly data$: Observable<Uint8Array> = this.incoming.asObservable();
  /** @internal */ peer!: SimByteLink;
  private faults: LinkFaults | null = null;
  private wireFreeAt = 0;
  private broken: Error | null = null;
  /** Bytes written by this side (before faults). */
  bytesWritten = 0;

  constructor(
    name: string,
    private readonly opts: SimLinkOptions,
  ) {
    super(name);
  }

  get isOpen(): boolean {
    return !this.closed && !this.broken;
  }

  /** Faults applied to bytes this side writes. */
  injectFaults(faults: LinkFaults | null): void {
    this.faults = faults;
  }

  /** Cuts the link: both sides fail with a BusError (a pulled cable, a dropped TCP connection). */
  cut(reason = 'link cut'): void {
    const err = new BusError(`${this.name}: ${reason}`);
    for (const side of [this, this.peer]) {
      if (side.broken || side.closed) continue;
      side.broken = err;
      side.incoming.error(err);
    }
  }

  async write(data: Uint8Array): Promise<void> {
    if (this.closed) throw new DeviceClosedError(this.name);
    if (this.broken) throw this.broken;
    if (!this.peer.isOpen) throw new BusError(`${this.name}: peer closed`);
    this.bytesWritten += data.length;
    const bytes = this.applyFaults(data.slice());
    const { clock, latencyMs = 0, bytesPerSecond } = this.opts;
    if (!clock) {
      queueMicrotask(() => this.peer.deliver(bytes));
      return;
    }
    const now = clock.monotonic();
    const start = Math.max(now, this.wireFreeAt);
    const txMs = bytesPerSecond ? (bytes.length / bytesPerSecond) * 1000 : 0;
    this.wireFreeAt = start + txMs;
    clock.setTimeout(() => this.peer.deliver(bytes), this.wireFreeAt + latencyMs - now);
    if (this.wireFreeAt > now) await clock.sleep(this.wireFreeAt - now);
  }

  /** @internal */
  deliver(bytes: Uint8Array): void {
    if (this.closed || this.broken) return;
    if (bytes.length > 0) this.incoming.next(bytes);
  }

  protected override onClose(): void {
    this.incoming.complete();
    // The peer sees end-of-stream, as after a TCP FIN or a closed serial port.
    if (!this.peer.closed && !this.peer.broken) this.peer.incoming.complete();
  }

  private applyFaults(bytes: Uint8Array): Uint8Array {
    const f = this.faults;
    if (!f || bytes.length === 0) return bytes;
    if (f.flipBit && f.random.next() < f.flipBit) {
      const i = f.random.int(0, bytes.length - 1);
      bytes[i] ^= 1 << f.random.int(0, 7);
    }
    if (f.dropByte && f.random.next() < f.dropByte) {
      const i = f.random.int(0, bytes.length - 1);
      bytes = Uint8Array.from([...bytes.subarray(0, i), ...bytes.subarray(i + 1)]);
    }
    return bytes;
  }
}

/** Two connected ends: what one writes, the other receives. */
export function createLinkPair(options: SimLinkOptions = {}): [SimByteLink, SimByteLink] {
  if ((options.latencyMs || options.bytesPerSecond) && !options.clock) {
    throw new InvalidOptionsError('latencyMs and bytesPerSecond need a clock');
  }
  if (options.bytesPerSecond !== undefined && !(options.bytesPerSecond > 0)) {
    throw new InvalidOptionsError('bytesPerSecond must be positive');
  }
  const name = options.name ?? 'sim link';
  const a = new SimByteLink(`${name} (A)`, options);
  const b = new SimByteLink(`${name} (B)`, options);
  a.peer = b;
  b.peer = a;
  return [a, b];
}

/** A LinkPort whose connections are made by the world (docking, a modem coming up). */
export class SimLinkPort extends DeviceBase implements LinkPort {
  private readonly connections = new Subject<ByteLink>();
  private readonly open = new Set<SimByteLink>();
  readonly links$: Observable<ByteLink> = this.connections.asObservable();

  constructor(name: string, private readonly options: SimLinkOptions = {}) {
    super(name);
  }

  /** Connects: the device side appears on `links$`; the returned end belongs to the other party. */
  connect(): SimByteLink {
    this.assertOpen();
    const [device, remote] = createLinkPair({ ...this.options, name: this.name });
    this.open.add(device);
    this.connections.next(device);
    return remote;
  }

  /** The connector separates (undocked, modem lost): every open link is cut. */
  disconnectAll(reason = 'disconnected'): void {
    for (const link of this.open) link.cut(reason);
    this.open.clear();
  }

  protected override onClose(): void {
    this.disconnectAll('port closed');
    this.connections.complete();
  }
}
