/**
 * Randomness is injected like time: the firmware asks a `Random`, the simulator hands it a
 * seeded one so the same seed gives the same shift, a real board hands it the OS CSPRNG.
 */
import { randomBytes, randomInt } from 'node:crypto';

export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [min, max] (inclusive). */
  int(min: number, max: number): number;
  /** `n` random bytes. */
  bytes(n: number): Uint8Array;
}

export class CryptoRandom implements Random {
  next(): number {
    return randomInt(0, 2 ** 48) / 2 ** 48;
  }
  int(min: number, max: number): number {
    return randomInt(min, max + 1);
  }
  bytes(n: number): Uint8Array {
    return new Uint8Array(randomBytes(n));
  }
}
