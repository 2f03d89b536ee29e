/**
 * One simulated shift reduced to what a fleet summary needs: coverage, alerts by kind, the
 * verdict per requirement, wall time. Runs in a fleet worker (or in-process); the result is
 * plain data, so it crosses a worker boundary as is.
 */
import { performance } from 'node:perf_hooks';
import type { Scenario } from './scenario.ts';
import { ShiftSimulation } from './shift-runner.ts';
import { gatherEvidence } from './evidence.ts';
import { requirementVerdicts, type Verdict } from './verdicts.ts';

export interface ShiftJob {
  scenario: Scenario;
  seed: number;
  hours: number;
}

export interface ShiftOutcome {
  seed: number;
  serial: string;
  /** Worst camera's coverage over the duty (null: no duty started). */
  coverage: number | null;
  gaps: number;
  alerts: Record<string, number>;
  requirements: Record<string, Verdict>;
  failed: string[];
  /** Why each failed requirement failed (first line of its evidence). */
  failures: Record<string, string>;
  journal: string;
  simulatedSeconds: number;
  /** The simulation alone, and simulation + evidence + verdicts. */
  simSeconds: number;
  wallSeconds: number;
}

export async function runShiftJob(job: ShiftJob): Promise<ShiftOutcome> {
  const t0 = performance.now();
  const r = await new ShiftSimulation({ scenario: job.scenario, seed: job.seed, hours: job.hours }).run();
  const verdicts = requirementVerdicts(r, await gatherEvidence(r));
  const alerts: Record<string, number> = {};
  for (const a of r.alerts) alerts[a.kind] = (alerts[a.kind] ?? 0) + 1;
  const failed = verdicts.filter((v) => v.verdict === 'fail');
  return {
    seed: job.seed,
    serial: r.serial,
    coverage: r.coverage ? r.coverage.coverage : null,
    gaps: r.coverage?.gaps.length ?? 0,
    alerts,
    requirements: Object.fromEntries(verdicts.map((v) => [v.id, v.verdict])),
    failed: failed.map((v) => v.id),
    failures: Object.fromEntries(failed.map((v) => [v.id, v.detail.slice(0, 300)])),
    journal: r.journal.verdict,
    simulatedSeconds: r.endSeconds,
    simSeconds: r.wallSeconds,
    wallSeconds: (performance.now() - t0) / 1000,
  };
}
