/**
 * A `Storage` whose medium can come and go (the card in a slot): every call first asks `resolve`
 * for the storage to use now, which throws `StorageUnavailableError` while there is none. Used by
 * the simulated and the Linux card slot so both refuse the same way when the card is out.
 */
import { DeviceBase } from './device.ts';
import type { AppendFile, FileInfo, SpaceInfo, Storage } from './storage.ts';

/** Returns the medium's storage now, or throws (typically `StorageUnavailableError`). */
export type StorageResolver = () => Storage | Promise<Storage>;

export class SwitchedStorage extends DeviceBase implements Storage {
  constructor(
    name: string,
    private readonly resolve: StorageResolver,
  ) {
    super(name);
  }

  private async target(): Promise<Storage> {
    this.assertOpen();
    return this.resolve();
  }

  async openAppend(path: string): Promise<AppendFile> {
    return (await this.target()).openAppend(path);
  }
  async read(path: string, offset?: number, length?: number): Promise<Uint8Array> {
    return (await this.target()).read(path, offset, length);
  }
  async writeAtomic(path: string, data: Uint8Array): Promise<void> {
    return (await this.target()).writeAtomic(path, data);
  }
  async stat(path: string): Promise<FileInfo | null> {
    return (await this.target()).stat(path);
  }
  async list(prefix?: string): Promise<FileInfo[]> {
    return (await this.target()).list(prefix);
  }
  async rename(from: string, to: string): Promise<void> {
    return (await this.target()).rename(from, to);
  }
  async truncate(path: string, size: number): Promise<void> {
    return (await this.target()).truncate(path, size);
  }
  async remove(path: string): Promise<void> {
    return (await this.target()).remove(path);
  }
  async space(): Promise<SpaceInfo> {
    return (await this.target()).space();
  }
}
