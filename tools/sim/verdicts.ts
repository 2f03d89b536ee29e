/**
 * Verdicts per requirement: built-in checks that read the evidence of a shift (journal,
 * coverage, alerts, the world's ground truth), and the scenario's own expectations. A
 * requirement the shift could not show is "n/a", never a silent pass.
 */
import type { ShiftRecord } from './shift-runner.ts';
import type { Expectation } from './scenario.ts';

export type Verdict = 'pass' | 'fail' | 'n/a';

export interface RequirementResult {
  id: string;
  verdict: Verdict;
  detail: string;
}

type Check = (r: ShiftRecord) => RequirementResult | null;

const hm = (s: number) => {
  const m = Math.floor(Math.max(0, s) / 60);
  return `${Math.floor(m / 60)}:${String(m % 60).padStart(2, '0')}`;
};
const entries = (r: ShiftRecord, type: string) => r.journal.records.filter((e) => e.type === type);
const actionsOf = (r: ShiftRecord, d: string) => r.actions.filter((a) => a.do === d);
const result = (id: string, ok: boolean, detail: string): RequirementResult => ({ id, verdict: ok ? 'pass' : 'fail', detail });
const na = (id: string, detail: string): RequirementResult => ({ id, verdict: 'n/a', detail });

/** Numbers a scenario can compare in `metric` expectations. */
export function metrics(r: ShiftRecord): Record<string, number> {
  const switches = entries(r, 'day-night').length;
  return {
    coverage: r.coverage?.coverage ?? 0,
    gaps: r.coverage?.gaps.length ?? 0,
    gapSeconds: (r.coverage?.gapMs ?? 0) / 1000,
    overlaps: r.coverage?.overlaps ?? 0,
    segments: r.segments.filter((s) => s.camera === 'main').length,
    pauses: r.pauses.length,
    alerts: r.alerts.length,
    boots: r.boots.length,
    powerCuts: r.powerCuts.length,
    dayNightSwitches: switches,
    refused: r.actions.filter((a) => a.outcome === 'refused').length,
    journalEntries: r.journal.records.length,
    dutyHours: r.dutyStart !== null && r.dutyEnd !== null ? (r.dutyEnd - r.dutyStart) / 3600 : 0,
  };
}

const CHECKS: Check[] = [
  (r) => {
    if (!r.coverage) return na('R-REC-1', 'no duty started');
    const c = r.coverage;
    const ok = c.coverage >= 0.999 && c.gaps.length === 0 && c.overlaps === 0;
    return result('R-REC-1', ok, `coverage ${c.coverage.toFixed(5)} (segments + authorised pauses over ${hm(c.dutyMs / 1000)} of duty), ${c.gaps.length} gap(s) totalling ${(c.gapMs / 1000).toFixed(1)} s, ${c.overlaps} overlap(s)`);
  },
  (r) => {
    const asked = actionsOf(r, 'pause');
    if (asked.length === 0) return na('R-REC-2', 'no pause requested');
    const started = entries(r, 'pause-start');
    const unauthorised = r.actions.filter((a) => a.do === 'pause' && /Unknown key/.test(a.detail) && a.outcome === 'ok');
    const allSigned = started.every((e) => typeof (e.data.by as { name?: string } | undefined)?.name === 'string');
    const ok = unauthorised.length === 0 && allSigned && started.length === asked.filter((a) => a.outcome === 'ok').length;
    return result('R-REC-2', ok, `${started.length} authorised pause(s) journalled with their authoriser; ${asked.filter((a) => a.outcome === 'refused').length} unauthorised request(s) refused`);
  },
  (r) => {
    const risky = r.samples.filter((s) => s.powered && s.condensing);
    if (risky.length === 0) return na('R-REC-3', 'no condensation risk during the shift');
    const first = risky[0].t;
    const warned = r.alerts.find((a) => a.kind === 'condensation-risk' && a.t >= first - 120);
    const c = r.coverage;
    const ok = !!warned && (!c || c.gaps.length === 0);
    return result('R-REC-3', ok, warned ? `condensation risk from ${hm(first)}, warned at ${hm(warned.t)}; recording went on` : `condensation risk from ${hm(first)} but no warning`);
  },
  (r) => {
    const dark = r.samples.filter((s) => s.powered && s.lux < r.dayNight.toNight / 2);
    const switches = entries(r, 'day-night');
    if (dark.length < 5) return na('R-REC-5', 'no darkness during the shift');
    const toNight = switches.filter((e) => e.data.mode === 'night');
    let minGap = Infinity;
    for (let i = 1; i < switches.length; i++) minGap = Math.min(minGap, switches[i].t - switches[i - 1].t);
    const ok = toNight.length > 0 && minGap >= 30;
    return result('R-REC-5', ok, `${switches.length} switch(es) (${toNight.length} to night, first at ${toNight[0] ? hm(toNight[0].t) : '—'}), closest two ${Number.isFinite(minGap) ? `${minGap.toFixed(0)} s` : '—'} apart`);
  },
  (r) => {
    const closed = entries(r, 'segment-closed');
    if (closed.length === 0) return na('R-REC-6', 'nothing recorded');
    const missing = closed.filter((e) => !r.cardPaths.has(String(e.data.path)));
    return result('R-REC-6', missing.length === 0, `${closed.length - missing.length} of ${closed.length} journalled segments still on the card${missing.length ? `; missing ${missing.slice(0, 3).map((e) => e.data.path).join(', ')}` : ''}`);
  },
  (r) => {
    const presses = r.actions.filter((a) => a.do === 'press' && a.detail === 'marker' && a.outcome === 'ok');
    if (presses.length === 0) return na('R-REC-8', 'no marker pressed');
    const markers = entries(r, 'marker');
    return result('R-REC-8', markers.length >= presses.length, `${presses.length} marker press(es), ${markers.length} marker entr(ies) in the journal`);
  },
  (r) => {
    const untrusted = entries(r, 'clock-untrusted');
    const refused = entries(r, 'recording-refused');
    const dutyAsked = r.dutyStart !== null || actionsOf(r, 'undock').length > 0;
    if (!dutyAsked) return na('R-TIME-1', 'no duty');
    if (untrusted.length > 0 && r.segments.length === 0) return result('R-TIME-1', refused.length > 0, `clock untrusted (${untrusted.map((e) => e.data.reason).join(', ')}): recording refused ${refused.length} time(s)`);
    const err = r.maxTimestampErrorMs;
    if (err === null) return result('R-TIME-1', false, 'duty started but nothing was recorded');
    return result('R-TIME-1', err <= 2000, `every segment stamped within ${(err / 1000).toFixed(2)} s of the true time${untrusted.length ? ` (${untrusted.length} untrusted-clock entr(ies) before verification)` : ''}`);
  },
  (r) => {
    const sets = actionsOf(r, 'set-time');
    if (sets.length === 0) return na('R-TIME-2', 'no time set');
    const journalled = entries(r, 'time-set').filter((e) => e.data.source === 'authorised');
    const okSets = sets.filter((a) => a.outcome === 'ok');
    const wrongAccepted = sets.filter((a) => a.outcome === 'ok' && !/responsible/.test(a.detail));
    return result('R-TIME-2', journalled.length === okSets.length && wrongAccepted.length === 0, `${okSets.length} authorised time set(s) journalled with old and new time; ${sets.length - okSets.length} refused`);
  },
  (r) => {
    const swaps = actionsOf(r, 'battery-swap');
    if (swaps.length === 0) return na('R-PWR-1', 'no battery swap');
    const during = swaps.filter((a) => r.dutyStart !== null && a.t >= r.dutyStart && (r.dutyEnd === null || a.t <= r.dutyEnd));
    const gapsNear = (r.coverage?.gaps ?? []).filter(([a, b]) => during.some((s) => a / 1000 <= s.t + 120 && b / 1000 >= s.t - 5));
    return result('R-PWR-1', gapsNear.length === 0 && r.powerCuts.length === 0, `${during.length} hot swap(s) during duty, ${gapsNear.length} gap(s) around them, ${r.powerCuts.length} power loss(es)`);
  },
  (r) => {
    const low = r.samples.find((s) => s.remainingMin !== null && s.remainingMin <= 20);
    if (!low) return na('R-PWR-2', 'the batteries never ran low');
    const alert = r.alerts.find((a) => a.kind === 'battery-low' || a.kind === 'battery-critical');
    return result('R-PWR-2', !!alert && alert.t <= low.t + 120, alert ? `≤ 20 min left at ${hm(low.t)}; low-battery alert at ${hm(alert.t)}` : `≤ 20 min left at ${hm(low.t)} and no alert`);
  },
  (r) => {
    const faults = actionsOf(r, 'sensor-fault');
    const empty = r.powerCuts.filter((c) => c.cause === 'brownout');
    if (faults.length === 0 && empty.length === 0) return na('R-PWR-3', 'no fault and no flat battery');
    const raised = entries(r, 'fault').filter((e) => e.data.state === 'raised');
    const alerts = r.alerts.filter((a) => a.kind === 'device-fault' || a.kind === 'battery-empty');
    return result('R-PWR-3', raised.length >= faults.length && alerts.length > 0, `${faults.length} injected fault(s), ${raised.length} fault entr(ies), ${alerts.length} alert(s) for the duty officer`);
  },
  (r) => {
    const issue = entries(r, 'issue')[0];
    const refusedIssue = entries(r, 'issue-refused')[0];
    if (!issue && !refusedIssue) return na('R-PWR-4', 'not issued');
    if (refusedIssue) return result('R-PWR-4', Number(refusedIssue.data.batteryHours) < Number(refusedIssue.data.plannedShiftHours), `issue refused: ${Number(refusedIssue.data.batteryHours).toFixed(1)} h of charge for a ${refusedIssue.data.plannedShiftHours} h shift`);
    return result('R-PWR-4', Number(issue.data.batteryHours) >= Number(issue.data.plannedShiftHours), `issued with ${Number(issue.data.batteryHours).toFixed(1)} h of charge for a ${issue.data.plannedShiftHours} h shift`);
  },
  (r) => {
    const broke = actionsOf(r, 'seal-break').length + actionsOf(r, 'card-pull').length + actionsOf(r, 'card-insert').length;
    if (broke === 0) return na('R-CARD-2', 'the seal was not touched');
    const opened = entries(r, 'seal-opened');
    return result('R-CARD-2', opened.length > 0, `${opened.length} seal opening(s) journalled`);
  },
  (r) => {
    const inserts = actionsOf(r, 'card-insert').filter((a) => a.detail !== 'registered');
    if (inserts.length === 0) return na('R-CARD-3', 'no foreign card');
    const refused = entries(r, 'card-refused').filter((e) => e.t >= inserts[0].t - 1);
    return result('R-CARD-3', refused.length >= inserts.length, `${inserts.length} foreign/unregistered card(s) inserted, ${refused.length} refused`);
  },
  (r) => {
    if (r.journal.verdict === 'unreadable') return result('R-LOG-1', false, `journal unreadable: ${r.journal.problems[0] ?? ''}`);
    const need = ['power-on', 'issue', 'duty-start'].filter((t) => entries(r, t).length === 0 && (t === 'power-on' || r.dutyStart !== null));
    const ok = r.journal.verdict === 'valid' && need.length === 0;
    return result('R-LOG-1', ok, `journal ${r.journal.verdict} (${r.journal.records.length} entries)${need.length ? `; missing ${need.join(', ')}` : ''}${r.journal.problems.length ? `; ${r.journal.problems[0]}` : ''}`);
  },
];

function evaluate(r: ShiftRecord, e: Expectation): { ok: boolean; detail: string } {
  const inWindow = (t: number) => (e.after === undefined || t >= e.after) && (e.before === undefined || t <= e.before);
  const window = e.after !== undefined || e.before !== undefined ? ` between ${e.after !== undefined ? hm(e.after) : 'start'} and ${e.before !== undefined ? hm(e.before) : 'end'}` : '';
  const countOk = (n: number) =>
    e.count !== undefined ? n === e.count : (e.min === undefined || n >= e.min) && (e.max === undefined || n <= e.max) && (e.min !== undefined || e.max !== undefined || n > 0);
  const want = e.count !== undefined ? `exactly ${e.count}` : e.min !== undefined || e.max !== undefined ? `${e.min ?? 0}–${e.max ?? '∞'}` : 'at least 1';
  if (e.metric) {
    const m = /^([a-zA-Z.-]+)\s*(>=|<=|==|>|<)\s*(-?[\d.]+)$/.exec(e.metric)!;
    const value = metrics(r)[m[1]];
    if (value === undefined) return { ok: false, detail: `unknown metric "${m[1]}"` };
    const target = Number(m[3]);
    const ok = { '>=': value >= target, '<=': value <= target, '==': value === target, '>': value > target, '<': value < target }[m[2] as '>=']!;
    return { ok, detail: `${m[1]} = ${Number.isInteger(value) ? value : value.toFixed(5)} (want ${m[2]} ${target})` };
  }
  if (e.alert) {
    const n = r.alerts.filter((a) => a.kind === e.alert && inWindow(a.t)).length;
    return { ok: countOk(n), detail: `${n} "${e.alert}" alert(s)${window} (want ${want})` };
  }
  const n = entries(r, e.journal!).filter((x) => inWindow(x.t)).length;
  return { ok: countOk(n), detail: `${n} "${e.journal}" journal entr(ies)${window} (want ${want})` };
}

/** Built-in checks combined with the scenario's expectations, sorted by requirement id. */
export function requirementVerdicts(r: ShiftRecord): RequirementResult[] {
  const byId = new Map<string, RequirementResult>();
  for (const check of CHECKS) {
    const res = check(r);
    if (res) byId.set(res.id, res);
  }
  for (const [id, exp] of Object.entries(r.scenario.expect)) {
    const list = Array.isArray(exp) ? exp : [exp];
    const outcomes = list.map((e) => evaluate(r, e));
    const failed = outcomes.filter((o) => !o.ok);
    const prior = byId.get(id);
    const details = [prior && prior.verdict !== 'n/a' ? prior.detail : null, ...outcomes.map((o) => `${o.ok ? '✓' : '✗'} ${o.detail}`)].filter(Boolean).join('; ');
    const verdict: Verdict = failed.length > 0 || prior?.verdict === 'fail' ? 'fail' : 'pass';
    byId.set(id, { id, verdict, detail: details });
  }
  const order = (id: string) => id.replace(/\d+$/, (d) => d.padStart(3, '0'));
  return [...byId.values()].sort((a, b) => (order(a.id) < order(b.id) ? -1 : 1));
}
