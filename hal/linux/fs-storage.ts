/**
 * Storage on a real filesystem (the device's internal eMMC/SD partition or the mounted evidence
 * card). Durability follows hal/storage.ts: `sync()` is fdatasync; metadata changes fsync the
 * parent directory so a new or renamed file survives a power cut (ALICE/OSDI'14 rules).
 */
import { constants, promises as fsp, type Dirent } from 'node:fs';
import path from 'node:path';
import { DeviceBase } from '../device.ts';
import {
  FileNotFoundError,
  InvalidOptionsError,
  InvalidPathError,
  StorageError,
  StorageFullError,
  StorageUnavailableError,
} from '../errors.ts';
import { isValidStoragePath, type AppendFile, type FileInfo, type SpaceInfo, type Storage } from '../storage.ts';

export interface FsStorageOptions {
  name: string;
  /** Folder that holds the files; must exist. */
  root: string;
}

export class FsStorage extends DeviceBase implements Storage {
  readonly root: string;
  private readonly writers = new Set<string>();

  constructor(options: FsStorageOptions) {
    super(options.name);
    if (typeof options.root !== 'string' || options.root.length === 0) throw new InvalidOptionsError(`${options.name}: root folder required`);
    this.root = path.resolve(options.root);
  }

  async openAppend(p: string): Promise<AppendFile> {
    const full = this.resolve(p);
    if (this.writers.has(p)) throw new StorageError('EBUSY', `${this.name}: ${p} is already open for appending`);
    await this.ensureDir(path.dirname(full));
    let created = false;
    let handle: fsp.FileHandle;
    try {
      handle = await fsp.open(full, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_EXCL, 0o644);
      created = true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw this.mapError(err, p);
      handle = await fsp.open(full, constants.O_WRONLY | constants.O_APPEND).catch((e) => {
        throw this.mapError(e, p);
      });
    }
    if (created) await this.syncDir(path.dirname(full));
    const size = (await handle.stat()).size;
    this.writers.add(p);
    return new FsAppendFile(this, p, handle, size, () => this.writers.delete(p));
  }

  async read(p: string, offset = 0, length?: number): Promise<Uint8Array> {
    const full = this.resolve(p);
    if (!Number.isSafeInteger(offset) || offset < 0) throw new StorageError('EINVAL', `bad offset ${offset}`);
    let handle: fsp.FileHandle;
    try {
      handle = await fsp.open(full, 'r');
    } catch (err) {
      throw this.mapError(err, p);
    }
    try {
      const size = (await handle.stat()).size;
      const start = Math.min(offset, size);
      const end = length === undefined ? size : Math.min(size, start + Math.max(0, length));
      const buf = Buffer.alloc(end - start);
      let pos = 0;
      while (pos < buf.length) {
        const { bytesRead } = await handle.read(buf, pos, buf.length - pos, start + pos);
        if (bytesRead === 0) break;
        pos += bytesRead;
      }
      return new Uint8Array(buf.buffer, buf.byteOffset, pos);
    } finally {
      await handle.close();
    }
  }

  async writeAtomic(p: string, data: Uint8Array): Promise<void> {
    const full = this.resolve(p);
    const dir = path.dirname(full);
    await this.ensureDir(dir);
    const tmp = `${full}.tmp-${process.pid}`;
    try {
      const h = await fsp.open(tmp, 'w', 0o644);
      try {
        await h.writeFile(data);
        await h.datasync();
      } finally {
        await h.close();
      }
      await fsp.rename(tmp, full);
      await this.syncDir(dir);
    } catch (err) {
      await fsp.rm(tmp, { force: true });
      throw this.mapError(err, p);
    }
  }

  async stat(p: string): Promise<FileInfo | null> {
    const full = this.resolve(p);
    try {
      const st = await fsp.stat(full);
      return st.isFile() ? { path: p, size: st.size } : null;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw this.mapError(err, p);
    }
  }

  async list(prefix = ''): Promise<FileInfo[]> {
    this.ready();
    const out: FileInfo[] = [];
    const walk = async (dir: string, rel: string) => {
      let entries: Dirent[];
      try {
        entries = await fsp.readdir(dir, { withFileTypes: true });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw this.mapError(err, rel || '.');
      }
      for (const e of entries) {
        const r = rel ? `${rel}/${e.name}` : e.name;
        if (e.isDirectory()) await walk(path.join(dir, e.name), r);
        else if (e.isFile() && !e.name.includes('.tmp-') && r.startsWith(prefix)) {
          out.push({ path: r, size: (await fsp.stat(path.join(dir, e.name))).size });
        }
      }
    };
    await walk(this.root, '');
    return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  async rename(from: string, to: string): Promise<void> {
    const src = this.resolve(from);
    const dst = this.resolve(to);
    await this.ensureDir(path.dirname(dst));
    try {
      await fsp.rename(src, dst);
    } catch (err) {
      throw this.mapError(err, from);
    }
    await this.syncDir(path.dirname(dst));
    if (path.dirname(src) !== path.dirname(dst)) await this.syncDir(path.dirname(src));
  }

  async truncate(p: string, size: number): Promise<void> {
    const full = this.resolve(p);
    const st = await this.stat(p);
    if (!st) throw new FileNotFoundError(p);
    if (!Number.isSafeInteger(size) || size < 0 || size > st.size) {
      throw new StorageError('EINVAL', `${p}: cannot truncate ${st.size} bytes to ${size}`);
    }
    const h = await fsp.open(full, 'r+');
    try {
      await h.truncate(size);
      await h.sync();
    } finally {
      await h.close();
    }
  }

  async remove(p: string): Promise<void> {
    const full = this.resolve(p);
    try {
      await fsp.unlink(full);
    } catch (err) {
      throw this.mapError(err, p);
    }
    await this.syncDir(path.dirname(full));
  }

  async space(): Promise<SpaceInfo> {
    this.ready();
    try {
      const st = await fsp.statfs(this.root);
      return { totalBytes: st.blocks * st.bsize, freeBytes: st.bavail * st.bsize };
    } catch (err) {
      throw this.mapError(err, '.');
    }
  }

  /** @internal */
  mapError(err: unknown, p: string): Error {
    const code = (err as NodeJS.ErrnoException)?.code;
    if (code === 'ENOENT') return new FileNotFoundError(p);
    if (code === 'ENOSPC') return new StorageFullError(p, 0, 0);
    if (code === 'EIO' || code === 'ENODEV' || code === 'ENXIO') return new StorageUnavailableError(this.name, String((err as Error).message));
    if (err instanceof StorageError) return err;
    return new StorageError(code ?? 'EIO', `${this.name}: ${p}: ${(err as Error)?.message ?? String(err)}`);
  }

  private ready(): void {
    this.assertOpen();
  }

  private resolve(p: string): string {
    this.ready();
    if (!isValidStoragePath(p)) throw new InvalidPathError(p, 'must be a relative path without . or .. segments');
    return path.join(this.root, ...p.split('/'));
  }

  private async ensureDir(dir: string): Promise<void> {
    if (dir === this.root) return;
    try {
      await fsp.access(dir);
    } catch {
      await this.ensureDir(path.dirname(dir));
      await fsp.mkdir(dir).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== 'EEXIST') throw this.mapError(e, path.relative(this.root, dir));
      });
      await this.syncDir(path.dirname(dir));
    }
  }

  private async syncDir(dir: string): Promise<void> {
    const h = await fsp.open(dir, 'r');
    try {
      await h.sync();
    } finally {
      await h.close();
    }
  }
}

class FsAppendFile implements AppendFile {
  private closed = false;
  private synced: number;

  constructor(
    private readonly storage: FsStorage,
    readonly path: string,
    private readonly handle: fsp.FileHandle,
    private length: number,
    private readonly release: () => void,
  ) {
    this.synced = length;
  }

  get size(): number {
    return this.length;
  }

  get syncedSize(): number {
    return this.synced;
  }

  async append(data: Uint8Array): Promise<void> {
    this.check();
    let pos = 0;
    try {
      while (pos < data.length) {
        const { bytesWritten } = await this.handle.write(data, pos, data.length - pos);
        pos += bytesWritten;
      }
    } catch (err) {
      // A partial append is cut back so the file never ends in half a write we reported as failed.
      if (pos > 0) await this.handle.truncate(this.length).catch(() => undefined);
      throw this.storage.mapError(err, this.path);
    }
    this.length += data.length;
  }

  async sync(): Promise<void> {
    this.check();
    try {
      await this.handle.datasync();
    } catch (err) {
      throw this.storage.mapError(err, this.path);
    }
    this.synced = this.length;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.release();
    await this.handle.close();
  }

  private check(): void {
    if (this.closed) throw new StorageError('ESTALE', `${this.path}: file handle is closed`);
  }
}
