/**
 * Two connected in-memory `ByteLink`s: a simulated dock cable or socket. Bytes written on one
 * side arrive on the other in order, asynchronously (a microtask later), in the chunks they
 * were written. Fault injection: corrupt or drop bytes in flight, and cut the link — at once or
 * after exactly N bytes have crossed, which may split a write — so tests can break a session
 * at any byte.
 */
import { Subject, type Observable } from 'rxjs';
import { DeviceBase } from '../hal/device.ts';
import { BusError } from '../hal/errors.ts';
import type { ByteLink } from '../hal/link.ts';

export type LinkDirection = 'a->b' | 'b->a';

export interface LinkPairOptions {
  name?: string;
  /** Rewrites bytes in flight (corruption, loss): return the bytes to deliver. */
  mutate?: (data: Uint8Array, direction: LinkDirection) => Uint8Array;
  /** Cut the link once this many bytes (both directions together) have crossed. */
  cutAfterBytes?: number;
}

export class MemoryLink extends DeviceBase implements ByteLink {
  private readonly subject = new Subject<Uint8Array>();
  readonly data$: Observable<Uint8Array> = this.subject.asObservable();
  peer!: MemoryLink;
  private open = true;

  constructor(
    name: string,
    private readonly pair: LinkPair,
    readonly direction: LinkDirection,
  ) {
    super(name);
  }

  get isOpen(): boolean {
    return this.open && !this.closed;
  }

  async write(data: Uint8Array): Promise<void> {
    this.assertOpen();
    if (!this.open) throw new BusError(`${this.name}: link is cut`);
    this.pair.carry(this, data.slice());
  }

  /** @internal */
  deliver(data: Uint8Array): void {
    if (this.open) this.subject.next(data);
  }

  /** @internal */
  hangUp(): void {
    if (!this.open) return;
    this.open = false;
    this.subject.complete();
  }

  protected override onClose(): void {
    // Closing one end hangs up both, like a socket.
    this.pair.cut();
  }
}

export class LinkPair {
  readonly a: MemoryLink;
  readonly b: MemoryLink;
  /** Bytes that have crossed, per direction. */
  readonly crossed = { 'a->b': 0, 'b->a': 0 };
  private isCut = false;
  private readonly options: LinkPairOptions;

  constructor(options: LinkPairOptions = {}) {
    this.options = options;
    const name = options.name ?? 'link';
    this.a = new MemoryLink(`${name} (a)`, this, 'a->b');
    this.b = new MemoryLink(`${name} (b)`, this, 'b->a');
    this.a.peer = this.b;
    this.b.peer = this.a;
  }

  get cutDone(): boolean {
    return this.isCut;
  }

  /** Total bytes that crossed in both directions. */
  get total(): number {
    return this.crossed['a->b'] + this.crossed['b->a'];
  }

  /** @internal */
  carry(from: MemoryLink, data: Uint8Array): void {
    if (this.isCut) return;
    let bytes = this.options.mutate ? this.options.mutate(data, from.direction) : data;
    const limit = this.options.cutAfterBytes;
    let cutNow = false;
    if (limit !== undefined && this.total + bytes.length >= limit) {
      bytes = bytes.subarray(0, Math.max(0, limit - this.total));
      cutNow = true;
    }
    this.crossed[from.direction] += bytes.length;
    const to = from.peer;
    if (cutNow) this.isCut = true; // later writes are lost at once
    queueMicrotask(() => {
      if (bytes.length > 0) to.deliver(bytes);
      if (cutNow) this.hangUp();
    });
  }

  /** Breaks the link: both sides see their data$ complete; further writes fail. */
  cut(): void {
    this.isCut = true;
    queueMicrotask(() => this.hangUp());
  }

  private hangUp(): void {
    this.a.hangUp();
    this.b.hangUp();
  }
}
