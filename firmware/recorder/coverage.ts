/**
 * Duty coverage (R-REC-1, R-REC-2): how much of the duty time is accounted for by recorded
 * segments or authorised pauses, and where the gaps are. Pure interval arithmetic, usable on
 * the recorder's live intervals and on segments read back from the journal (startMono/endMono
 * of `segment-closed`, pause windows from the pause entries' timestamps).
 */

export type Interval = readonly [number, number];

export interface CoverageReport {
  dutyMs: number;
  /** Duty time inside recorded segments. */
  recordedMs: number;
  /** Duty time inside authorised pauses and not recorded. */
  pausedMs: number;
  /** (recorded ∪ paused) ∩ duty, over duty; 1 when the duty is empty. */
  coverage: number;
  /** Parts of the duty neither recorded nor paused, longer than the tolerance. */
  gaps: Interval[];
  gapMs: number;
  /** Pairs of segments that overlap each other by more than the tolerance. */
  overlaps: number;
}

/** Sorts and merges intervals that touch within `tolerance`. */
export function mergeIntervals(list: readonly Interval[], tolerance = 0): Array<[number, number]> {
  const sorted = list.filter(([a, b]) => b > a).sort((x, y) => x[0] - y[0]);
  const out: Array<[number, number]> = [];
  for (const [a, b] of sorted) {
    const last = out[out.length - 1];
    if (last && a <= last[1] + tolerance) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}

function clip(list: readonly Interval[], from: number, to: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const [a, b] of list) {
    const s = Math.max(a, from);
    const e = Math.min(b, to);
    if (e > s) out.push([s, e]);
  }
  return out;
}

const total = (list: readonly Interval[]) => list.reduce((n, [a, b]) => n + (b - a), 0);

/**
 * `segments`: recorded intervals (one per segment, or already merged); `pauses`: authorised
 * pause windows; `tolerance`: gaps and overlaps at most this long are rounding (half a frame).
 */
export function analyseCoverage(duty: Interval, segments: readonly Interval[], pauses: readonly Interval[], tolerance = 0): CoverageReport {
  const [from, to] = duty;
  const dutyMs = Math.max(0, to - from);
  let overlaps = 0;
  const sortedSegs = [...segments].sort((x, y) => x[0] - y[0]);
  for (let i = 1; i < sortedSegs.length; i++) if (sortedSegs[i][0] < sortedSegs[i - 1][1] - tolerance) overlaps += 1;
  const rec = clip(mergeIntervals(segments, tolerance), from, to);
  const covered = clip(mergeIntervals([...segments, ...pauses], tolerance), from, to);
  const recordedMs = total(rec);
  const coveredMs = total(covered);
  const gaps: Interval[] = [];
  let cursor = from;
  for (const [a, b] of covered) {
    if (a - cursor > tolerance) gaps.push([cursor, a]);
    cursor = Math.max(cursor, b);
  }
  if (to - cursor > tolerance) gaps.push([cursor, to]);
  return {
    dutyMs,
    recordedMs,
    pausedMs: coveredMs - recordedMs,
    coverage: dutyMs > 0 ? coveredMs / dutyMs : 1,
    gaps,
    gapMs: total(gaps),
    overlaps,
  };
}
