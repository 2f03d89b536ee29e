/**
 * A `TransferSink` held in memory, hashing as it goes. Used by the conformance kit (which keeps
 * nothing) and by tests; the dock's evidence store has its own sink on disk.
 */
import { createHash, type Hash } from 'node:crypto';
import type { TransferSink } from './offload.ts';

export class MemorySink implements TransferSink {
  private parts: Uint8Array[] = [];
  private held = 0;
  private hash: Hash = createHash('sha256');
  /** How many times it was discarded (tests). */
  discards = 0;

  get length(): number {
    return this.held;
  }

  async append(data: Uint8Array): Promise<void> {
    this.parts.push(data);
    this.hash.update(data);
    this.held += data.length;
  }

  async finish(): Promise<{ sha256: Uint8Array; size: number }> {
    return { sha256: new Uint8Array(this.hash.copy().digest()), size: this.held };
  }

  async discard(): Promise<void> {
    this.parts = [];
    this.held = 0;
    this.hash = createHash('sha256');
    this.discards += 1;
  }

  /** Everything held, as one array. */
  bytes(): Uint8Array {
    return new Uint8Array(Buffer.concat(this.parts));
  }
}
