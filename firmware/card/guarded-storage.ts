/**
 * The card storage the recorder gets (`EvidenceVolume.storage`): the slot's storage behind the
 * card guard's rules, so a mistake anywhere above cannot break R-CARD-3 or R-REC-6:
 * - nothing is written while the card is not 'ready' (absent, refused, still being checked);
 * - nothing is ever removed here: `remove` always throws `DeletionRefusedError` (the evidence
 *   store is the only deletion path, and it needs a server receipt);
 * - indexed evidence and the device's own files (`dozor/`) are never overwritten, appended to,
 *   truncated or renamed, and a rename never replaces an existing file.
 * Reads pass straight through.
 */
import { DeviceBase } from '../../hal/device.ts';
import { DeletionRefusedError, InvalidPathError, StorageUnavailableError } from '../../hal/errors.ts';
import type { AppendFile, FileInfo, SpaceInfo, Storage } from '../../hal/storage.ts';
import { CARD_RESERVED_PREFIX } from '../../protocol/card-token.ts';
import type { CardReadiness } from './evidence-volume.ts';

export interface CardWritePolicy {
  readiness(): CardReadiness;
  /** True for indexed evidence (and, conservatively, everything while no index is loaded). */
  isProtected(path: string): boolean;
}

export class GuardedCardStorage extends DeviceBase implements Storage {
  constructor(
    name: string,
    private readonly card: Storage,
    private readonly policy: CardWritePolicy,
  ) {
    super(name);
  }

  async openAppend(path: string): Promise<AppendFile> {
    this.writable(path);
    if (this.policy.isProtected(path)) throw new DeletionRefusedError(path, 'indexed evidence is never changed');
    return this.card.openAppend(path);
  }

  async read(path: string, offset?: number, length?: number): Promise<Uint8Array> {
    this.assertOpen();
    return this.card.read(path, offset, length);
  }

  async writeAtomic(path: string, data: Uint8Array): Promise<void> {
    this.writable(path);
    if (this.policy.isProtected(path)) throw new DeletionRefusedError(path, 'would replace indexed evidence');
    return this.card.writeAtomic(path, data);
  }

  async stat(path: string): Promise<FileInfo | null> {
    this.assertOpen();
    return this.card.stat(path);
  }

  async list(prefix?: string): Promise<FileInfo[]> {
    this.assertOpen();
    return this.card.list(prefix);
  }

  async rename(from: string, to: string): Promise<void> {
    this.writable(from);
    this.writable(to);
    if (this.policy.isProtected(from)) throw new DeletionRefusedError(from, 'indexed evidence is never renamed');
    if (this.policy.isProtected(to) || (await this.card.stat(to))) throw new DeletionRefusedError(to, 'a rename may not replace an existing file');
    return this.card.rename(from, to);
  }

  async truncate(path: string, size: number): Promise<void> {
    this.writable(path);
    if (this.policy.isProtected(path)) throw new DeletionRefusedError(path, 'indexed evidence is never truncated');
    return this.card.truncate(path, size);
  }

  async remove(path: string): Promise<void> {
    this.assertOpen();
    throw new DeletionRefusedError(path, 'evidence is removed only by the evidence store, against a server receipt for its exact hash (R-REC-6)');
  }

  async space(): Promise<SpaceInfo> {
    this.assertOpen();
    return this.card.space();
  }

  private writable(path: string): void {
    this.assertOpen();
    const r = this.policy.readiness();
    if (r !== 'ready') throw new StorageUnavailableError(this.name, `card is ${r}: nothing is written to it`);
    if (path.startsWith(CARD_RESERVED_PREFIX)) throw new InvalidPathError(path, "reserved for the device's registration token and evidence index");
  }
}
