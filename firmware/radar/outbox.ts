/**
 * The persistent outbound queue (store-and-forward, R-RAD-1, R-OFF-3) on internal storage.
 *
 * - `enqueue` resolves only when the item is durable, so whatever the firmware believes it
 *   queued survives a power cut. Items keep the time of their event, never the time they are sent.
 * - Every item has an id that never repeats for this device: `<device>:<epoch>:<seq>`, where the
 *   epoch is a random tag created with the queue (a wiped or replaced storage gets a new epoch),
 *   and seq grows by one per item. The centre deduplicates on this id, so a resend after a lost
 *   acknowledgement never creates a second record.
 * - Acknowledged ids are appended to an ack log; on open, pending = items − acks. Segments whose
 *   items are all acknowledged are removed (the newest is kept so seq never goes back).
 *
 * Layout under `dir`: `epoch` (atomic), `items-<first seq>.log`, `acks.log` (record-log frames).
 */
import { pack, unpack } from 'msgpackr';
import { InvalidOptionsError, StorageError } from '../../hal/errors.ts';
import type { Random } from '../../hal/random.ts';
import type { Storage } from '../../hal/storage.ts';
import { FRAME_HEADER, RecordLog, frame, scanFrames } from './record-log.ts';

export type OutboxKind = 'violation' | 'vehicles' | 'alert';

export interface OutboxItem {
  id: string;
  seq: number;
  kind: OutboxKind;
  /** Device wall time of the event (ms since epoch), not of sending. */
  at: number;
  body: unknown;
}

interface IndexEntry {
  seq: number;
  kind: OutboxKind;
  at: number;
  segment: string;
  offset: number;
  length: number;
}

export interface OutboxOptions {
  storage: Storage;
  random: Random;
  /** Stable device identity (radar serial number). */
  deviceId: string;
  dir?: string;
  /** Start a new segment when the current one passes this size (default 8 MiB). */
  segmentBytes?: number;
}

export interface OutboxRecovery {
  pending: number;
  droppedBytes: number;
}

export class Outbox {
  private readonly storage: Storage;
  private readonly dir: string;
  private readonly segmentBytes: number;
  private readonly pendingIndex = new Map<number, IndexEntry>();
  /** seq → segment for items not yet acknowledged, per segment count. */
  private readonly openPerSegment = new Map<string, number>();
  private segments: string[] = [];
  private current!: RecordLog;
  private currentPath = '';
  private acks!: RecordLog;
  private nextSeq = 1;
  private epoch = '';
  private closed = false;
  private chain: Promise<unknown> = Promise.resolve();
  readonly stats = { enqueued: 0, acked: 0 };

  private constructor(
    private readonly options: OutboxOptions,
  ) {
    this.storage = options.storage;
    this.dir = options.dir ?? 'outbox';
    this.segmentBytes = options.segmentBytes ?? 8 * 1024 * 1024;
  }

  static async open(options: OutboxOptions): Promise<{ outbox: Outbox; recovery: OutboxRecovery }> {
    if (!options?.storage || !options.random) throw new InvalidOptionsError('outbox: storage and random required');
    if (typeof options.deviceId !== 'string' || !/^[A-Za-z0-9._-]+$/.test(options.deviceId)) {
      throw new InvalidOptionsError('outbox: deviceId must be letters, digits, dot, dash or underscore');
    }
    const o = new Outbox(options);
    const droppedBytes = await o.load();
    return { outbox: o, recovery: { pending: o.pending, droppedBytes } };
  }

  get pending(): number {
    return this.pendingIndex.size;
  }

  get deviceEpoch(): string {
    return this.epoch;
  }

  idOf(seq: number): string {
    return `${this.options.deviceId}:${this.epoch}:${seq}`;
  }

  /** Queues an item durably; resolves with its id once it will survive a power cut. */
  enqueue(kind: OutboxKind, at: number, body: unknown): Promise<OutboxItem> {
    return this.serial(async () => {
      this.assertOpen();
      if (this.current.size >= this.segmentBytes) await this.rollSegment();
      const seq = this.nextSeq++;
      const payload = pack([seq, kind, at, body]);
      const segment = this.currentPath;
      const offset = await this.current.append(payload);
      this.pendingIndex.set(seq, { seq, kind, at, segment, offset: offset + FRAME_HEADER, length: payload.length });
      this.openPerSegment.set(segment, (this.openPerSegment.get(segment) ?? 0) + 1);
      this.stats.enqueued += 1;
      return { id: this.idOf(seq), seq, kind, at, body };
    });
  }

  /** The oldest pending items, up to `maxItems` and (after the first) `maxBytes` of payload. */
  async peek(maxItems: number, maxBytes = Infinity): Promise<OutboxItem[]> {
    this.assertOpen();
    const out: OutboxItem[] = [];
    let bytes = 0;
    for (const e of this.pendingIndex.values()) {
      if (out.length >= maxItems || (out.length > 0 && bytes + e.length > maxBytes)) break;
      bytes += e.length;
      const raw = await this.storage.read(e.segment, e.offset, e.length);
      const [seq, kind, at, body] = unpack(raw) as [number, OutboxKind, number, unknown];
      out.push({ id: this.idOf(seq), seq, kind, at, body });
    }
    return out;
  }

  /** Records acknowledgements durably; unknown or repeated ids are ignored. */
  ack(ids: readonly string[]): Promise<number> {
    return this.serial(async () => {
      this.assertOpen();
      const prefix = `${this.options.deviceId}:${this.epoch}:`;
      const seqs: number[] = [];
      for (const id of ids) {
        if (!id.startsWith(prefix)) continue;
        const seq = Number(id.slice(prefix.length));
        if (this.pendingIndex.has(seq)) seqs.push(seq);
      }
      if (seqs.length === 0) return 0;
      await this.acks.append(pack(seqs));
      for (const seq of seqs) {
        const e = this.pendingIndex.get(seq)!;
        this.pendingIndex.delete(seq);
        const left = (this.openPerSegment.get(e.segment) ?? 1) - 1;
        this.openPerSegment.set(e.segment, left);
      }
      this.stats.acked += seqs.length;
      await this.removeFinishedSegments();
      return seqs.length;
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.chain.catch(() => undefined);
    this.closed = true;
    await this.current.close();
    await this.acks.close();
  }

  // ---- internals ----

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  private assertOpen(): void {
    if (this.closed) throw new StorageError('ECLOSED', 'outbox closed');
  }

  private segmentPath(firstSeq: number): string {
    return `${this.dir}/items-${String(firstSeq).padStart(12, '0')}.log`;
  }

  private async load(): Promise<number> {
    const epochPath = `${this.dir}/epoch`;
    if (await this.storage.stat(epochPath)) {
      this.epoch = new TextDecoder().decode(await this.storage.read(epochPath)).trim();
    }
    if (!/^[0-9a-f]{8}$/.test(this.epoch)) {
      this.epoch = Array.from(this.options.random.bytes(4), (b) => b.toString(16).padStart(2, '0')).join('');
      await this.storage.writeAtomic(epochPath, new TextEncoder().encode(this.epoch));
    }
    let dropped = 0;
    const acked = new Set<number>();
    const ackOpen = await RecordLog.open(this.storage, `${this.dir}/acks.log`);
    dropped += ackOpen.droppedBytes;
    for (const r of ackOpen.records) for (const seq of unpack(r.payload) as number[]) acked.add(seq);
    this.acks = ackOpen.log;

    const files = (await this.storage.list(`${this.dir}/items-`)).map((f) => f.path).filter((p) => p.endsWith('.log'));
    this.segments = files;
    let maxSeq = 0;
    for (const path of files) {
      const first = Number(path.slice(`${this.dir}/items-`.length, -'.log'.length));
      if (Number.isFinite(first)) maxSeq = Math.max(maxSeq, first - 1);
    }
    let last: RecordLog | null = null;
    for (let i = 0; i < files.length; i++) {
      const path = files[i];
      const opened = await RecordLog.open(this.storage, path);
      dropped += opened.droppedBytes;
      let open = 0;
      for (const r of opened.records) {
        const [seq, kind, at] = unpack(r.payload) as [number, OutboxKind, number];
        maxSeq = Math.max(maxSeq, seq);
        if (acked.has(seq)) continue;
        this.pendingIndex.set(seq, { seq, kind, at, segment: path, offset: r.offset + FRAME_HEADER, length: r.payload.length });
        open += 1;
      }
      this.openPerSegment.set(path, open);
      if (i === files.length - 1) last = opened.log;
      else await opened.log.close();
    }
    this.nextSeq = maxSeq + 1;
    if (last) {
      this.current = last;
      this.currentPath = files[files.length - 1];
    } else {
      await this.rollSegment();
    }
    await this.removeFinishedSegments();
    return dropped;
  }

  private async rollSegment(): Promise<void> {
    const path = this.segmentPath(this.nextSeq);
    if (this.current) await this.current.close();
    const opened = await RecordLog.open(this.storage, path);
    this.current = opened.log;
    this.currentPath = path;
    this.segments.push(path);
    this.openPerSegment.set(path, 0);
    await this.removeFinishedSegments();
  }

  private async removeFinishedSegments(): Promise<void> {
    const keep: string[] = [];
    for (const path of this.segments) {
      if (path !== this.currentPath && (this.openPerSegment.get(path) ?? 0) === 0) {
        await this.storage.remove(path);
        this.openPerSegment.delete(path);
      } else {
        keep.push(path);
      }
    }
    this.segments = keep;
    // The ack log only needs entries for items still on storage: rewrite it when it grows.
    if (this.acks && this.acks.size > 256 * 1024) await this.compactAcks();
  }

  private async compactAcks(): Promise<void> {
    const stillStored = new Set<number>();
    for (const path of this.segments) {
      const { records } = scanFrames(await this.storage.read(path));
      for (const r of records) {
        const [seq] = unpack(r.payload) as [number];
        if (!this.pendingIndex.has(seq)) stillStored.add(seq);
      }
    }
    const path = `${this.dir}/acks.log`;
    await this.acks.close();
    // Atomic replace: a power cut leaves either the old or the new ack log, both complete.
    await this.storage.writeAtomic(path, frame(pack([...stillStored])));
    this.acks = (await RecordLog.open(this.storage, path)).log;
  }
}
