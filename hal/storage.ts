/**
 * Storage: a flat namespace of files addressed by relative POSIX paths ("journal/0001.log",
 * "video/000042.h264"), with explicit durability.
 *
 * Power-loss semantics (what every implementation guarantees, and all the firmware may rely on):
 * - Bytes given to `append` are durable only once a later `sync()` of that file has resolved.
 *   After a power cut, the unsynced tail of a file may be lost entirely, kept in part (a torn
 *   write: any prefix survives), and the file may even end in garbage bytes up to the length it
 *   had before the cut (file size can reach the disk before the data; SQLite's assumption).
 *   Synced bytes are never changed by a power cut.
 * - Metadata operations (`create`, `rename`, `remove`, `truncate`) are atomic and durable when
 *   their promise resolves (the Linux backend fsyncs the directory).
 * - `rename` replaces the target atomically.
 */
import type { Device } from './device.ts';

export interface FileInfo {
  path: string;
  size: number;
}

export interface SpaceInfo {
  totalBytes: number;
  freeBytes: number;
}

export interface AppendFile {
  readonly path: string;
  /** Current length including unsynced bytes. */
  readonly size: number;
  /** Length known to be durable. */
  readonly syncedSize: number;
  /** Appends bytes; rejects with `StorageFullError` when the volume is full (nothing is written then). */
  append(data: Uint8Array): Promise<void>;
  /** Makes every appended byte durable. */
  sync(): Promise<void>;
  /** Syncs nothing by itself: unsynced bytes remain at risk until `sync()`. */
  close(): Promise<void>;
}

export interface Storage extends Device {
  /** Opens a file for appending, creating it (durably, empty) when missing. One writer per path. */
  openAppend(path: string): Promise<AppendFile>;
  /** Reads `length` bytes from `offset` (default: to the end). Rejects with `FileNotFoundError`. */
  read(path: string, offset?: number, length?: number): Promise<Uint8Array>;
  /** Writes a whole small file atomically and durably (write to a temp name, sync, rename). */
  writeAtomic(path: string, data: Uint8Array): Promise<void>;
  stat(path: string): Promise<FileInfo | null>;
  /** Files whose path starts with `prefix` (default all), sorted by path. */
  list(prefix?: string): Promise<FileInfo[]>;
  rename(from: string, to: string): Promise<void>;
  /** Cuts a file to `size` bytes (used to drop a torn tail). */
  truncate(path: string, size: number): Promise<void>;
  /**
   * Removes a file. Evidence is never removed through this call directly: the firmware's evidence
   * store guards it (R-REC-6, R-CARD-4).
   */
  remove(path: string): Promise<void>;
  space(): Promise<SpaceInfo>;
}

/** Validates a storage path: relative, '/'-separated, no empty, '.' or '..' segments. */
export function isValidStoragePath(path: string): boolean {
  const n = path.length;
  if (n === 0 || n > 512) return false;
  // One pass without allocating: every storage operation checks its path (hot in the simulator).
  let segStart = 0;
  for (let i = 0; i <= n; i++) {
    const c = i < n ? path.charCodeAt(i) : 47;
    if (c === 0) return false;
    if (c !== 47) continue;
    const len = i - segStart;
    if (len === 0) return false;
    if (path.charCodeAt(segStart) === 46 && (len === 1 || (len === 2 && path.charCodeAt(segStart + 1) === 46))) return false;
    segStart = i + 1;
  }
  return true;
}
