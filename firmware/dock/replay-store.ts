/**
 * Replay-guard state on the device's internal storage: one small JSON file replaced atomically
 * and durably (`writeAtomic`), so a power cut leaves either the old or the new high-water marks,
 * never a torn mix — the guarantee MAVLink gets from its two-slot scheme.
 */
import { FileNotFoundError, StorageError } from '../../hal/errors.ts';
import type { Storage } from '../../hal/storage.ts';
import type { ReplayStore } from './interfaces.ts';

export class StorageReplayStore implements ReplayStore {
  constructor(
    private readonly storage: Storage,
    private readonly path = 'security/replay-guard.json',
  ) {}

  async load(): Promise<Record<string, number>> {
    let bytes: Uint8Array;
    try {
      bytes = await this.storage.read(this.path);
    } catch (err) {
      if (err instanceof FileNotFoundError) return {};
      throw err;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(new TextDecoder().decode(bytes));
    } catch (err) {
      throw new StorageError('ECORRUPT', `${this.path}: replay guard state is not JSON`, { cause: err });
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new StorageError('ECORRUPT', `${this.path}: not a map`);
    const out: Record<string, number> = {};
    for (const [k, v] of Object.entries(parsed)) {
      if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new StorageError('ECORRUPT', `${this.path}: bad counter for ${k}`);
      out[k] = v;
    }
    return out;
  }

  async save(state: Record<string, number>): Promise<void> {
    await this.storage.writeAtomic(this.path, new TextEncoder().encode(JSON.stringify(state)));
  }
}
