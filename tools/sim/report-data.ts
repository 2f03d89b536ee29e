/** Turns a shift record into the report's plot data (times in seconds since duty start, or scenario start). */
import type { ShiftRecord } from './shift-runner.ts';
import type { RequirementResult } from './verdicts.ts';
import type { ShiftReportData } from '../report/shift-report.ts';

const SKIP = new Set(['segment-closed', 'shift-state', 'time-drift']);

function describe(type: string, data: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(data)) {
    if (v === undefined || v === null || k === 'authorization') continue;
    if (typeof v === 'object') {
      const name = (v as { name?: unknown }).name;
      parts.push(`${k}: ${typeof name === 'string' ? name : JSON.stringify(v)}`);
    } else parts.push(`${k}: ${typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(2) : String(v)}`);
  }
  return parts.join(', ') || type;
}

/** Runs of consecutive samples with `on`, as intervals. */
function intervals(points: ReadonlyArray<{ t: number; on: boolean }>): Array<{ start: number; end: number }> {
  const out: Array<{ start: number; end: number }> = [];
  for (let i = 0; i < points.length; i++) {
    if (!points[i].on) continue;
    const last = out[out.length - 1];
    const end = points[i + 1]?.t ?? points[i].t;
    if (last && last.end >= points[i].t) last.end = end;
    else out.push({ start: points[i].t, end });
  }
  return out;
}

export function shiftReportData(r: ShiftRecord, verdicts: RequirementResult[], replay: string): ShiftReportData {
  const span = r.endSeconds;
  const modes: Array<{ start: number; end: number; mode: 'day' | 'night' }> = [];
  for (const s of r.samples) {
    if (!s.mode) continue;
    const last = modes[modes.length - 1];
    if (last && last.mode === s.mode) last.end = s.t;
    else modes.push({ start: s.t, end: s.t, mode: s.mode });
  }
  for (let i = 0; i + 1 < modes.length; i++) modes[i].end = modes[i + 1].start;
  const c = r.coverage;
  return {
    title: `${r.scenario.device === 'vehicle' ? 'Vehicle recorder' : 'Body camera'} shift: ${r.scenario.name}`,
    scenario: r.scenario.name,
    seed: r.seed,
    device: `${r.scenario.device} ${r.serial}`,
    startIso: new Date(r.startEpochMs + (r.dutyStart ?? 0) * 1000).toISOString(),
    spanSeconds: span,
    summary: [
      ['scenario', `${r.scenario.name}: ${r.scenario.description}`],
      ['duty', r.dutyStart !== null ? `${(r.dutyStart / 3600).toFixed(2)} h → ${r.dutyEnd !== null ? (r.dutyEnd / 3600).toFixed(2) : 'end'} h after start` : 'never started'],
      ['coverage (segments + authorised pauses)', c ? `${c.coverage.toFixed(5)}` : '—'],
      ['recorded / paused / gaps', c ? `${(c.recordedMs / 3.6e6).toFixed(3)} h / ${(c.pausedMs / 3.6e6).toFixed(3)} h / ${c.gaps.length} (${(c.gapMs / 1000).toFixed(1)} s)` : '—'],
      ['segments', Object.keys(r.coverageByCamera).map((cam) => `${cam}: ${r.segments.filter((s) => s.camera === cam).length}`).join(', ') || '0'],
      ['journal', `${r.journal.verdict}, ${r.journal.records.length} entries`],
      ['boots / power losses', `${r.boots.length} / ${r.powerCuts.length}`],
      ['simulated in', `${r.wallSeconds.toFixed(2)} s of wall time`],
    ],
    replayCommand: replay,
    requirements: verdicts,
    battery: r.samples.map((s) => ({ t: s.t, soc: s.soc, active: s.active === 0 || s.active === 1 ? s.active : null })),
    light: r.samples.map((s) => ({ t: s.t, lux: s.lux })),
    modes,
    climate: r.samples.map((s) => ({ t: s.t, airC: s.airC, dewPointC: s.dewPointC, lensC: s.lensC })),
    segments: r.segments.map((s) => ({ start: s.start, end: s.end, index: s.index, camera: s.camera })),
    pauses: r.pauses,
    gaps: (c?.gaps ?? []).map(([a, b]) => ({ start: a / 1000, end: b / 1000 })),
    alerts: r.alerts,
    events: [
      ...r.journal.records.filter((e) => !SKIP.has(e.type)).map((e) => ({ t: e.t, type: e.type, text: describe(e.type, e.data) })),
      ...r.actions.filter((a) => a.outcome !== 'ok').map((a) => ({ t: a.t, type: `action ${a.outcome}`, text: `${a.do}: ${a.detail}` })),
    ].sort((a, b) => a.t - b.t),
    dayNightThresholds: r.dayNight,
    remaining: r.samples.map((s) => ({ t: s.t, device: s.remainingMin, truth: s.trueRemainingMin })),
    irOn: intervals(r.samples.map((s) => ({ t: s.t, on: s.irLed === true }))),
  };
}
