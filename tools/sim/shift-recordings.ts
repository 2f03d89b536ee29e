/**
 * A shift's worth of recordings on simulated storage, offered for offload: real files with
 * seeded content and real SHA-256 hashes, the way the evidence store will list closed segments.
 * Receipts are kept as files next to the recordings (`receipts/…`), written atomically. Nothing
 * is ever deleted here; `deletions` stays empty unless a test reclaims space itself.
 */
import type { Random } from '../../hal/random.ts';
import type { Storage } from '../../hal/storage.ts';
import type { AcceptedReceipt, OffloadFile, OffloadSource } from '../../firmware/dock/interfaces.ts';
import { sha256Hex, toHex } from '../../protocol/crypto.ts';

export interface ShiftRecordingOptions {
  /** Number of closed segments. */
  segments: number;
  /** Bytes per segment (scaled down from real video so a shift fits in memory). */
  segmentBytes: number;
  /** Wall time of the first segment's start (ms). */
  startWall: number;
  /** Length of each segment (ms); 5 minutes by default. */
  segmentMs?: number;
  /** Path prefix; "video/" by default. */
  prefix?: string;
}

export class SimEvidenceSource implements OffloadSource {
  private readonly files = new Map<string, OffloadFile>();
  private readonly receipts = new Map<string, AcceptedReceipt>();
  /** Every acceptReceipt call, in order (tests check custody). */
  readonly receiptLog: AcceptedReceipt[] = [];

  constructor(private readonly storage: Storage, files: readonly OffloadFile[] = []) {
    for (const f of files) this.files.set(f.path, f);
  }

  /** Writes `segments` seeded recordings to storage and returns a source listing them. */
  static async recordShift(storage: Storage, random: Random, o: ShiftRecordingOptions): Promise<SimEvidenceSource> {
    const source = new SimEvidenceSource(storage);
    await source.addRecordings(random, o);
    return source;
  }

  async addRecordings(random: Random, o: ShiftRecordingOptions): Promise<OffloadFile[]> {
    const segmentMs = o.segmentMs ?? 5 * 60_000;
    const prefix = o.prefix ?? 'video/';
    const base = this.files.size;
    const added: OffloadFile[] = [];
    for (let i = 0; i < o.segments; i++) {
      const n = base + i + 1;
      const path = `${prefix}${String(n).padStart(6, '0')}.h264`;
      const data = random.bytes(o.segmentBytes);
      const f = await this.storage.openAppend(path);
      await f.append(data);
      await f.sync();
      await f.close();
      const startWall = Math.round(o.startWall + i * segmentMs);
      const file: OffloadFile = { path, size: data.length, sha256: sha256Hex(data), kind: 'video', startWall, endWall: startWall + segmentMs };
      this.files.set(path, file);
      added.push(file);
    }
    return added;
  }

  async pending(): Promise<OffloadFile[]> {
    return [...this.files.values()].filter((f) => !this.receipts.has(f.path)).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  async all(): Promise<OffloadFile[]> {
    return [...this.files.values()].sort((a, b) => (a.path < b.path ? -1 : 1));
  }

  async file(path: string): Promise<OffloadFile | null> {
    return this.files.get(path) ?? null;
  }

  read(path: string, offset: number, length: number): Promise<Uint8Array> {
    return this.storage.read(path, offset, length);
  }

  async acceptReceipt(r: AcceptedReceipt): Promise<'accepted' | 'already'> {
    this.receiptLog.push(r);
    const known = this.receipts.get(r.path);
    if (known && known.sha256 === r.sha256) return 'already';
    const record = {
      path: r.path,
      size: r.size,
      sha256: r.sha256,
      storedAt: r.storedAt,
      store: r.store,
      keyId: r.keyId,
      body: toHex(r.receipt.body),
      signature: toHex(r.receipt.signature),
    };
    await this.storage.writeAtomic(`receipts/${r.sha256}.json`, new TextEncoder().encode(JSON.stringify(record)));
    this.receipts.set(r.path, r);
    return 'accepted';
  }

  receiptFor(path: string): AcceptedReceipt | undefined {
    return this.receipts.get(path);
  }
}
