/**
 * `dozor sim fleet`: the same scenario on N devices, each with its own seed, spread over worker
 * threads, summarised the way QA reads a fleet: the coverage distribution, alerts by kind,
 * failures by requirement with the seeds and the commands that replay them, and wall time.
 *
 * Workers run the TypeScript sources through tsx's API (registered inside each worker before
 * the worker module is imported), so a fleet needs no build step.
 */
import { Worker } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { availableParallelism } from 'node:os';
import type { Scenario } from './scenario.ts';
import type { ShiftOutcome } from './shift-job.ts';
import type { WorkerReply, WorkerRequest } from './fleet-worker.ts';
import { replayCommand } from './shift-command.ts';

export interface FleetOptions {
  scenario: Scenario;
  /** What the user typed for --scenario (for the replay commands). */
  scenarioArg: string;
  devices: number;
  hours: number;
  /** Device i runs with seed `seed + i`. */
  seed: number;
  workers?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface FleetSummary {
  scenario: string;
  device: string;
  devices: number;
  hours: number;
  seeds: [number, number];
  workers: number;
  coverage: { min: number | null; p1: number | null; median: number | null; mean: number | null; max: number | null; below999: number; noDuty: number };
  alerts: Record<string, { total: number; devices: number }>;
  requirements: Record<string, { pass: number; fail: number; 'n/a': number }>;
  failures: Record<string, { devices: number; seeds: number[]; example: string }>;
  failing: Array<{ seed: number; failed: string[]; replay: string }>;
  crashed: Array<{ seed: number; error: string; replay: string }>;
  wall: {
    totalSeconds: number;
    perShift: { mean: number; median: number; max: number };
    simulatedHours: number;
    /** Simulated time over wall time for the whole fleet. */
    speedup: number;
  };
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1];
}

/** The worker entry: registers tsx in the worker, then imports the TypeScript worker module. */
function workerSource(): string {
  const tsx = import.meta.resolve('tsx/esm/api');
  const entry = new URL('./fleet-worker.ts', import.meta.url).href;
  return `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); }).catch((e) => { require('node:worker_threads').parentPort.postMessage({ type: 'failed', seed: -1, error: String(e && e.stack || e) }); });`;
}

export async function runFleet(o: FleetOptions): Promise<{ summary: FleetSummary; outcomes: ShiftOutcome[] }> {
  const t0 = performance.now();
  const jobs = Array.from({ length: o.devices }, (_, i) => ({ scenario: o.scenario, seed: o.seed + i, hours: o.hours }));
  const nWorkers = Math.max(1, Math.min(o.workers ?? availableParallelism(), jobs.length));
  const outcomes: ShiftOutcome[] = [];
  const crashed: Array<{ seed: number; error: string }> = [];
  let next = 0;
  const source = workerSource();
  await Promise.all(
    Array.from(
      { length: nWorkers },
      () =>
        new Promise<void>((resolve, reject) => {
          const worker = new Worker(source, { eval: true });
          const send = (m: WorkerRequest) => worker.postMessage(m);
          const feed = () => {
            if (next < jobs.length) send({ type: 'job', job: jobs[next++] });
            else send({ type: 'stop' });
          };
          worker.on('message', (m: WorkerReply) => {
            if (m.type === 'ready') return feed();
            if (m.type === 'done') outcomes.push(m.outcome);
            else if (m.seed < 0) return reject(new Error(`fleet worker failed to start: ${m.error}`));
            else crashed.push({ seed: m.seed, error: m.error });
            o.onProgress?.(outcomes.length + crashed.length, jobs.length);
            feed();
          });
          worker.on('error', reject);
          worker.on('exit', () => resolve());
        }),
    ),
  );
  outcomes.sort((a, b) => a.seed - b.seed);
  crashed.sort((a, b) => a.seed - b.seed);
  return { summary: summarizeFleet(o, outcomes, crashed, nWorkers, (performance.now() - t0) / 1000), outcomes };
}

export function summarizeFleet(o: FleetOptions, outcomes: readonly ShiftOutcome[], crashed: ReadonlyArray<{ seed: number; error: string }>, workers: number, totalSeconds: number): FleetSummary {
  const replay = (seed: number) => replayCommand({ scenario: o.scenarioArg, seed, hours: o.hours });
  const cov = outcomes
    .map((x) => x.coverage)
    .filter((c): c is number => c !== null)
    .sort((a, b) => a - b);
  const round = (x: number | null) => (x === null ? null : Number(x.toFixed(6)));
  const alerts: FleetSummary['alerts'] = {};
  const requirements: FleetSummary['requirements'] = {};
  const failures: FleetSummary['failures'] = {};
  for (const x of outcomes) {
    for (const [kind, n] of Object.entries(x.alerts)) {
      alerts[kind] ??= { total: 0, devices: 0 };
      alerts[kind].total += n;
      alerts[kind].devices += 1;
    }
    for (const [id, v] of Object.entries(x.requirements)) {
      requirements[id] ??= { pass: 0, fail: 0, 'n/a': 0 };
      requirements[id][v] += 1;
    }
    for (const id of x.failed) {
      failures[id] ??= { devices: 0, seeds: [], example: x.failures[id] ?? '' };
      failures[id].devices += 1;
      failures[id].seeds.push(x.seed);
    }
  }
  const walls = outcomes.map((x) => x.wallSeconds).sort((a, b) => a - b);
  const simulated = outcomes.reduce((n, x) => n + x.simulatedSeconds, 0);
  return {
    scenario: o.scenario.name,
    device: o.scenario.device,
    devices: o.devices,
    hours: o.hours,
    seeds: [o.seed, o.seed + o.devices - 1],
    workers,
    coverage: {
      min: round(cov[0] ?? null),
      p1: round(percentile(cov, 1)),
      median: round(percentile(cov, 50)),
      mean: round(cov.length ? cov.reduce((a, b) => a + b, 0) / cov.length : null),
      max: round(cov[cov.length - 1] ?? null),
      below999: cov.filter((c) => c < 0.999).length,
      noDuty: outcomes.length - cov.length,
    },
    alerts: Object.fromEntries(Object.entries(alerts).sort(([a], [b]) => (a < b ? -1 : 1))),
    requirements: Object.fromEntries(Object.entries(requirements).sort(([a], [b]) => (a < b ? -1 : 1))),
    failures,
    failing: outcomes.filter((x) => x.failed.length > 0).map((x) => ({ seed: x.seed, failed: x.failed, replay: replay(x.seed) })),
    crashed: crashed.map((c) => ({ ...c, replay: replay(c.seed) })),
    wall: {
      totalSeconds: Number(totalSeconds.toFixed(3)),
      perShift: {
        mean: Number((walls.reduce((a, b) => a + b, 0) / Math.max(1, walls.length)).toFixed(3)),
        median: Number((percentile(walls, 50) ?? 0).toFixed(3)),
        max: Number((walls[walls.length - 1] ?? 0).toFixed(3)),
      },
      simulatedHours: Number((simulated / 3600).toFixed(2)),
      speedup: Math.round(simulated / Math.max(totalSeconds, 1e-6)),
    },
  };
}

export function formatFleetSummary(s: FleetSummary): string {
  const pct = (x: number | null) => (x === null ? '—' : x.toFixed(5));
  const lines = [
    `Fleet: ${s.devices} × ${s.scenario} (${s.device}), ${s.hours} h each, seeds ${s.seeds[0]}–${s.seeds[1]}, ${s.workers} worker thread(s)`,
    `Wall ${s.wall.totalSeconds.toFixed(2)} s for ${s.wall.simulatedHours} simulated hours (${s.wall.speedup.toLocaleString('en-US')}× real time); per shift mean ${s.wall.perShift.mean.toFixed(2)} s, median ${s.wall.perShift.median.toFixed(2)} s, max ${s.wall.perShift.max.toFixed(2)} s`,
    `Coverage: min ${pct(s.coverage.min)} · p1 ${pct(s.coverage.p1)} · median ${pct(s.coverage.median)} · max ${pct(s.coverage.max)}; ${s.coverage.below999} device(s) under 0.999${s.coverage.noDuty ? `, ${s.coverage.noDuty} without a duty` : ''}`,
    `Alerts: ${Object.entries(s.alerts)
      .map(([k, v]) => `${k} ${v.total} (${v.devices} device(s))`)
      .join(', ') || 'none'}`,
  ];
  const failed = Object.entries(s.failures);
  if (failed.length === 0 && s.crashed.length === 0) lines.push('Failures: none — every device passed every requirement it could show');
  else {
    lines.push('Failures by requirement:');
    for (const [id, f] of failed) lines.push(`  ${id.padEnd(9)} ${f.devices} device(s), seeds ${f.seeds.slice(0, 10).join(', ')}${f.seeds.length > 10 ? ', …' : ''} — e.g. ${f.example}`);
    lines.push('Replay:');
    for (const x of s.failing.slice(0, 10)) lines.push(`  ${x.replay}    # ${x.failed.join(', ')}`);
    if (s.failing.length > 10) lines.push(`  … and ${s.failing.length - 10} more (see --json)`);
    for (const c of s.crashed) lines.push(`  CRASHED seed ${c.seed}: ${c.error.split('\n')[0]} — ${c.replay}`);
  }
  return `${lines.join('\n')}\n`;
}
