/** Shared shape of benchmark suites: each `bench/*.bench.ts` default-exports a `BenchSuite`. */
import { performance } from 'node:perf_hooks';

export interface BenchResult {
  metric: string;
  value: number;
  unit: string;
  /** Human-readable target, e.g. "≥ 1,000,000/s". */
  target?: string;
  /** Whether the target holds (undefined when there is no target). */
  ok?: boolean;
  note?: string;
}

export interface BenchSuite {
  /** Short id used on the command line and in BENCHMARKS.md markers. */
  id: string;
  title: string;
  /** Issue number the figures belong to. */
  issue: number;
  run(): Promise<BenchResult[]>;
}

/** Runs `fn` repeatedly for at least `minMs` and returns the best per-iteration time in ms over `rounds`. */
export async function bestOf(rounds: number, fn: () => Promise<void> | void): Promise<number> {
  let best = Infinity;
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    await fn();
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function fmt(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Math.abs(n) >= 1000) return Math.round(n).toLocaleString('en-US');
  if (Math.abs(n) >= 10) return n.toFixed(1);
  return n.toPrecision(3);
}
