/**
 * The seal's persisted state (R-CARD-2). The switch only says whether the cover is closed now;
 * whether the slot is *sealed* is the device's memory: set by an authorised reseal, lost the
 * moment the cover opens, and kept across reboots so an opening is never forgotten.
 */
import { z } from 'zod';
import type { Storage } from '../../hal/storage.ts';
import { FileNotFoundError } from '../../hal/errors.ts';
import { CardStateCorruptError } from './errors.ts';

const authorizer = z.object({ name: z.string().min(1), keyId: z.string().min(1), counter: z.number().int().nonnegative() });

const schema = z.object({
  v: z.literal(1),
  /** An authorised reseal is in force and the cover has not opened since. */
  intact: z.boolean(),
  /** Device wall time of the first opening since the last reseal (null while intact or never sealed). */
  brokenAt: z.number().finite().nullable(),
  /** How many times the cover opened since the last reseal. */
  openings: z.number().int().nonnegative(),
  resealedAt: z.number().finite().nullable(),
  resealedBy: authorizer.nullable(),
});

export type PersistedSeal = z.infer<typeof schema>;

export const NEVER_SEALED: PersistedSeal = { v: 1, intact: false, brokenAt: null, openings: 0, resealedAt: null, resealedBy: null };

export async function loadSeal(storage: Storage, path: string): Promise<PersistedSeal> {
  let raw: Uint8Array;
  try {
    raw = await storage.read(path);
  } catch (err) {
    if (err instanceof FileNotFoundError) return NEVER_SEALED;
    throw err;
  }
  try {
    return schema.parse(JSON.parse(new TextDecoder().decode(raw)));
  } catch (err) {
    throw new CardStateCorruptError(path, `seal state unreadable: ${(err as Error).message.slice(0, 200)}`);
  }
}

export async function saveSeal(storage: Storage, path: string, seal: PersistedSeal): Promise<void> {
  await storage.writeAtomic(path, new TextEncoder().encode(JSON.stringify(schema.parse(seal))));
}
