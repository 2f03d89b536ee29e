/**
 * Small state files on the device's internal storage (shift state, replay guard, alert queue,
 * clock verification): JSON written with `writeAtomic`, so a power cut leaves either the old or
 * the new version, never a torn one. A file that does not parse or fails its schema is reported
 * and replaced by the default: bad input never stops the device from booting.
 */
import type { z } from 'zod';
import type { Storage } from '../../hal/storage.ts';
import { FileNotFoundError } from '../../hal/errors.ts';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export interface LoadResult<T> {
  value: T;
  /** Why the stored file was not used, when it existed but was unusable. */
  problem: string | null;
}

export async function loadJson<S extends z.ZodType>(storage: Storage, path: string, schema: S, fallback: z.infer<S>): Promise<LoadResult<z.infer<S>>> {
  let bytes: Uint8Array;
  try {
    bytes = await storage.read(path);
  } catch (err) {
    if (err instanceof FileNotFoundError) return { value: fallback, problem: null };
    throw err;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(decoder.decode(bytes));
  } catch {
    return { value: fallback, problem: `${path} is not JSON` };
  }
  const r = schema.safeParse(parsed);
  if (!r.success) return { value: fallback, problem: `${path} does not match its schema` };
  return { value: r.data, problem: null };
}

export async function saveJson(storage: Storage, path: string, value: unknown): Promise<void> {
  await storage.writeAtomic(path, encoder.encode(JSON.stringify(value)));
}

/**
 * Serialises async work: each task starts after the previous one settled, and a failure does
 * not poison later tasks. Used so state writes land in the order they were made.
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const p = this.tail.then(task, task);
    this.tail = p.catch(() => undefined);
    return p;
  }

  /** Resolves when everything queued so far has settled. */
  idle(): Promise<void> {
    return this.tail.then(() => undefined);
  }
}
