/**
 * A piecewise-constant timeline: the value set at time `at` holds until the next entry.
 * Append-only in time order (scenarios are played forwards), so models that integrate over the
 * timeline (climate lags) can compute each segment's starting state once, when it is added.
 * Lookups are O(1) for the common case of queries that move forwards, O(log n) otherwise.
 */
export interface TimelineEntry<T> {
  /** Start of the segment, true UTC ms. */
  readonly at: number;
  readonly value: T;
}

export class Timeline<T> {
  private readonly entries: TimelineEntry<T>[] = [];
  private cursor = 0;

  constructor(at: number, initial: T) {
    this.entries.push({ at, value: initial });
  }

  get length(): number {
    return this.entries.length;
  }

  get last(): TimelineEntry<T> {
    return this.entries[this.entries.length - 1];
  }

  /**
   * Sets `value` from `at` on. `at` may not precede the last entry; an entry at the same time
   * replaces it.
   */
  set(at: number, value: T): void {
    if (!Number.isFinite(at)) throw new RangeError(`timeline time must be finite, got ${at}`);
    const last = this.last;
    if (at < last.at) {
      throw new RangeError(`timeline is append-only: ${new Date(at).toISOString()} is before the last change at ${new Date(last.at).toISOString()}`);
    }
    if (at === last.at) this.entries[this.entries.length - 1] = { at, value };
    else this.entries.push({ at, value });
  }

  /** Index of the segment holding time `t` (times before the first entry map to it). */
  indexAt(t: number): number {
    const e = this.entries;
    let i = this.cursor;
    if (e[i].at <= t && (i + 1 === e.length || e[i + 1].at > t)) return i;
    if (i + 1 < e.length && e[i + 1].at <= t && (i + 2 === e.length || e[i + 2].at > t)) {
      this.cursor = i + 1;
      return i + 1;
    }
    let lo = 0;
    let hi = e.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (e[mid].at <= t) lo = mid;
      else hi = mid - 1;
    }
    i = lo;
    this.cursor = i;
    return i;
  }

  entry(index: number): TimelineEntry<T> {
    return this.entries[index];
  }

  at(t: number): T {
    return this.entries[this.indexAt(t)].value;
  }
}
