/**
 * Runs the virtual clock just far enough for a promise to settle: event by event, letting
 * promise chains run between instants. For tests and benchmarks that call drivers which sleep
 * on the clock (power-on waits, conversion times) outside a running scenario.
 */
import type { VirtualClock } from './virtual-clock.ts';

export async function drive<T>(clock: VirtualClock, work: Promise<T>, maxMs = 3_600_000): Promise<T> {
  let settled = false;
  work.then(
    () => (settled = true),
    () => (settled = true),
  );
  const limit = clock.monotonic() + maxMs;
  await hop();
  while (!settled) {
    const due = clock.nextDue();
    if (due === undefined || due > limit) {
      await hop();
      if (settled) break;
      throw new Error(due === undefined ? 'drive: the promise waits for something that is not on the clock' : `drive: not settled within ${maxMs} ms of virtual time`);
    }
    await clock.runUntil(due);
  }
  return work;
}

function hop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
