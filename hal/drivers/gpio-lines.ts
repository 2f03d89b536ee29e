/**
 * Shared plumbing for GPIO-level drivers: option checks for line numbers, and claiming a set of
 * lines all-or-nothing (a driver that fails on its third line releases the first two, so a bad
 * board configuration never leaves lines claimed).
 */
import { InvalidOptionsError } from '../errors.ts';
import type { Device } from '../device.ts';

/** Throws `InvalidOptionsError` unless `value` is an options object. */
export function assertOptionsObject(value: unknown, what: string): asserts value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidOptionsError(`${what}: options object required`);
  }
}

export function optionalBoolean(value: unknown, what: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new InvalidOptionsError(`${what} must be a boolean, got ${JSON.stringify(value)}`);
  return value;
}

/** A GPIO line number (BCM numbering on a Pi; the backend maps it to the kernel's). */
export function lineNumber(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 1023) {
    throw new InvalidOptionsError(`${what} must be a GPIO line number (integer 0..1023), got ${JSON.stringify(value)}`);
  }
  return value;
}

/** Throws when two roles share a line: a wiring mistake that would make one of them lie. */
export function assertDistinctLines(lines: Record<string, number>, driver: string): void {
  const seen = new Map<number, string>();
  for (const [role, line] of Object.entries(lines)) {
    const other = seen.get(line);
    if (other !== undefined) throw new InvalidOptionsError(`${driver}: ${other} and ${role} are both on line ${line}`);
    seen.set(line, role);
  }
}

/**
 * Runs the claims in order; if one fails, closes those already made and rethrows, so the
 * controller is left as it was.
 */
export async function claimAll<T extends Device>(claims: ReadonlyArray<() => Promise<T>>): Promise<T[]> {
  const got: T[] = [];
  try {
    for (const claim of claims) got.push(await claim());
    return got;
  } catch (err) {
    await Promise.allSettled(got.map((d) => d.close()));
    throw err;
  }
}
