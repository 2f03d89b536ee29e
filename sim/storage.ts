/**
 * In-memory storage with a power-loss model (see hal/storage.ts for the semantics). On a power
 * cut every file keeps its synced bytes; of the unsynced tail any prefix may survive, and the
 * file may end in garbage up to the length it had, as on a real filesystem where the size
 * reaches the disk before the data. Seeded, so a cut is reproducible.
 */
import { DeviceBase } from '../hal/device.ts';
import {
  FileNotFoundError,
  InvalidOptionsError,
  InvalidPathError,
  StorageError,
  StorageFullError,
  StorageUnavailableError,
} from '../hal/errors.ts';
import { isValidStoragePath, type AppendFile, type FileInfo, type SpaceInfo, type Storage } from '../hal/storage.ts';
import type { Random } from '../hal/random.ts';

interface SimFile {
  /** Growable buffer; bytes [0, size) are the file. */
  buf: Uint8Array;
  size: number;
  syncedSize: number;
  /** Bumped when the file is replaced or removed, so stale writers fail. */
  generation: number;
  writer: SimAppendFile | null;
}

/** What survives of one file's unsynced tail in a power cut. */
export interface TearDecision {
  /** Bytes of the unsynced tail that survive intact (0 … size − syncedSize). */
  keep: number;
  /** Garbage bytes after the kept ones (keep + garbage ≤ size − syncedSize). */
  garbage?: number;
}

export type TearPolicy = (file: { path: string; syncedSize: number; size: number }) => TearDecision;

export interface SimStorageOptions {
  name: string;
  capacityBytes: number;
  /** Drives random tear decisions and garbage bytes. */
  random: Random;
}

export class SimStorage extends DeviceBase implements Storage {
  private files = new Map<string, SimFile>();
  private used = 0;
  private available = true;
  readonly capacityBytes: number;
  private readonly random: Random;
  /** Counters for tests and reports. */
  readonly stats = { appends: 0, syncs: 0, bytesWritten: 0, powerCuts: 0 };

  constructor(options: SimStorageOptions) {
    super(options.name);
    if (!Number.isSafeInteger(options.capacityBytes) || options.capacityBytes <= 0) {
      throw new InvalidOptionsError(`${options.name}: capacityBytes must be a positive integer`);
    }
    this.capacityBytes = options.capacityBytes;
    this.random = options.random;
  }

  // ---- world-side controls (not part of the Storage contract) ----

  /** Bytes held now (the world's view; `space()` is the device's). */
  get usedBytes(): number {
    return this.used;
  }

  /** Simulates loss of power: unsynced data is torn per `policy` (random by default). */
  powerCut(policy?: TearPolicy): void {
    this.stats.powerCuts += 1;
    for (const [path, f] of this.files) {
      if (f.writer) {
        f.writer.invalidate();
        f.writer = null;
      }
      const unsynced = f.size - f.syncedSize;
      if (unsynced <= 0) continue;
      const d = policy ? policy({ path, syncedSize: f.syncedSize, size: f.size }) : this.randomTear(unsynced);
      const keep = clampInt(d.keep, 0, unsynced);
      const garbage = clampInt(d.garbage ?? 0, 0, unsynced - keep);
      const keptLen = f.syncedSize + keep;
      if (garbage > 0) f.buf.set(this.random.bytes(garbage), keptLen);
      this.used -= f.size;
      f.size = keptLen + garbage;
      f.syncedSize = f.size;
      this.used += f.size;
    }
  }

  /** A removable medium pulled out (false) or put back (true). */
  setAvailable(available: boolean): void {
    this.available = available;
    if (!available) {
      for (const f of this.files.values()) {
        f.writer?.invalidate();
        f.writer = null;
      }
    }
  }

  get isAvailable(): boolean {
    return this.available;
  }

  /** Every file's current bytes (including unsynced), for `--out DIR` and tests. */
  snapshot(): Map<string, Uint8Array> {
    const out = new Map<string, Uint8Array>();
    for (const path of [...this.files.keys()].sort()) {
      const f = this.files.get(path)!;
      out.set(path, f.buf.slice(0, f.size));
    }
    return out;
  }

  // ---- the Storage contract ----

  async openAppend(path: string): Promise<AppendFile> {
    this.ready(path);
    let f = this.files.get(path);
    if (!f) {
      f = { buf: new Uint8Array(0), size: 0, syncedSize: 0, generation: 0, writer: null };
      this.files.set(path, f);
    }
    if (f.writer) throw new StorageError('EBUSY', `${this.name}: ${path} is already open for appending`);
    const w = new SimAppendFile(this, path, f);
    f.writer = w;
    return w;
  }

  async read(path: string, offset = 0, length?: number): Promise<Uint8Array> {
    const f = this.existing(path);
    if (!Number.isSafeInteger(offset) || offset < 0) throw new StorageError('EINVAL', `bad offset ${offset}`);
    const end = length === undefined ? f.size : Math.min(f.size, offset + Math.max(0, length));
    return f.buf.slice(Math.min(offset, f.size), Math.max(end, Math.min(offset, f.size)));
  }

  async writeAtomic(path: string, data: Uint8Array): Promise<void> {
    this.ready(path);
    const old = this.files.get(path);
    const delta = data.length - (old?.size ?? 0);
    if (delta > 0 && this.used + delta > this.capacityBytes) {
      throw new StorageFullError(path, data.length, this.capacityBytes - this.used);
    }
    if (old?.writer) old.writer.invalidate();
    const copy = data.slice();
    this.used += delta;
    this.files.set(path, {
      buf: copy,
      size: copy.length,
      syncedSize: copy.length,
      generation: (old?.generation ?? 0) + 1,
      writer: null,
    });
  }

  async stat(path: string): Promise<FileInfo | null> {
    this.ready(path);
    const f = this.files.get(path);
    return f ? { path, size: f.size } : null;
  }

  async list(prefix = ''): Promise<FileInfo[]> {
    this.ready();
    return [...this.files.entries()]
      .filter(([p]) => p.startsWith(prefix))
      .map(([p, f]) => ({ path: p, size: f.size }))
      .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  async rename(from: string, to: string): Promise<void> {
    this.ready(to);
    const f = this.existing(from);
    if (from === to) return;
    if (f.writer) f.writer.invalidate();
    f.writer = null;
    const old = this.files.get(to);
    if (old) {
      old.writer?.invalidate();
      this.used -= old.size;
    }
    // A rename is a metadata operation: durable at once, but unsynced data stays at risk.
    this.files.delete(from);
    f.generation += 1;
    this.files.set(to, f);
  }

  async truncate(path: string, size: number): Promise<void> {
    const f = this.existing(path);
    if (!Number.isSafeInteger(size) || size < 0 || size > f.size) {
      throw new StorageError('EINVAL', `${path}: cannot truncate ${f.size} bytes to ${size}`);
    }
    this.used -= f.size - size;
    f.buf.fill(0, size, f.size);
    f.size = size;
    f.syncedSize = Math.min(f.syncedSize, size);
  }

  async remove(path: string): Promise<void> {
    const f = this.existing(path);
    f.writer?.invalidate();
    this.used -= f.size;
    this.files.delete(path);
  }

  async space(): Promise<SpaceInfo> {
    this.ready();
    return { totalBytes: this.capacityBytes, freeBytes: this.capacityBytes - this.used };
  }

  // ---- internals used by SimAppendFile ----

  /** @internal */
  appendTo(path: string, f: SimFile, data: Uint8Array): void {
    this.ready(path);
    if (this.used + data.length > this.capacityBytes) {
      throw new StorageFullError(path, data.length, this.capacityBytes - this.used);
    }
    if (data.length === 0) return;
    const need = f.size + data.length;
    if (need > f.buf.length) {
      const grown = new Uint8Array(Math.max(need, f.buf.length * 2, 256));
      grown.set(f.buf.subarray(0, f.size));
      f.buf = grown;
    }
    f.buf.set(data, f.size);
    f.size = need;
    this.used += data.length;
    this.stats.appends += 1;
    this.stats.bytesWritten += data.length;
  }

  /** @internal */
  syncFile(path: string, f: SimFile): void {
    this.ready(path);
    f.syncedSize = f.size;
    this.stats.syncs += 1;
  }

  /** @internal */
  isCurrent(path: string, f: SimFile): boolean {
    return this.files.get(path) === f;
  }

  private randomTear(unsynced: number): TearDecision {
    const r = this.random.next();
    if (r < 0.3) return { keep: 0 };
    if (r < 0.5) return { keep: unsynced };
    const keep = this.random.int(0, unsynced);
    const garbage = this.random.next() < 0.3 ? this.random.int(0, unsynced - keep) : 0;
    return { keep, garbage };
  }

  private ready(path?: string): void {
    this.assertOpen();
    if (!this.available) throw new StorageUnavailableError(this.name);
    if (path !== undefined && !isValidStoragePath(path)) throw new InvalidPathError(path, 'must be a relative path without . or .. segments');
  }

  private existing(path: string): SimFile {
    this.ready(path);
    const f = this.files.get(path);
    if (!f) throw new FileNotFoundError(path);
    return f;
  }
}

class SimAppendFile implements AppendFile {
  private valid = true;

  constructor(
    private readonly storage: SimStorage,
    readonly path: string,
    private readonly file: SimFile,
  ) {}

  get size(): number {
    return this.file.size;
  }

  get syncedSize(): number {
    return this.file.syncedSize;
  }

  invalidate(): void {
    this.valid = false;
  }

  async append(data: Uint8Array): Promise<void> {
    this.check();
    this.storage.appendTo(this.path, this.file, data);
  }

  async sync(): Promise<void> {
    this.check();
    this.storage.syncFile(this.path, this.file);
  }

  async close(): Promise<void> {
    if (this.valid && this.file.writer === this) this.file.writer = null;
    this.valid = false;
  }

  private check(): void {
    if (!this.valid || !this.storage.isCurrent(this.path, this.file)) {
      if (!this.storage.isAvailable) throw new StorageUnavailableError(this.storage.name);
      throw new StorageError('ESTALE', `${this.path}: file handle is no longer valid`);
    }
  }
}

function clampInt(v: number, lo: number, hi: number): number {
  return Math.max(lo, Math.min(hi, Math.floor(v)));
}
