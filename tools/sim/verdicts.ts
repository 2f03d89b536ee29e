/**
 * Verdicts per requirement. Each built-in check reads the evidence of a shift — the journal as
 * an auditor reads it back, the files on the card, the alerts, and the world's ground truth
 * (what the packs, the light, the card slot and the output lines really did) — and judges it by
 * QA's own limits (`scenario.limits`), never by the firmware's configuration. Scenario
 * expectations add to a requirement's check; they never replace it. A requirement the shift
 * could not show is "n/a" with the reason, never a silent pass.
 */
import { fillForm } from '../journal/forms.ts';
import type { ShiftRecord } from './shift-runner.ts';
import type { Expectation, Limits } from './scenario.ts';
import type { CardEvidence } from './evidence.ts';
import type { Interval } from './ground-truth.ts';

export type Verdict = 'pass' | 'fail' | 'n/a';

export interface RequirementResult {
  id: string;
  verdict: Verdict;
  detail: string;
}

/** Every requirement of SPEC.md, with why a recorder shift cannot show the ones it cannot. */
export const ALL_REQUIREMENTS: Readonly<Record<string, string>> = {
  'R-REC-1': '',
  'R-REC-2': '',
  'R-REC-3': '',
  'R-REC-4': '',
  'R-REC-5': '',
  'R-REC-6': '',
  'R-REC-7': '',
  'R-REC-8': '',
  'R-TIME-1': '',
  'R-TIME-2': '',
  'R-PWR-1': '',
  'R-PWR-2': '',
  'R-PWR-3': '',
  'R-PWR-4': '',
  'R-CARD-1': '',
  'R-CARD-2': '',
  'R-CARD-3': '',
  'R-CARD-4': '',
  'R-LOG-1': '',
  'R-LOG-2': '',
  'R-LOG-3': 'radar issue journal: the radar firmware is not in the shift runner yet',
  'R-LOG-4': '',
  'R-LOG-5': '',
  'R-OFF-1': 'offload while charging: the dock protocol, not simulated in a shift yet',
  'R-OFF-2': 'server-confirmed copies: the dock protocol, not simulated in a shift yet',
  'R-OFF-3': '',
  'R-OFF-4': 'court recordings: not a recorder shift',
  'R-RET-1': 'retention: the storage server',
  'R-ACC-1': 'server access: the storage server',
  'R-ACC-2': 'copies for courts: the storage server',
  'R-RAD-1': 'radar: the radar firmware is not in the shift runner yet',
  'R-RAD-2': 'radar: the radar firmware is not in the shift runner yet',
  'R-RAD-3': 'radar: the radar firmware is not in the shift runner yet',
  'R-RAD-4': 'radar: the radar firmware is not in the shift runner yet',
  'R-VEH-1': '',
  'R-VEH-2': '',
  'R-CUS-1': 'customs equipment: not a recorder shift',
};

type Check = (r: ShiftRecord, ev: CardEvidence) => RequirementResult;

const GOP_S = 2;
const hm = (s: number) => {
  const x = Math.max(0, Math.round(s));
  const m = Math.floor(x / 60);
  return `${Math.floor(m / 60)}:${String(m % 60).padStart(2, '0')}${x % 60 ? `:${String(x % 60).padStart(2, '0')}` : ''}`;
};
const entries = (r: ShiftRecord, type: string) => r.journal.records.filter((e) => e.type === type);
const actionsOf = (r: ShiftRecord, d: string) => r.actions.filter((a) => a.do === d);
const near = <T extends { t: number }>(t: number, list: readonly T[], after = 5, before = 1): T[] => list.filter((x) => x.t >= t - before && x.t <= t + after);
const result = (id: string, problems: string[], detail: string): RequirementResult => ({
  id,
  verdict: problems.length === 0 ? 'pass' : 'fail',
  detail: problems.length === 0 ? detail : `${problems.slice(0, 3).join('; ')}${problems.length > 3 ? ` (+${problems.length - 3} more)` : ''} — ${detail}`,
});
const na = (id: string, detail: string): RequirementResult => ({ id, verdict: 'n/a', detail });
const limitsOf = (r: ShiftRecord): Limits => r.scenario.limits;
const inDuty = (r: ShiftRecord, t: number) => r.dutyStart !== null && t >= r.dutyStart && (r.dutyEnd === null || t <= r.dutyEnd);

/** When the device could not record, and why: power gone, the card out, the clock not trustworthy. */
function excusedWindows(r: ShiftRecord): Array<{ from: number; to: number; why: string }> {
  const L = limitsOf(r);
  const out: Array<{ from: number; to: number; why: string }> = [];
  for (const cut of r.powerCuts) {
    const back = r.boots.find((b) => b.t >= cut.t)?.t ?? r.endSeconds;
    out.push({ from: cut.t - GOP_S - 1, to: back + L.resumeSeconds, why: cut.cause === 'brownout' ? 'flat batteries' : 'power cut' });
  }
  // The device shut itself down on flat batteries.
  for (const off of entries(r, 'power-off').filter((e) => e.data.reason === 'battery-empty')) {
    const back = r.boots.find((b) => b.t > off.t)?.t ?? r.endSeconds;
    out.push({ from: off.t - 60, to: back + L.resumeSeconds, why: 'flat batteries' });
  }
  // A broken camera is a breakdown (R-PWR-3 judges that it is reported): no recording while it is out.
  for (const f of actionsOf(r, 'sensor-fault').filter((a) => a.outcome === 'ok' && a.detail.startsWith('camera'))) {
    out.push({ from: f.t - GOP_S - 1, to: Math.min(r.endSeconds, f.t + faultSeconds(f)) + L.resumeSeconds, why: 'camera broken' });
  }
  const closed = (iv: Interval) => iv.end ?? r.endSeconds;
  for (const iv of r.truth.cardOut) out.push({ from: iv.start - GOP_S - 1, to: closed(iv) + L.resumeSeconds, why: 'card out of the slot' });
  // Recording with an untrusted clock is forbidden (R-TIME-1): from the refusal to the authorised set.
  for (const refused of entries(r, 'recording-refused').filter((e) => /clock untrusted/.test(String(e.data.reason)))) {
    const set = entries(r, 'time-set').find((e) => e.t >= refused.t && e.data.source === 'authorised');
    out.push({ from: refused.t - GOP_S - 1, to: (set?.t ?? r.endSeconds) + L.resumeSeconds + 60, why: 'clock untrusted until an authorised time set' });
  }
  return out;
}

function explainGaps(r: ShiftRecord, gaps: ReadonlyArray<readonly [number, number]>): { unexplained: Array<[number, number]>; explained: string[] } {
  const windows = excusedWindows(r);
  const unexplained: Array<[number, number]> = [];
  const explained: string[] = [];
  for (const [a, b] of gaps) {
    const [s, e] = [a / 1000, b / 1000];
    const w = windows.find((x) => s >= x.from && e <= x.to);
    if (w) explained.push(`${hm(s)}–${hm(e)} (${w.why})`);
    else unexplained.push([s, e]);
  }
  return { unexplained, explained };
}

/** Numbers a scenario can compare in `metric` expectations. */
export function metrics(r: ShiftRecord): Record<string, number> {
  const switches = entries(r, 'day-night').length;
  const gaps = r.coverage ? explainGaps(r, r.coverage.gaps) : { unexplained: [], explained: [] };
  return {
    coverage: r.coverage?.coverage ?? 0,
    gaps: r.coverage?.gaps.length ?? 0,
    unexplainedGaps: gaps.unexplained.length,
    gapSeconds: (r.coverage?.gapMs ?? 0) / 1000,
    overlaps: r.coverage?.overlaps ?? 0,
    segments: r.segments.filter((s) => s.camera === (Object.keys(r.coverageByCamera)[0] ?? 'main')).length,
    cameras: Object.keys(r.coverageByCamera).length,
    pauses: r.pauses.length,
    alerts: r.alerts.length,
    boots: r.boots.length,
    powerCuts: r.powerCuts.length,
    dayNightSwitches: switches,
    refused: r.actions.filter((a) => a.outcome === 'refused').length,
    journalEntries: r.journal.records.length,
    dutyHours: r.dutyStart !== null && r.dutyEnd !== null ? (r.dutyEnd - r.dutyStart) / 3600 : 0,
    delivered: r.truth.deliveries.length,
  };
}

/** Repetitions of a standing alarm: announcements and buzzer bursts at most `limit` s apart while it stands. */
function repetition(r: ShiftRecord, kind: string, from: number, to: number, limit: number, buzzer: boolean): string[] {
  const problems: string[] = [];
  if (to - from < limit * 2) return problems;
  const check = (times: number[], what: string) => {
    const inside = times.filter((t) => t >= from - 1 && t <= to);
    const points = [from, ...inside, to];
    let worst = 0;
    for (let i = 1; i < points.length; i++) worst = Math.max(worst, points[i] - points[i - 1]);
    if (worst > limit) problems.push(`${kind}: ${what} ${worst.toFixed(0)} s apart between ${hm(from)} and ${hm(to)} (limit ${limit} s)`);
  };
  check(
    r.truth.announcements.filter((a) => a.kind === kind).map((a) => a.t),
    'announcements',
  );
  if (buzzer) check(r.truth.buzzerBursts, 'buzzer bursts');
  return problems;
}

/** When the device next went off after `t` (power cut, or its own shutdown). */
function offAfter(r: ShiftRecord, t: number): number {
  const cut = r.powerCuts.find((c) => c.t > t)?.t ?? Infinity;
  const off = entries(r, 'power-off').find((e) => e.t > t)?.t ?? Infinity;
  return Math.min(cut, off, r.endSeconds);
}

/** End of a battery alarm raised at `t`: another level journalled (`endLevels`), external power, or the device off. */
function batteryAlarmEnd(r: ShiftRecord, t: number, endLevels: string[]): number {
  const next = r.journal.records.find((e) => e.t > t && e.type === 'battery-alert' && endLevels.includes(String(e.data.level)));
  const external = r.samples.find((s) => s.t > t && s.powered && s.remainingMin === null)?.t ?? Infinity;
  return Math.min(next?.t ?? Infinity, external, offAfter(r, t));
}

const CHECKS: Record<string, Check> = {
  'R-REC-1': (r, ev) => {
    if (!r.coverage || r.dutyStart === null) return na('R-REC-1', 'no duty started');
    const problems: string[] = [];
    const parts: string[] = [];
    for (const [camera, c] of Object.entries(r.coverageByCamera)) {
      const { unexplained, explained } = explainGaps(r, c.gaps);
      for (const [a, b] of unexplained) problems.push(`${camera}: gap ${hm(a)}–${hm(b)} (${(b - a).toFixed(1)} s) with power, card and a trusted clock`);
      if (c.overlaps > 0) problems.push(`${camera}: ${c.overlaps} overlapping segment(s)`);
      parts.push(`${camera} ${c.coverage.toFixed(5)}${explained.length ? ` (device could not record: ${explained.join(', ')})` : ''}`);
    }
    problems.push(...ev.journalMismatches, ...ev.chainBreaks, ...ev.damaged);
    const segs = ev.segments.length;
    return result('R-REC-1', problems, `coverage (segments + authorised pauses over ${hm((r.coverage.dutyMs ?? 0) / 1000)} of duty): ${parts.join('; ')}; ${segs} segment file(s) on the card, each hashing to its index and chained to the one before`);
  },

  'R-REC-2': (r) => {
    const L = limitsOf(r);
    const asked = actionsOf(r, 'pause');
    const presses = r.actions.filter((a) => a.do === 'press' && a.detail === 'pause' && inDuty(r, a.t));
    if (asked.length === 0 && presses.length === 0) return na('R-REC-2', 'no pause requested');
    const problems: string[] = [];
    const starts = entries(r, 'pause-start');
    const trustedNames = new Set(['Lt. B. Nurlanova (duty officer)', 'Capt. A. Serikov (responsible)']);
    for (const s of starts) {
      const by = s.data.by as { name?: string } | undefined;
      if (!by?.name || !trustedNames.has(by.name)) problems.push(`pause at ${hm(s.t)} journalled without a known authoriser`);
      if (Number(s.data.maxMinutes) > L.maxPauseMinutes) problems.push(`pause at ${hm(s.t)} granted for ${String(s.data.maxMinutes)} min (limit ${L.maxPauseMinutes})`);
      const end = entries(r, 'pause-end').find((e) => e.t >= s.t);
      if (!end) problems.push(`pause at ${hm(s.t)} never ended in the journal`);
      else if ((end.t - s.t) / 60 > Math.min(Number(s.data.maxMinutes), L.maxPauseMinutes) + 1) problems.push(`pause at ${hm(s.t)} lasted ${((end.t - s.t) / 60).toFixed(1)} min`);
    }
    for (const a of asked) {
      const granted = near(a.t, starts, 3).length > 0;
      const tooLong = /\((?:rest|meal), (\d+(?:\.\d+)?) min\)/.exec(a.detail);
      const minutes = tooLong ? Number(tooLong[1]) : 0;
      const unauthorised = /Unknown key/.test(a.detail) || a.detail.includes('stranger');
      if ((unauthorised || minutes > L.maxPauseMinutes) && (a.outcome === 'ok' || granted)) problems.push(`${unauthorised ? 'unauthorised' : `${minutes}-min`} pause at ${hm(a.t)} was granted`);
      if (a.outcome === 'refused' && near(a.t, entries(r, 'action-refused'), 3).length === 0) problems.push(`refused pause at ${hm(a.t)} not journalled`);
      if (a.outcome === 'ok' && !granted) problems.push(`pause at ${hm(a.t)} accepted but not journalled`);
    }
    for (const p of presses) {
      if (near(p.t, starts, 3).length > 0) problems.push(`the pause button alone paused recording at ${hm(p.t)}`);
      else if (!r.pauses.some((x) => p.t >= x.start && p.t <= x.end) && near(p.t, entries(r, 'action-refused'), 3).length === 0) problems.push(`pause button at ${hm(p.t)}: refusal not journalled`);
    }
    const refused = asked.filter((a) => a.outcome === 'refused').length + presses.length;
    return result('R-REC-2', problems, `${starts.length} authorised pause(s) journalled with their authoriser and end (≤ ${L.maxPauseMinutes} min); ${refused} attempt(s) without a valid authorisation refused and journalled`);
  },

  'R-REC-3': (r) => {
    const risky = r.samples.filter((s) => s.powered && s.condensing);
    if (risky.length === 0) return na('R-REC-3', 'no condensation during the shift (ground truth: housing never at the dew point)');
    const problems: string[] = [];
    const notes: string[] = [];
    const states = entries(r, 'condensation');
    // Each onset of condensation (ground truth) must find a warning standing within 2 min.
    const onsets = risky.filter((s, i) => i === 0 || s.t - risky[i - 1].t > 90);
    for (const o of onsets) {
      const last = [...states].reverse().find((e) => e.t <= o.t + 120);
      const warned = last?.data.state === 'risk' && r.alerts.some((a) => a.kind === 'condensation-risk' && Math.abs(a.t - last.t) <= 5);
      if (!warned) problems.push(`condensation from ${hm(o.t)} but no warning standing within 2 min`);
      else notes.push(`from ${hm(o.t)}: warned ${last.t <= o.t ? `since ${hm(last.t)}` : `at ${hm(last.t)}`}`);
      const endOf = risky.filter((s) => s.t >= o.t).find((s, k, arr) => k + 1 === arr.length || arr[k + 1].t - s.t > 90)?.t ?? o.t;
      const cleared = states.find((e) => e.t > o.t && e.t < endOf && e.data.state === 'clear');
      if (cleared) notes.push(`warning cleared at ${hm(cleared.t)}, ${Math.round((endOf - cleared.t) / 60)} min before the housing was above the dew point`);
    }
    const gaps = r.coverage ? explainGaps(r, r.coverage.gaps).unexplained : [];
    const first = risky[0].t;
    const last = risky[risky.length - 1].t;
    const during = gaps.filter(([a, b]) => b >= first - 60 && a <= last + 60);
    if (during.length) problems.push(`recording stopped around the condensation (${during.map(([a, b]) => `${hm(a)}–${hm(b)}`).join(', ')})`);
    return result('R-REC-3', problems, `condensation on the housing (ground truth) ${notes.join('; ')}; recording went on`);
  },

  'R-REC-4': (r, ev) => {
    const plays = actionsOf(r, 'playback');
    if (plays.length === 0) return na('R-REC-4', 'no playback');
    const problems: string[] = [];
    const journalled = entries(r, 'playback');
    for (const p of plays) {
      if (p.outcome !== 'ok') problems.push(`playback at ${hm(p.t)} failed: ${p.detail}`);
      else if (near(p.t, journalled, 5).length === 0) problems.push(`playback at ${hm(p.t)} not journalled`);
    }
    problems.push(...ev.playbackMismatches);
    return result('R-REC-4', problems, `${plays.length} playback(s), each journalled, bytes identical to the recording on the card`);
  },

  'R-REC-5': (r) => {
    const L = limitsOf(r);
    const on = r.samples.filter((s) => s.powered && s.mode !== null);
    const dark = on.filter((s) => s.lux < L.nightBelowLux);
    if (dark.length < 2) return na('R-REC-5', `no darkness (< ${L.nightBelowLux} lx) while the device was on`);
    const problems: string[] = [];
    const irDisabled = irLightsOff(r);
    let wrong = 0;
    const delay = L.dayNightDelaySeconds;
    for (const s of on) {
      // "Clearly" dark or light: the light has been on that side of QA's thresholds for `delay`.
      const window = on.filter((x) => x.t >= s.t - delay && x.t <= s.t);
      const settled = window.length > 0 && window[0].t <= s.t - delay + 60;
      if (!settled) continue;
      const allDark = window.every((x) => x.lux < L.nightBelowLux);
      const allLight = window.every((x) => x.lux > L.dayAboveLux);
      const want = allDark ? 'night' : allLight ? 'day' : null;
      if (!want) continue;
      const irWanted = want === 'night' && !irDisabled(s.t);
      const bad = s.mode !== want || (s.irCut !== null && s.irCut !== want) || (s.irLed !== null && s.irLed !== irWanted);
      if (bad) {
        wrong += 1;
        if (wrong <= 3) problems.push(`${hm(s.t)}: ${s.lux.toFixed(2)} lx, firmware says ${s.mode}, IR-cut filter ${s.irCut ?? '?'}, IR light ${s.irLed ? 'on' : 'off'} (want ${want}${want === 'night' ? `, IR ${irWanted ? 'on' : 'off by the crew'}` : ''})`);
      }
    }
    if (wrong > 3) problems.push(`${wrong} sample(s) in the wrong mode`);
    const switches = entries(r, 'day-night');
    let minGap = Infinity;
    for (let i = 1; i < switches.length; i++) {
      if (switches[i].data.mode !== switches[i - 1].data.mode) minGap = Math.min(minGap, switches[i].t - switches[i - 1].t);
    }
    if (minGap < L.minSwitchIntervalSeconds) problems.push(`switches only ${minGap.toFixed(1)} s apart (oscillation; limit ${L.minSwitchIntervalSeconds} s)`);
    const toNight = switches.filter((e) => e.data.mode === 'night');
    return result(
      'R-REC-5',
      problems,
      `${switches.length} switch(es), ${toNight.length} to night (first ${toNight[0] ? hm(toNight[0].t) : '—'}); closest ${Number.isFinite(minGap) ? `${minGap.toFixed(0)} s` : '—'} apart; mode, IR-cut filter and IR light right at every settled sample (< ${L.nightBelowLux} lx night, > ${L.dayAboveLux} lx day)`,
    );
  },

  'R-REC-6': (r, ev) => {
    const closed = entries(r, 'segment-closed');
    if (closed.length === 0) return na('R-REC-6', 'nothing recorded');
    const problems = [...ev.journalMismatches];
    const attempts = r.actions.filter((a) => a.do === 'press' && (a.detail === 'record' || a.detail === 'power') && a.outcome === 'ok' && inDuty(r, a.t) && !r.pauses.some((p) => a.t >= p.start && a.t <= p.end + 1));
    const refusals = entries(r, 'action-refused');
    for (const a of attempts) {
      if (near(a.t, refusals, 3).length === 0) problems.push(`${a.detail} button at ${hm(a.t)} during duty: no refusal journalled`);
    }
    const gaps = r.coverage ? explainGaps(r, r.coverage.gaps).unexplained : [];
    for (const a of attempts) if (gaps.some(([s, e]) => a.t >= s - 5 && a.t <= e)) problems.push(`recording stopped after the ${a.detail} button at ${hm(a.t)}`);
    return result('R-REC-6', problems, `${closed.length - ev.journalMismatches.length} of ${closed.length} journalled segments on the card unchanged; ${attempts.length} attempt(s) to stop recording or switch off during duty refused`);
  },

  'R-REC-7': (r, ev) => {
    const L = limitsOf(r);
    const duty = r.samples.filter((s) => inDuty(r, s.t) && s.powered);
    const recordedS = Object.values(r.coverageByCamera)[0]?.recordedMs ?? 0;
    const bytes = ev.segments.reduce((n, s) => n + s.bytes, 0);
    if (duty.length === 0 || recordedS === 0 || bytes === 0) return na('R-REC-7', 'nothing recorded');
    // The true write rate: what the recorders put on the card per second of recording (all cameras).
    const rate = bytes / (recordedS / 1000);
    const hoursLeft = (freeBytes: number) => freeBytes / rate / 3600;
    const [min, max] = L.storageWarningHours;
    const low = duty.filter((s) => hoursLeft(s.cardFreeBytes) < min);
    const warnings = r.alerts.map((a, i) => ({ a, truth: r.truth.atAlert[i] })).filter(({ a }) => a.kind === 'storage-low' || a.kind === 'storage-full');
    const lowest = Math.min(...duty.map((s) => hoursLeft(s.cardFreeBytes)));
    if (lowest >= max && warnings.length === 0) return na('R-REC-7', `the card always held more than ${max} h of recording (${lowest.toFixed(1)} h at least)`);
    const problems: string[] = [];
    const first = warnings[0];
    const firstH = first ? hoursLeft(first.truth?.cardFreeBytes ?? 0) : null;
    if (!first && low.length > 0) problems.push(`under ${min} h of space left from ${hm(low[0].t)} and no warning`);
    else if (first && firstH !== null && (firstH < min || firstH > max)) problems.push(`warned with ${firstH.toFixed(2)} h of recording space left (want ${min}–${max} h)`);
    if (first && low.length > 0 && low[0].t < first.a.t - 60) problems.push(`under ${min} h left from ${hm(low[0].t)}, warned only at ${hm(first.a.t)}`);
    const told = first ? r.truth.deliveries.some((d) => d.kind === first.a.kind && d.event === 'raised') : false;
    if (first && !told && r.truth.deliveries.length > 0) problems.push('the duty officer was never told');
    return result('R-REC-7', problems, first ? `warned at ${hm(first.a.t)} with ${firstH!.toFixed(2)} h of recording space left (ground truth)${told ? '; the duty officer was told' : ''}` : `at least ${lowest.toFixed(2)} h left, no warning due`);
  },

  'R-REC-8': (r, ev) => {
    const presses = r.actions.filter((a) => a.do === 'press' && a.detail === 'marker' && r.journal.records.some((e) => e.type === 'duty-start' && e.t <= a.t) && inDuty(r, a.t) && !r.pauses.some((p) => a.t >= p.start && a.t <= p.end));
    if (presses.length === 0) return na('R-REC-8', 'no marker pressed while recording');
    const problems: string[] = [];
    const markers = entries(r, 'marker');
    for (const p of presses) if (near(p.t, markers, 3).length === 0) problems.push(`marker at ${hm(p.t)} not journalled`);
    // One marker entry per camera; each travels in that camera's segment index.
    const onCard = ev.segments.reduce((n, s) => n + s.markers.length, 0);
    if (onCard < markers.length) problems.push(`${markers.length} marker(s) journalled, ${onCard} in the segment indexes on the card`);
    return result('R-REC-8', problems, `${presses.length} marker press(es): ${markers.length} journalled, ${onCard} travelling with the recording (segment indexes)`);
  },

  'R-TIME-1': (r) => {
    const L = limitsOf(r);
    const tried = r.actions.some((a) => a.do === 'undock' || (a.do === 'press' && a.detail === 'record'));
    if (!tried) return na('R-TIME-1', 'no duty');
    const problems: string[] = [];
    const untrusted = entries(r, 'clock-untrusted');
    const stopped = r.scenario.rtc.oscillatorStopped || actionsOf(r, 'clock-loss').length > 0;
    if (stopped && !untrusted.some((e) => e.data.reason === 'oscillator-stopped')) problems.push('the RTC oscillator stopped but the device never said its clock is untrusted');
    const err = r.maxTimestampErrorMs;
    if (err !== null && err > L.timestampToleranceSeconds * 1000) problems.push(`a segment stamped ${(err / 1000).toFixed(1)} s off the true time`);
    // Refusal while untrusted: no recording before the authorised time set, refusal journalled, alarm repeating.
    const dutyAttempts = r.actions.filter((a) => a.do === 'undock' || (a.do === 'press' && a.detail === 'record'));
    let refusals = 0;
    for (const u of untrusted.filter((e) => e.data.reason !== 'not-verified')) {
      const set = entries(r, 'time-set').find((e) => e.t >= u.t && e.data.source === 'authorised');
      const until = set?.t ?? r.endSeconds;
      const attempts = dutyAttempts.filter((a) => a.t >= u.t && a.t < until);
      const early = r.segments.filter((s) => s.start >= u.t - 1 && s.start < until - 1);
      if (early.length) problems.push(`recorded ${early.length} segment(s) while the clock was untrusted (${hm(u.t)}–${hm(until)})`);
      for (const a of attempts) {
        if (near(a.t, entries(r, 'recording-refused'), 5).length === 0) problems.push(`duty start at ${hm(a.t)} with an untrusted clock: no refusal journalled`);
        else refusals += 1;
      }
      if (!r.alerts.some((a) => a.kind === 'clock-untrusted' && a.t >= u.t - 1 && a.t <= u.t + 5)) problems.push(`untrusted clock at ${hm(u.t)} not announced`);
      else problems.push(...repetition(r, 'clock-untrusted', u.t, Math.min(until, offAfter(r, u.t)), L.alarmRepeatSeconds, true));
    }
    if (r.dutyStart !== null && r.segments.length === 0 && refusals === 0) problems.push('duty started but nothing was recorded');
    return result(
      'R-TIME-1',
      problems,
      `every segment stamped within ${err === null ? '—' : `${(err / 1000).toFixed(2)} s`} of the true time${refusals ? `; ${refusals} duty start(s) with an untrusted clock refused, journalled and announced` : ''}`,
    );
  },

  'R-TIME-2': (r) => {
    const sets = actionsOf(r, 'set-time');
    if (sets.length === 0) return na('R-TIME-2', 'no time set');
    const problems: string[] = [];
    const journalled = entries(r, 'time-set');
    for (const a of sets) {
      const byResponsible = /signed by Capt\. A\. Serikov \(responsible\)/.test(a.detail);
      const e = near(a.t, journalled.filter((x) => x.data.source === 'authorised'), 5)[0];
      if (a.outcome === 'ok' && !byResponsible) problems.push(`time set at ${hm(a.t)} accepted from someone other than the responsible person`);
      if (a.outcome === 'ok' && !e) problems.push(`time set at ${hm(a.t)} not journalled`);
      if (e) {
        const offset = Number(/\(([+-]?\d+(?:\.\d+)?) s\)/.exec(a.detail)?.[1] ?? 0);
        const trueNew = r.startEpochMs + a.t * 1000 + offset * 1000;
        if (typeof e.data.oldTime !== 'number' || typeof e.data.newTime !== 'number') problems.push(`time set at ${hm(a.t)} journalled without old and new values`);
        else if (Math.abs(e.data.newTime - trueNew) > 2000) problems.push(`time set at ${hm(a.t)}: journal says new time ${new Date(e.data.newTime).toISOString()}, was set to ${new Date(trueNew).toISOString()}`);
        if (!(e.data.by as { name?: string } | undefined)?.name) problems.push(`time set at ${hm(a.t)} journalled without who`);
      }
      if (a.outcome === 'refused' && near(a.t, entries(r, 'action-refused'), 3).length === 0) problems.push(`refused time set at ${hm(a.t)} not journalled`);
    }
    // Nothing else may move the clock: only authorised sets and small dock corrections.
    for (const e of journalled.filter((x) => x.data.source === 'dock-sync')) {
      if (Math.abs(Number(e.data.newTime) - Number(e.data.oldTime)) > 60_000) problems.push(`dock moved the clock by ${((Number(e.data.newTime) - Number(e.data.oldTime)) / 1000).toFixed(0)} s at ${hm(e.t)}`);
    }
    const ok = sets.filter((a) => a.outcome === 'ok').length;
    return result('R-TIME-2', problems, `${ok} time set(s) by the responsible person journalled with old and new time; ${sets.length - ok} by others refused and journalled`);
  },

  'R-PWR-1': (r) => {
    if (r.scenario.device === 'vehicle') return na('R-PWR-1', "the vehicle recorder runs on the vehicle's supply");
    const L = limitsOf(r);
    const onBattery = r.samples.filter((s) => inDuty(r, s.t) && s.powered && s.remainingMin !== null && s.loadMa > 0);
    if (onBattery.length === 0) return na('R-PWR-1', 'no duty on battery');
    const problems: string[] = [];
    const meanLoad = onBattery.reduce((n, s) => n + s.loadMa, 0) / onBattery.length;
    const caps = r.truth.packCapacityMah.filter((c): c is number => c !== null);
    const hours = caps.map((c) => c / meanLoad);
    for (const [i, h] of hours.entries()) if (h < L.packHours) problems.push(`pack ${i === 0 ? 'A' : 'B'} holds ${h.toFixed(1)} h at this shift's mean draw (${meanLoad.toFixed(0)} mA), under ${L.packHours} h`);
    const swaps = actionsOf(r, 'battery-swap').filter((a) => a.outcome === 'ok' && inDuty(r, a.t));
    const gaps = r.coverage ? explainGaps(r, r.coverage.gaps).unexplained : [];
    for (const s of swaps) {
      if (gaps.some(([a, b]) => a <= s.t + 120 && b >= s.t - 5)) problems.push(`recording interrupted by the swap at ${hm(s.t)}`);
      if (r.powerCuts.some((c) => c.t >= s.t - 1 && c.t <= s.t + 120)) problems.push(`the device lost power during the swap at ${hm(s.t)}`);
      const j = entries(r, 'battery-swap').filter((e) => e.t >= s.t - 1 && e.t <= s.t + 120);
      if (!j.some((e) => e.data.event === 'removed') || !j.some((e) => e.data.event === 'inserted')) problems.push(`swap at ${hm(s.t)}: removal and insertion not both journalled`);
    }
    return result('R-PWR-1', problems, `two packs of ${hours.map((h) => `${h.toFixed(1)} h`).join(' and ')} at the mean draw of ${meanLoad.toFixed(0)} mA; ${swaps.length} hot swap(s) during duty without a break in recording`);
  },

  'R-PWR-2': (r) => {
    const L = limitsOf(r);
    const truth = r.samples.filter((s) => s.trueRemainingMin !== null && inDuty(r, s.t));
    const minTruth = Math.min(Infinity, ...truth.map((s) => s.trueRemainingMin!));
    const [lowMin, lowMax] = L.lowBatteryAlarmMinutes;
    const [critMin, critMax] = L.criticalBatteryAlarmMinutes;
    const alarms = r.alerts.map((a, i) => ({ a, truth: r.truth.atAlert[i]?.trueRemainingMin ?? null })).filter(({ a }) => a.kind === 'battery-low' || a.kind === 'battery-critical');
    if (minTruth >= lowMin && alarms.length === 0) return na('R-PWR-2', `the packs never ran low (at least ${Number.isFinite(minTruth) ? minTruth.toFixed(0) : '—'} min of recording left)`);
    const problems: string[] = [];
    const parts: string[] = [];
    for (const [kind, [lo, hi], due] of [
      ['battery-low', [lowMin, lowMax], minTruth < lowMin],
      ['battery-critical', [critMin, critMax], minTruth < critMin],
    ] as const) {
      const first = alarms.find((x) => x.a.kind === kind);
      if (!first) {
        if (due) problems.push(`no ${kind} alarm although the packs fell under ${lo} min of recording`);
        continue;
      }
      if (first.truth !== null && (first.truth < lo || first.truth > hi)) problems.push(`${kind} alarm at ${hm(first.a.t)} with ${first.truth.toFixed(1)} min of recording truly left (want ${lo}–${hi})`);
      if (near(first.a.t, entries(r, 'battery-alert'), 2).length === 0) problems.push(`${kind} alarm at ${hm(first.a.t)} not journalled`);
      const end = batteryAlarmEnd(r, first.a.t, kind === 'battery-low' ? ['critical', 'cleared', 'empty'] : ['cleared', 'empty', 'low']);
      problems.push(...repetition(r, kind, first.a.t, end, L.alarmRepeatSeconds, true));
      parts.push(`${kind.replace('battery-', '')} at ${hm(first.a.t)} with ${first.truth === null ? '?' : first.truth.toFixed(1)} min truly left, repeated to ${hm(end)}`);
    }
    return result('R-PWR-2', problems, `${parts.join('; ') || 'no alarm'} (limits: low ${lowMin}–${lowMax} min, critical ${critMin}–${critMax} min, every ≤ ${L.alarmRepeatSeconds} s on the buzzer)`);
  },

  'R-PWR-3': (r) => {
    const L = limitsOf(r);
    const faults = actionsOf(r, 'sensor-fault').filter((a) => a.outcome === 'ok');
    const lasting = faults.filter((a) => faultSeconds(a) >= L.faultReportSeconds);
    const flat = entries(r, 'power-off').filter((e) => e.data.reason === 'battery-empty');
    const brownouts = r.powerCuts.filter((c) => c.cause === 'brownout');
    if (lasting.length === 0 && flat.length === 0 && brownouts.length === 0) return na('R-PWR-3', 'no breakdown and no flat battery');
    const problems: string[] = [];
    const raised = entries(r, 'fault').filter((e) => e.data.state === 'raised');
    const stopped = entries(r, 'recording-stopped');
    const linkLater = (t: number) => r.truth.deliveries.some((d) => d.t >= t);
    const wallOf = (t: number) => r.startEpochMs + t * 1000;
    const FAULT_KINDS = ['device-fault', 'recording-stopped'];
    for (const f of lasting) {
      const until = f.t + L.faultReportSeconds;
      const journalled = [...raised, ...stopped].some((e) => e.t >= f.t && e.t <= until);
      // Reported: an alert for the duty officer raised (or re-raised with this fault) at once...
      const alerted = [...r.alerts, ...r.truth.updates].some((a) => FAULT_KINDS.includes(a.kind) && a.t >= f.t && a.t <= until);
      if (!journalled) problems.push(`${f.detail} at ${hm(f.t)}: no fault journalled within ${L.faultReportSeconds} s`);
      if (!alerted) problems.push(`${f.detail} at ${hm(f.t)}: no alert for the duty officer within ${L.faultReportSeconds} s`);
      // ... and, once a link was there, received, stamped with the time it was raised.
      else if (linkLater(until)) {
        const got = r.truth.deliveries.some((d) => FAULT_KINDS.includes(d.kind) && d.event === 'raised' && d.queuedWall >= wallOf(f.t) - 2000 && d.queuedWall <= wallOf(until) + 2000);
        if (!got) problems.push(`${f.detail} at ${hm(f.t)}: never reached the duty officer`);
      }
    }
    for (const e of flat) {
      const alarm = r.alerts.find((a) => a.kind === 'battery-empty' && a.t <= e.t + 1 && a.t >= e.t - 120);
      if (!alarm) problems.push(`flat battery at ${hm(e.t)} not reported`);
      if (!entries(r, 'battery-alert').some((x) => x.data.level === 'empty' && x.t <= e.t + 1)) problems.push(`flat battery at ${hm(e.t)} not journalled`);
      if (linkLater(e.t) && !r.truth.deliveries.some((d) => d.kind === 'battery-empty' && d.event === 'raised')) problems.push('the flat battery never reached the duty officer');
    }
    for (const b of brownouts) problems.push(`power died at ${hm(b.t)} without the device shutting down cleanly first`);
    const delivered = r.truth.deliveries.filter((d) => d.event === 'raised' && (FAULT_KINDS.includes(d.kind) || d.kind === 'battery-empty'));
    return result(
      'R-PWR-3',
      problems,
      `${lasting.length} breakdown(s) and ${flat.length} flat-battery shutdown(s): each journalled and queued for the duty officer at once; ${delivered.length} report(s) delivered (${[...new Set(delivered.map((d) => d.channel))].join(', ') || 'no link yet'})`,
    );
  },

  'R-PWR-4': (r) => {
    const checks = r.truth.issueChecks;
    if (checks.length === 0) return na('R-PWR-4', 'not issued');
    const problems: string[] = [];
    const parts: string[] = [];
    for (const c of checks) {
      const issued = near(c.t, entries(r, 'issue'), 5)[0];
      const refused = near(c.t, entries(r, 'issue-refused'), 5)[0];
      if (issued && c.trueHours < c.plannedHours) problems.push(`issued at ${hm(c.t)} for ${c.plannedHours} h with only ${c.trueHours.toFixed(1)} h of charge (ground truth)`);
      if (refused && c.trueHours >= 2 * c.plannedHours + 1) problems.push(`refused at ${hm(c.t)} with ${c.trueHours.toFixed(1)} h of charge for a ${c.plannedHours} h shift`);
      if (!issued && !refused) {
        const a = near(c.t, actionsOf(r, 'issue'), 5)[0];
        if (a?.outcome !== 'refused') problems.push(`issue at ${hm(c.t)}: neither issued nor refused for charge (${a?.detail ?? '?'})`);
        continue;
      }
      parts.push(`${issued ? 'issued' : 'refused'} at ${hm(c.t)} for ${c.plannedHours} h with ${c.trueHours.toFixed(1)} h of charge (device said ${Number((issued ?? refused)!.data.batteryHours).toFixed(1)} h)`);
    }
    return result('R-PWR-4', problems, parts.join('; '));
  },

  'R-CARD-1': (r) => {
    const issues = entries(r, 'issue');
    const registered = entries(r, 'card-registered');
    if (issues.length === 0 && registered.length === 0) return na('R-CARD-1', 'not issued, no card registered');
    const problems: string[] = [];
    const inventory = /^INV-/;
    for (const e of issues) if (!inventory.test(String(e.data.inventoryNumber))) problems.push(`issue at ${hm(e.t)} carries no device inventory number`);
    for (const e of registered) if (!String(e.data.inventoryNumber ?? '')) problems.push(`card registered at ${hm(e.t)} without an inventory number`);
    return result('R-CARD-1', problems, `device ${String(issues[0]?.data.inventoryNumber ?? '—')} issued ${issues.length} time(s) by inventory number; card(s) ${registered.map((e) => String(e.data.inventoryNumber)).join(', ') || '—'} registered by inventory number`);
  },

  'R-CARD-2': (r) => {
    const openings = r.truth.sealOpen;
    if (openings.length === 0) return na('R-CARD-2', 'the slot cover was never opened');
    const problems: string[] = [];
    const journalled = entries(r, 'seal-opened');
    for (const o of openings) {
      if (!r.boots.some((b) => b.t <= o.start) || r.powerCuts.some((c) => c.t <= o.start && !r.boots.some((b) => b.t > c.t && b.t <= o.start))) continue;
      const e = near(o.start, journalled, 2)[0];
      if (!e) problems.push(`cover opened at ${hm(o.start)} not journalled`);
      else if (Boolean(e.data.duringDuty) !== inDuty(r, o.start)) problems.push(`cover opened at ${hm(o.start)} journalled as ${e.data.duringDuty ? '' : 'not '}during duty`);
      if (!r.alerts.some((a) => a.kind === 'seal-opened' && a.t >= o.start - 1 && a.t <= o.start + 2) && !r.alerts.some((a) => a.kind === 'seal-opened' && a.t <= o.start && !entries(r, 'seal-resealed').some((x) => x.t > a.t && x.t < o.start))) {
        problems.push(`cover opened at ${hm(o.start)} not announced`);
      }
    }
    for (const a of actionsOf(r, 'reseal')) {
      const responsible = /signed by Capt\. A\. Serikov \(responsible\)/.test(a.detail);
      if (a.outcome === 'ok' && !responsible && !a.detail.startsWith('provision')) problems.push(`reseal at ${hm(a.t)} accepted from someone other than the responsible person`);
    }
    return result('R-CARD-2', problems, `${openings.length} opening(s) of the cover, each journalled and announced at once; resealed only by the responsible person (${entries(r, 'seal-resealed').length} reseal(s))`);
  },

  'R-CARD-3': (r, ev) => {
    const inserts = actionsOf(r, 'card-insert').filter((a) => a.detail !== 'registered');
    if (inserts.length === 0) return na('R-CARD-3', 'no foreign card');
    const problems: string[] = [];
    const refused = entries(r, 'card-refused');
    for (const a of inserts) {
      const e = near(a.t, refused, 5)[0];
      if (!e) problems.push(`${a.detail} card at ${hm(a.t)} not refused in the journal`);
      if (!r.alerts.some((x) => x.kind === 'card-refused' && x.t >= a.t - 1 && x.t <= a.t + 5) && !r.alerts.some((x) => x.kind === 'card-refused' && x.t < a.t && x.t > a.t - 60)) problems.push(`${a.detail} card at ${hm(a.t)} not announced`);
    }
    problems.push(...ev.refusedCardWrites.map((w) => `written onto a refused card: ${w}`));
    return result('R-CARD-3', problems, `${inserts.length} unregistered card(s) (${inserts.map((a) => a.detail).join(', ')}) refused, announced and journalled (${[...new Set(refused.map((e) => String(e.data.reason)))].join(', ')}); nothing written onto them`);
  },

  'R-CARD-4': (r, ev) => {
    if (ev.segments.length === 0 && r.storage().earlierFiles.size === 0) return na('R-CARD-4', 'nothing on the card');
    const problems = [...ev.lostEarlierFiles, ...ev.journalMismatches];
    const receipts = new Set(entries(r, 'offload-receipt').map((e) => `${String(e.data.path)}:${String(e.data.sha256)}`));
    for (const e of entries(r, 'storage-reclaimed')) if (!receipts.has(`${String(e.data.path)}:${String(e.data.sha256)}`)) problems.push(`${String(e.data.path)} deleted without a server receipt`);
    return result('R-CARD-4', problems, `${ev.segments.length} segment file(s) and ${r.storage().earlierFiles.size} earlier file(s) intact on the card; nothing deleted without a receipt`);
  },

  'R-LOG-1': (r) => {
    if (r.journal.verdict === 'unreadable') return result('R-LOG-1', [`journal unreadable: ${r.journal.problems[0] ?? ''}`], '');
    const problems: string[] = [];
    if (r.journal.verdict !== 'valid') problems.push(`journal ${r.journal.verdict}: ${r.journal.problems[0] ?? ''}`);
    const ons = entries(r, 'power-on').length;
    if (ons < r.boots.length) problems.push(`${r.boots.length} power-on(s), ${ons} journalled`);
    if (entries(r, 'power-off').length === 0) problems.push('switching off not journalled');
    const counterpart: Record<string, string> = {
      issue: 'issue',
      return: 'return',
      pause: 'pause-start',
      'set-time': 'time-set',
      reseal: 'seal-resealed',
      'register-card': 'card-registered',
      playback: 'playback',
      'ir-lights': 'ir-lights',
      'journal-correction': 'correction',
    };
    let matched = 0;
    for (const a of r.actions) {
      const type = counterpart[a.do];
      if (a.outcome === 'ok' && type) {
        if (near(a.t, entries(r, type), 5).length === 0) problems.push(`${a.do} at ${hm(a.t)} not journalled`);
        else matched += 1;
      }
      if (a.outcome === 'refused') {
        if (near(a.t, [...entries(r, 'action-refused'), ...entries(r, 'issue-refused')], 5).length === 0) problems.push(`refused ${a.do} at ${hm(a.t)} not journalled`);
        else matched += 1;
      }
    }
    return result('R-LOG-1', problems, `journal ${r.journal.verdict} (${r.journal.records.length} entries, signatures checked); ${ons} power-on(s); ${matched} action(s) and refusal(s) each found in it`);
  },

  'R-LOG-2': (r) => {
    const issues = entries(r, 'issue');
    if (issues.length === 0 || !r.journal.report) return na('R-LOG-2', 'not issued');
    const form = fillForm('mvd-app2', 'en', r.journal.raw, r.journal.report, 0);
    const problems: string[] = [];
    if (form.rows.length !== issues.length) problems.push(`${issues.length} issue(s) but ${form.rows.length} row(s) in the issue/return journal`);
    for (const row of form.rows) {
      const [, inventory, user, receipt, ret] = row.cells;
      if (!inventory) problems.push(`row ${row.cells[0]}: no inventory number`);
      if (!user) problems.push(`row ${row.cells[0]}: no user`);
      if (!/\d/.test(receipt) || !/key/.test(receipt)) problems.push(`row ${row.cells[0]}: no receipt time and signature`);
      if (entries(r, 'return').length > 0 && (!/\d/.test(ret) || !/key/.test(ret))) problems.push(`row ${row.cells[0]}: no return time and signature`);
    }
    return result('R-LOG-2', problems, `MVD App. 2 filled from the journal: ${form.rows.map((row) => `${row.cells[1]} · ${row.cells[2]}`).join('; ')}`);
  },

  'R-LOG-4': (r) => {
    const issues = entries(r, 'issue');
    if (issues.length === 0 || !r.journal.report || r.scenario.device !== 'bodycam') return na('R-LOG-4', r.scenario.device !== 'bodycam' ? 'the hand-over journal is for body cameras' : 'not issued');
    const form = fillForm('trn-app1', 'en', r.journal.raw, r.journal.report, 0);
    const returns = entries(r, 'return').length;
    const problems: string[] = [];
    if (form.rows.length !== issues.length + returns) problems.push(`${issues.length + returns} hand-over(s) but ${form.rows.length} row(s)`);
    for (const row of form.rows) if (!row.cells[2] || !row.cells[3] || !/\d/.test(row.cells[2])) problems.push(`row ${row.cells[0]}: who handed over / took over missing`);
    return result('R-LOG-4', problems, `TRN App. 1 hand-over journal: ${form.rows.length} row(s) with both parties and times`);
  },

  'R-LOG-5': (r) => {
    const asked = actionsOf(r, 'journal-correction');
    if (asked.length === 0) return na('R-LOG-5', 'no correction');
    const problems: string[] = [];
    const corrections = entries(r, 'correction');
    const raw = new Map(r.journal.raw.map((x) => [x.seq, x]));
    for (const a of asked) {
      const c = near(a.t, corrections, 5)[0];
      const responsible = /signed by Capt\. A\. Serikov \(responsible\)/.test(a.detail);
      if (a.outcome === 'ok' && !responsible) problems.push(`correction at ${hm(a.t)} accepted from someone other than the responsible person`);
      if (a.outcome === 'ok' && !c) problems.push(`correction at ${hm(a.t)} not journalled`);
      if (c && !raw.has(Number(c.data.corrects))) problems.push(`correction at ${hm(a.t)}: the corrected entry ${String(c.data.corrects)} is gone`);
      if (a.outcome === 'refused' && c) problems.push(`refused correction at ${hm(a.t)} was written`);
    }
    if (r.journal.verdict !== 'valid') problems.push('the journal no longer verifies');
    return result('R-LOG-5', problems, `${corrections.length} correction(s) added as new signed entries referencing the old ones (kept); ${asked.filter((a) => a.outcome === 'refused').length} unauthorised refused`);
  },

  'R-OFF-3': (r) => {
    const outages = [...r.truth.uplinkDown, ...r.truth.dockLinkDown];
    if (outages.length === 0) return na('R-OFF-3', 'no link outage');
    const problems: string[] = [];
    let held = 0;
    for (const o of outages) {
      const end = o.end ?? r.endSeconds;
      const raised = r.alerts.filter((a) => a.t >= o.start && a.t < end && a.severity !== 'info');
      for (const a of raised) {
        const d = r.truth.deliveries.find((x) => x.kind === a.kind && x.event === 'raised' && x.t >= a.t);
        if (!d) {
          if (r.truth.deliveries.some((x) => x.t > end)) problems.push(`${a.kind} raised at ${hm(a.t)} during the outage never delivered`);
          continue;
        }
        held += 1;
        if (d.t < end - 1) problems.push(`${a.kind} delivered at ${hm(d.t)} while the link was down`);
        const trueWall = r.startEpochMs + a.t * 1000;
        if (Math.abs(d.alertWall - trueWall) > limitsOf(r).timestampToleranceSeconds * 1000) problems.push(`${a.kind} delivered stamped ${new Date(d.alertWall).toISOString()}, raised at ${new Date(trueWall).toISOString()}`);
      }
    }
    const order = r.truth.deliveries.map((d) => d.queuedWall);
    if (order.some((q, i) => i > 0 && q < order[i - 1] - 1)) problems.push('alerts delivered out of order');
    return result('R-OFF-3', problems, `${outages.length} outage(s); ${held} alert(s) raised meanwhile kept on the device and delivered afterwards with the real time of each event`);
  },

  'R-VEH-1': (r) => {
    if (r.scenario.device !== 'vehicle') return na('R-VEH-1', 'not a vehicle recorder');
    if (r.dutyStart === null) return na('R-VEH-1', 'no duty');
    const problems: string[] = [];
    const cams = Object.entries(r.coverageByCamera);
    if (cams.length !== 3) problems.push(`${cams.length} camera(s) recorded, want 3`);
    const duty = r.samples.filter((s) => inDuty(r, s.t) && s.powered && !r.pauses.some((p) => s.t >= p.start && s.t <= p.end));
    const unlit = duty.filter((s) => s.greenLed === false).length;
    if (unlit > 0) problems.push(`mode indicator dark in ${unlit} of ${duty.length} minute(s) of recording`);
    for (const a of actionsOf(r, 'ir-lights')) {
      if (a.outcome === 'ok' && near(a.t, entries(r, 'ir-lights'), 3).length === 0) problems.push(`IR lights switched at ${hm(a.t)}, not journalled`);
    }
    const lightsOff = irLightsOff(r);
    const litWhileOff = r.samples.filter((s) => s.irLed === true && lightsOff(s.t));
    if (litWhileOff.length) problems.push(`IR light on at ${hm(litWhileOff[0].t)} although the crew switched it off`);
    return result('R-VEH-1', problems, `${cams.map(([c, v]) => `${c} ${v.coverage.toFixed(4)}`).join(', ')}; mode indicator lit while recording; IR lights follow the crew's switch (${actionsOf(r, 'ir-lights').length} switch(es))`);
  },

  'R-VEH-2': (r) => {
    if (r.scenario.device !== 'vehicle') return na('R-VEH-2', 'not a vehicle recorder');
    const uplink = r.truth.deliveries.filter((d) => d.channel === 'uplink');
    const due = r.alerts.filter((a) => a.severity !== 'info' && !r.truth.uplinkDown.some((o) => a.t >= o.start && a.t <= (o.end ?? Infinity)));
    if (due.length === 0 && uplink.length === 0) return na('R-VEH-2', 'nothing to report online');
    const problems: string[] = [];
    for (const a of due) {
      const d = uplink.find((x) => x.kind === a.kind && x.t >= a.t - 1);
      if (!d) problems.push(`${a.kind} at ${hm(a.t)} not sent online`);
      else if (d.t - a.t > 60) problems.push(`${a.kind} at ${hm(a.t)} sent online only at ${hm(d.t)}`);
    }
    return result('R-VEH-2', problems, `${uplink.length} message(s) to the duty officer over the online uplink, each within a minute while the link was up`);
  },
};

/** How long an injected fault lasted (s). */
function faultSeconds(a: { detail: string }): number {
  const m = /silent for (\d+(?:\.\d+)?) s/.exec(a.detail);
  return m ? Number(m[1]) : Infinity;
}

/** When the crew had the IR lights switched off (vehicle recorder). */
function irLightsOff(r: ShiftRecord): (t: number) => boolean {
  const switches = actionsOf(r, 'ir-lights').filter((a) => a.outcome === 'ok');
  return (t) => {
    const last = [...switches].reverse().find((a) => a.t <= t - 5);
    return !!last && /off/.test(last.detail);
  };
}

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

/**
 * Every requirement of the spec with its verdict: the built-in check, combined with the
 * scenario's expectations (a failed expectation fails the requirement; an expectation on a
 * requirement the check found n/a makes it pass or fail on the expectation alone), and a
 * requirement the scenario `covers` that came out n/a is a failure (the scenario did not show it).
 */
export function requirementVerdicts(r: ShiftRecord, ev: CardEvidence): RequirementResult[] {
  const byId = new Map<string, RequirementResult>();
  for (const [id, why] of Object.entries(ALL_REQUIREMENTS)) {
    const check = CHECKS[id];
    byId.set(id, check ? check(r, ev) : na(id, why));
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
  for (const id of r.scenario.covers) {
    const v = byId.get(id);
    if (!v || v.verdict === 'n/a') byId.set(id, { id, verdict: 'fail', detail: `the scenario covers ${id} but the shift did not show it: ${v?.detail ?? 'unknown requirement'}` });
  }
  const order = (id: string) => id.replace(/\d+$/, (d) => d.padStart(3, '0'));
  return [...byId.values()].sort((a, b) => (order(a.id) < order(b.id) ? -1 : 1));
}
