/**
 * INTERIM uplink wire format, until the dock protocol (issue 6) provides framing, messages and
 * sessions: each message is a u32 big-endian length followed by that many bytes of msgpack.
 * The lead replaces this file (and `tools/centre/session.ts`, its other end) with the protocol's
 * framing; `UplinkChannel` (uplink.ts) stays as it is.
 *
 * Messages: device → centre `hello {device}` once per connection, `submit {rid, items}`;
 * centre → device `ack {rid, ids}` (ids stored now or before) or `error {rid, message}`.
 */
import { pack, unpack } from 'msgpackr';
import type { Subscription } from 'rxjs';
import type { Clock } from '../../hal/clock.ts';
import { BusError, DeviceNotRespondingError, DozorError, InvalidOptionsError } from '../../hal/errors.ts';
import type { ByteLink } from '../../hal/link.ts';
import type { OutboxItem, OutboxKind } from './outbox.ts';
import type { UplinkChannel } from './uplink.ts';

export const INTERIM_MAX_FRAME = 64 * 1024 * 1024;

export interface WireItem {
  id: string;
  kind: OutboxKind;
  /** Event wall time, ms since epoch. */
  at: number;
  body: unknown;
}

export type UplinkMessage =
  | { t: 'hello'; device: string }
  | { t: 'submit'; rid: number; items: WireItem[] }
  | { t: 'ack'; rid: number; ids: string[] }
  | { t: 'error'; rid: number; message: string };

export class FrameError extends DozorError {
  constructor(detail: string) {
    super('EFRAME', `uplink frame: ${detail}`);
  }
}

export function encodeFrame(msg: UplinkMessage): Uint8Array {
  const body = pack(msg);
  const out = new Uint8Array(4 + body.length);
  new DataView(out.buffer).setUint32(0, body.length, false);
  out.set(body, 4);
  return out;
}

/** Reassembles frames from a byte stream; throws `FrameError` on an impossible length or bad msgpack. */
export class FrameDecoder {
  private buf = new Uint8Array(0);

  push(chunk: Uint8Array): UplinkMessage[] {
    const joined = new Uint8Array(this.buf.length + chunk.length);
    joined.set(this.buf);
    joined.set(chunk, this.buf.length);
    const out: UplinkMessage[] = [];
    let off = 0;
    while (joined.length - off >= 4) {
      const len = new DataView(joined.buffer, off, 4).getUint32(0, false);
      if (len > INTERIM_MAX_FRAME) throw new FrameError(`length ${len} exceeds ${INTERIM_MAX_FRAME}`);
      if (joined.length - off - 4 < len) break;
      let msg: unknown;
      try {
        msg = unpack(joined.subarray(off + 4, off + 4 + len));
      } catch (err) {
        throw new FrameError(`bad msgpack: ${err instanceof Error ? err.message : String(err)}`);
      }
      if (msg === null || typeof msg !== 'object' || typeof (msg as { t?: unknown }).t !== 'string') throw new FrameError('not a message');
      out.push(msg as UplinkMessage);
      off += 4 + len;
    }
    this.buf = joined.slice(off);
    return out;
  }
}

export interface InterimUplinkOptions {
  /** Opens a link to the centre (TCP on a board, a sim link in tests); rejects when unreachable. */
  connect: () => Promise<ByteLink>;
  clock: Clock;
  deviceId: string;
  /** How long to wait for an acknowledgement (default 30 s). */
  timeoutMs?: number;
}

interface Pending {
  rid: number;
  resolve(ids: string[]): void;
  reject(err: Error): void;
}

export class InterimUplinkChannel implements UplinkChannel {
  private link: ByteLink | null = null;
  private sub: Subscription | null = null;
  private pending: Pending | null = null;
  private rid = 0;
  private closed = false;

  constructor(private readonly o: InterimUplinkOptions) {
    if (typeof o?.connect !== 'function' || !o.clock || typeof o.deviceId !== 'string') {
      throw new InvalidOptionsError('interim uplink: connect, clock and deviceId required');
    }
  }

  async deliver(items: readonly OutboxItem[]): Promise<string[]> {
    if (this.closed) throw new BusError('uplink closed');
    const link = await this.ensureLink();
    const rid = ++this.rid;
    const timeoutMs = this.o.timeoutMs ?? 30_000;
    const reply = new Promise<string[]>((resolve, reject) => {
      this.pending = { rid, resolve, reject };
    });
    const timer = this.o.clock.setTimeout(() => {
      this.dropLink(new DeviceNotRespondingError('processing centre', `no acknowledgement within ${timeoutMs} ms`));
    }, timeoutMs);
    try {
      const wire: WireItem[] = items.map((i) => ({ id: i.id, kind: i.kind, at: i.at, body: i.body }));
      await link.write(encodeFrame({ t: 'submit', rid, items: wire }));
      return await reply;
    } catch (err) {
      this.dropLink(err instanceof Error ? err : new BusError(String(err)));
      throw err;
    } finally {
      timer.cancel();
      this.pending = null;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.dropLink(new BusError('uplink closed'));
  }

  private async ensureLink(): Promise<ByteLink> {
    if (this.link?.isOpen) return this.link;
    this.dropLink(new BusError('reconnecting'));
    const link = await this.o.connect();
    const decoder = new FrameDecoder();
    this.sub = link.data$.subscribe({
      next: (chunk) => {
        let msgs: UplinkMessage[];
        try {
          msgs = decoder.push(chunk);
        } catch (err) {
          this.dropLink(err as Error);
          return;
        }
        for (const m of msgs) this.onMessage(m);
      },
      error: (err: unknown) => this.dropLink(err instanceof Error ? err : new BusError(String(err))),
      complete: () => this.dropLink(new BusError('centre closed the connection')),
    });
    this.link = link;
    await link.write(encodeFrame({ t: 'hello', device: this.o.deviceId }));
    return link;
  }

  private onMessage(m: UplinkMessage): void {
    const p = this.pending;
    if (!p || (m.t !== 'ack' && m.t !== 'error') || m.rid !== p.rid) return;
    if (m.t === 'ack' && Array.isArray(m.ids)) p.resolve(m.ids.filter((x): x is string => typeof x === 'string'));
    else p.reject(new BusError(`centre refused the delivery: ${m.t === 'error' ? m.message : 'malformed ack'}`));
  }

  private dropLink(err: Error): void {
    this.pending?.reject(err);
    this.pending = null;
    this.sub?.unsubscribe();
    this.sub = null;
    const link = this.link;
    this.link = null;
    if (link) void link.close().catch(() => undefined);
  }
}
