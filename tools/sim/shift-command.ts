/** `dozor sim shift`: run a scenario, print the summary (or JSON), write the report and the storage. */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import cliProgress from 'cli-progress';
import type { ShiftCliOptions } from '../cli/sim.ts';
import { InputError } from '../cli/errors.ts';
import { resolveScenario } from './library.ts';
import { ShiftSimulation, type ShiftRecord } from './shift-runner.ts';
import { metrics, requirementVerdicts, type RequirementResult } from './verdicts.ts';
import { gatherEvidence } from './evidence.ts';
import { renderShiftReport } from '../report/shift-report.ts';
import { shiftReportData } from './report-data.ts';

export interface ShiftSummary {
  scenario: string;
  seed: number;
  device: string;
  serial: string;
  hours: number;
  simulatedSeconds: number;
  wallSeconds: number;
  coverage: number | null;
  segments: number;
  gaps: number;
  gapSeconds: number;
  pauses: number;
  dayNightSwitches: number;
  boots: number;
  powerCuts: number;
  alerts: Array<{ t: number; kind: string; severity: string; message: string }>;
  journal: { status: string; entries: number };
  requirements: Record<string, RequirementResult['verdict']>;
  failed: string[];
  replay: string;
}

export function replayCommand(o: { scenario: string; seed: number; hours: number; media?: string }): string {
  return `dozor sim shift --scenario ${o.scenario} --seed ${o.seed} --hours ${o.hours}${o.media && o.media !== 'synthetic' ? ` --media ${o.media}` : ''}`;
}

export function summarize(r: ShiftRecord, verdicts: RequirementResult[], hours: number, scenarioArg: string): ShiftSummary {
  const m = metrics(r);
  return {
    scenario: r.scenario.name,
    seed: r.seed,
    device: r.scenario.device,
    serial: r.serial,
    hours,
    simulatedSeconds: r.endSeconds,
    wallSeconds: Number(r.wallSeconds.toFixed(3)),
    coverage: r.coverage ? Number(r.coverage.coverage.toFixed(6)) : null,
    segments: m.segments,
    gaps: m.gaps,
    gapSeconds: m.gapSeconds,
    pauses: m.pauses,
    dayNightSwitches: m.dayNightSwitches,
    boots: m.boots,
    powerCuts: m.powerCuts,
    alerts: r.alerts.map((a) => ({ t: Number(a.t.toFixed(1)), kind: a.kind, severity: a.severity, message: a.message })),
    journal: { status: r.journal.verdict, entries: r.journal.records.length },
    requirements: Object.fromEntries(verdicts.map((v) => [v.id, v.verdict])),
    failed: verdicts.filter((v) => v.verdict === 'fail').map((v) => v.id),
    replay: replayCommand({ scenario: scenarioArg, seed: r.seed, hours }),
  };
}

function hm(s: number): string {
  const m = Math.round(s / 60);
  return `${Math.floor(m / 60)}:${String(m % 60).padStart(2, '0')}`;
}

function printSummary(s: ShiftSummary, verdicts: RequirementResult[], out: NodeJS.WritableStream): void {
  const lines = [
    `Shift: ${s.scenario} (${s.device} ${s.serial}), seed ${s.seed}, ${s.hours} h of duty`,
    `Simulated ${hm(s.simulatedSeconds)} in ${s.wallSeconds.toFixed(2)} s of wall time (${Math.round(s.simulatedSeconds / Math.max(s.wallSeconds, 1e-6)).toLocaleString('en-US')}× real time)`,
    `Coverage ${s.coverage === null ? '—' : s.coverage.toFixed(5)} · ${s.segments} segments · ${s.gaps} gap(s) · ${s.pauses} pause(s) · ${s.dayNightSwitches} day/night switch(es) · ${s.boots} boot(s), ${s.powerCuts} power loss(es)`,
    `Journal ${s.journal.status} (${s.journal.entries} entries) · ${s.alerts.length} alert(s)${s.alerts.length ? `: ${[...new Set(s.alerts.map((a) => a.kind))].join(', ')}` : ''}`,
    '',
    'Requirements:',
    ...verdicts.map((v) => `  ${v.verdict === 'pass' ? 'pass' : v.verdict === 'fail' ? 'FAIL' : 'n/a '}  ${v.id.padEnd(9)} ${v.detail}`),
  ];
  if (s.failed.length > 0) lines.push('', `${s.failed.length} requirement(s) failed: ${s.failed.join(', ')}`, `Replay exactly: ${s.replay}`);
  out.write(`${lines.join('\n')}\n`);
}

/** Writes the device's storage as a folder: internal storage at the root (journal/…), the card under card/. */
export async function writeStorage(dir: string, r: ShiftRecord): Promise<void> {
  const write = async (root: string, files: Map<string, Uint8Array>) => {
    for (const [p, bytes] of files) {
      const full = path.join(root, ...p.split('/'));
      await mkdir(path.dirname(full), { recursive: true });
      await writeFile(full, bytes);
    }
  };
  await mkdir(dir, { recursive: true });
  const { internal, card } = r.files();
  await write(dir, internal);
  await write(path.join(dir, 'card'), card);
}

export async function runShiftCommand(opts: ShiftCliOptions): Promise<number> {
  const scenario = await resolveScenario(opts.scenario);
  if (scenario.device === 'radar') throw new InputError(`scenario ${scenario.name} is a radar scenario: run it with \`dozor sim radar\``);
  const hours = opts.hours ?? scenario.hours;
  const tty = process.stderr.isTTY && !opts.json;
  const bar = tty ? new cliProgress.SingleBar({ format: 'simulating {bar} {percentage}% | {eta_formatted} left', hideCursor: true, clearOnComplete: true }, cliProgress.Presets.shades_classic) : null;
  bar?.start(100, 0);
  let record: ShiftRecord;
  try {
    record = await new ShiftSimulation({ scenario, seed: opts.seed, hours, media: opts.media, onProgress: (f) => bar?.update(Math.round(f * 100)) }).run();
  } finally {
    bar?.stop();
  }
  const verdicts = requirementVerdicts(record, await gatherEvidence(record));
  const summary = summarize(record, verdicts, hours, opts.scenario);
  if (opts.out) await writeStorage(opts.out, record);
  if (opts.report) {
    await mkdir(path.dirname(path.resolve(opts.report)), { recursive: true });
    await writeFile(opts.report, renderShiftReport(shiftReportData(record, verdicts, summary.replay)));
  }
  if (opts.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  else {
    printSummary(summary, verdicts, process.stdout);
    if (opts.report) process.stdout.write(`Report: ${opts.report}\n`);
    if (opts.out) process.stdout.write(`Storage: ${opts.out} (journal/ and card/; check it with \`dozor journal verify ${opts.out}\`)\n`);
  }
  if (summary.failed.length > 0 && opts.json) process.stderr.write(`${summary.failed.length} requirement(s) failed; replay exactly: ${summary.replay}\n`);
  return summary.failed.length > 0 ? 1 : 0;
}
