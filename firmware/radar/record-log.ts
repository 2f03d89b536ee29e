/**
 * An append-only file of framed records on a `Storage`, for the every-vehicle log (R-RAD-2) and
 * the outbound queue (R-OFF-3). Frame: u32 LE payload length, u32 LE CRC-32 of the payload,
 * payload. On open the file is scanned; the first frame that is cut short or fails its CRC marks
 * a torn tail from a power cut (hal/storage.ts semantics), which is truncated so new records
 * follow the last good one. Synced records are never lost; appends are group-committed: every
 * `append` resolves once a sync covering it has completed.
 */
import { StorageError } from '../../hal/errors.ts';
import type { AppendFile, Storage } from '../../hal/storage.ts';

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(data: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export const FRAME_HEADER = 8;
/** Larger frames are treated as corruption (a vehicle record is ~30 bytes, a violation < 8 MB). */
export const MAX_FRAME = 16 * 1024 * 1024;

export function frame(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(FRAME_HEADER + payload.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, payload.length, true);
  dv.setUint32(4, crc32(payload), true);
  out.set(payload, FRAME_HEADER);
  return out;
}

export interface ScannedRecord {
  /** Offset of the frame in the file. */
  offset: number;
  payload: Uint8Array;
}

/** Reads every intact frame; `goodLength` is where the intact prefix ends. */
export function scanFrames(bytes: Uint8Array): { records: ScannedRecord[]; goodLength: number } {
  const records: ScannedRecord[] = [];
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let off = 0;
  while (off + FRAME_HEADER <= bytes.length) {
    const len = dv.getUint32(off, true);
    if (len > MAX_FRAME || off + FRAME_HEADER + len > bytes.length) break;
    const payload = bytes.subarray(off + FRAME_HEADER, off + FRAME_HEADER + len);
    if (crc32(payload) !== dv.getUint32(off + 4, true)) break;
    records.push({ offset: off, payload });
    off += FRAME_HEADER + len;
  }
  return { records, goodLength: off };
}

export interface OpenedLog {
  log: RecordLog;
  records: ScannedRecord[];
  /** Bytes cut from a torn tail (0 when the file was clean). */
  droppedBytes: number;
}

export class RecordLog {
  private syncing: Promise<void> | null = null;
  private dirty = false;
  private closed = false;

  private constructor(
    readonly path: string,
    private readonly file: AppendFile,
  ) {}

  static async open(storage: Storage, path: string): Promise<OpenedLog> {
    let bytes: Uint8Array = new Uint8Array(0);
    if (await storage.stat(path)) bytes = await storage.read(path);
    const { records, goodLength } = scanFrames(bytes);
    const droppedBytes = bytes.length - goodLength;
    // Payloads must not alias the read buffer's later reuse.
    const owned = records.map((r) => ({ offset: r.offset, payload: r.payload.slice() }));
    if (droppedBytes > 0) await storage.truncate(path, goodLength);
    const file = await storage.openAppend(path);
    return { log: new RecordLog(path, file), records: owned, droppedBytes };
  }

  get size(): number {
    return this.file.size;
  }

  /** Appends one record; resolves when it is durable. Returns the frame's offset. */
  async append(payload: Uint8Array): Promise<number> {
    if (this.closed) throw new StorageError('ECLOSED', `${this.path}: log closed`);
    const offset = this.file.size;
    await this.file.append(frame(payload));
    this.dirty = true;
    await this.flush();
    return offset;
  }

  /** Appends without waiting for durability (the caller syncs with `flush`). */
  async appendLazy(payload: Uint8Array): Promise<number> {
    if (this.closed) throw new StorageError('ECLOSED', `${this.path}: log closed`);
    const offset = this.file.size;
    await this.file.append(frame(payload));
    this.dirty = true;
    return offset;
  }

  /** One sync covers every append made before it started; appends during a sync wait for the next. */
  async flush(): Promise<void> {
    while (this.dirty || this.syncing) {
      if (this.syncing) {
        await this.syncing;
        continue;
      }
      this.dirty = false;
      this.syncing = this.file.sync().finally(() => {
        this.syncing = null;
      });
      await this.syncing;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.flush();
    this.closed = true;
    await this.file.close();
  }
}
