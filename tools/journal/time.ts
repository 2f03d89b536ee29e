/**
 * Times in journal output are device wall times shown at a fixed UTC offset (Kazakhstan uses
 * UTC+5 nationwide since 1 March 2024, hence the default), never the host's local zone, so the
 * same journal prints the same everywhere.
 */
import { UsageError } from '../cli/errors.ts';

export const DEFAULT_UTC_OFFSET = '+05:00';

/** Parses "+05:00", "+0500", "-03:30", "Z" or "UTC" into minutes east of UTC. */
export function parseUtcOffset(text: string): number {
  if (text === 'Z' || text.toUpperCase() === 'UTC') return 0;
  const m = /^([+-])(\d{2}):?(\d{2})$/.exec(text);
  if (!m || Number(m[2]) > 14 || Number(m[3]) > 59) throw new UsageError(`--tz: expected an offset like +05:00, got "${text}"`);
  return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3]));
}

export function formatOffset(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  const a = Math.abs(minutes);
  return `${sign}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
}

function parts(ms: number, offsetMin: number) {
  const d = new Date(ms + offsetMin * 60_000);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return {
    y: p(d.getUTCFullYear(), 4),
    mo: p(d.getUTCMonth() + 1),
    d: p(d.getUTCDate()),
    h: p(d.getUTCHours()),
    mi: p(d.getUTCMinutes()),
    s: p(d.getUTCSeconds()),
    ms: p(d.getUTCMilliseconds(), 3),
  };
}

/** "2026-11-23 09:00:00.000" */
export function isoLocal(ms: number, offsetMin: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  const t = parts(ms, offsetMin);
  return `${t.y}-${t.mo}-${t.d} ${t.h}:${t.mi}:${t.s}.${t.ms}`;
}

/** "23.11.2026 09:00:00" (the forms' date style) */
export function formDateTime(ms: number, offsetMin: number): string {
  const t = parts(ms, offsetMin);
  return `${t.d}.${t.mo}.${t.y} ${t.h}:${t.mi}:${t.s}`;
}

export function formDate(ms: number, offsetMin: number): string {
  const t = parts(ms, offsetMin);
  return `${t.d}.${t.mo}.${t.y}`;
}

/** Duration as "hh.mm.ss" (TRN App. 2) or "hh.mm" (TRN App. 3). */
export function formDuration(ms: number, withSeconds: boolean): string {
  const total = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const p = (n: number) => String(n).padStart(2, '0');
  return withSeconds ? `${p(h)}.${p(m)}.${p(s)}` : `${p(h)}.${p(m)}`;
}

/**
 * A time argument: epoch milliseconds, an ISO 8601 time with a zone, or a date / date-time
 * without one (read at the given offset): "2026-11-23", "2026-11-23 09:30", "2026-11-23T09:30:15Z".
 */
export function parseTimeArg(text: string, offsetMin: number, option: string): number {
  if (/^\d+$/.test(text)) return Number(text);
  const m = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?))?(Z|[+-]\d{2}:?\d{2})?$/.exec(text);
  if (!m) throw new UsageError(`${option}: expected a date/time like 2026-11-23 09:30 or epoch ms, got "${text}"`);
  const iso = `${m[1]}T${m[2] ?? '00:00'}${m[2] && m[2].length === 5 ? ':00' : ''}`;
  const base = Date.parse(`${iso}Z`);
  if (!Number.isFinite(base)) throw new UsageError(`${option}: not a valid date/time: "${text}"`);
  const zone = m[3] === undefined ? offsetMin : parseUtcOffset(m[3].length === 5 ? `${m[3].slice(0, 3)}:${m[3].slice(3)}` : m[3]);
  return base - zone * 60_000;
}
