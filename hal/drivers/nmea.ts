/**
 * NMEA 0183 sentence parsing (GGA and RMC), pure functions so the GNSS driver, the simulator and
 * tests share one definition. Facts: research/hardware-facts.md §6.
 *
 * A sentence is `$` + talker (2 letters) + type + `,`-separated fields + `*hh` (XOR of every
 * character between `$` and `*`, two hex digits). Parsing never throws: every defect is a typed
 * rejection with a reason, so the driver can count it.
 */

export type NmeaRejectReason =
  | 'too-long'
  | 'not-ascii'
  | 'no-start'
  | 'no-checksum'
  | 'bad-checksum'
  | 'malformed';

export type NmeaParse =
  | { ok: true; talker: string; type: string; fields: string[] }
  | { ok: false; reason: NmeaRejectReason };

/** [U] NMEA 0183 limits a sentence to 82 characters including `$` and CR LF. */
export const NMEA_MAX_LENGTH = 82;

export function nmeaChecksum(body: string): number {
  let x = 0;
  for (let i = 0; i < body.length; i++) x ^= body.charCodeAt(i);
  return x;
}

/** Wraps a sentence body (what goes between `$` and `*`) into a full sentence with checksum (no CR LF). */
export function nmeaSentence(body: string): string {
  return `$${body}*${nmeaChecksum(body).toString(16).toUpperCase().padStart(2, '0')}`;
}

/**
 * Validates framing and checksum of one line (without CR LF). `maxLength` counts the line as
 * sent, CR LF included.
 */
export function parseNmea(line: string, maxLength = NMEA_MAX_LENGTH): NmeaParse {
  if (line.length + 2 > maxLength) return { ok: false, reason: 'too-long' };
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) return { ok: false, reason: 'not-ascii' };
  }
  if (line[0] !== '$') return { ok: false, reason: 'no-start' };
  const star = line.lastIndexOf('*');
  if (star < 0 || star !== line.length - 3) return { ok: false, reason: 'no-checksum' };
  const hex = line.slice(star + 1);
  if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return { ok: false, reason: 'no-checksum' };
  const body = line.slice(1, star);
  if (nmeaChecksum(body) !== parseInt(hex, 16)) return { ok: false, reason: 'bad-checksum' };
  const fields = body.split(',');
  const address = fields.shift()!;
  if (!/^[A-Z]{2}[A-Z]{3}$/.test(address)) return { ok: false, reason: 'malformed' };
  return { ok: true, talker: address.slice(0, 2), type: address.slice(2), fields };
}

export interface GgaData {
  /** Milliseconds since UTC midnight; null when the receiver has no time yet. */
  timeOfDayMs: number | null;
  /** The raw time field, used to pair GGA and RMC of one fix. */
  timeField: string;
  latitude: number | null;
  longitude: number | null;
  /** 0 invalid, 1 GPS, 2 DGPS, 4 RTK fixed, 5 RTK float, 6 dead reckoning. */
  quality: number;
  satellites: number | null;
  hdop: number | null;
  altitudeM: number | null;
}

export interface RmcData {
  timeOfDayMs: number | null;
  timeField: string;
  /** Status A. */
  valid: boolean;
  latitude: number | null;
  longitude: number | null;
  speedKmh: number | null;
  courseDeg: number | null;
  /** UTC ms since the epoch from date + time; null when either is missing. */
  utc: number | null;
}

/** `hhmmss` or `hhmmss.sss` → ms since midnight; '' → null; anything else → undefined (malformed). */
export function parseTimeOfDay(field: string): number | null | undefined {
  if (field === '') return null;
  const m = /^(\d{2})(\d{2})(\d{2}(?:\.\d{1,4})?)$/.exec(field);
  if (!m) return undefined;
  const h = Number(m[1]);
  const min = Number(m[2]);
  const s = Number(m[3]);
  if (h > 23 || min > 59 || s >= 61) return undefined;
  return Math.round(((h * 60 + min) * 60 + s) * 1000);
}

/** `ddmmyy` → ms since the epoch of that UTC midnight; years 80–99 are 19xx, 00–79 are 20xx. */
export function parseDate(field: string): number | null | undefined {
  if (field === '') return null;
  const m = /^(\d{2})(\d{2})(\d{2})$/.exec(field);
  if (!m) return undefined;
  const d = Number(m[1]);
  const mo = Number(m[2]);
  const yy = Number(m[3]);
  const y = yy >= 80 ? 1900 + yy : 2000 + yy;
  if (mo < 1 || mo > 12 || d < 1) return undefined;
  const ms = Date.UTC(y, mo - 1, d);
  if (new Date(ms).getUTCDate() !== d) return undefined;
  return ms;
}

/** `ddmm.mmmm` + hemisphere → signed decimal degrees; both empty → null; else undefined when malformed. */
export function parseCoordinate(value: string, hemisphere: string, maxDegrees: 90 | 180): number | null | undefined {
  if (value === '' && hemisphere === '') return null;
  const m = /^(\d{2,3})(\d{2}(?:\.\d+)?)$/.exec(value);
  if (!m) return undefined;
  const deg = Number(m[1]);
  const min = Number(m[2]);
  if (min >= 60) return undefined;
  const v = deg + min / 60;
  if (v > maxDegrees) return undefined;
  const pos = maxDegrees === 90 ? 'N' : 'E';
  const neg = maxDegrees === 90 ? 'S' : 'W';
  if (hemisphere === pos) return v;
  if (hemisphere === neg) return -v;
  return undefined;
}

/** Optional decimal number: '' → null; malformed → undefined. */
function optNumber(field: string | undefined): number | null | undefined {
  if (field === undefined || field === '') return null;
  if (!/^[-+]?\d+(?:\.\d*)?$|^[-+]?\.\d+$/.test(field)) return undefined;
  return Number(field);
}

export function parseGga(fields: string[]): GgaData | null {
  // 14 fields after the address; some receivers omit the last empty ones.
  if (fields.length < 9) return null;
  const timeOfDayMs = parseTimeOfDay(fields[0]);
  const latitude = parseCoordinate(fields[1], fields[2], 90);
  const longitude = parseCoordinate(fields[3], fields[4], 180);
  const quality = fields[5] === '' ? 0 : /^\d$/.test(fields[5]) ? Number(fields[5]) : undefined;
  const sats = optNumber(fields[6]);
  const hdop = optNumber(fields[7]);
  const alt = optNumber(fields[8]);
  if (fields[8] !== '' && fields[9] !== undefined && fields[9] !== 'M') return null;
  if ([timeOfDayMs, latitude, longitude, quality, sats, hdop, alt].includes(undefined)) return null;
  if (sats !== null && (!Number.isInteger(sats) || sats! < 0)) return null;
  return {
    timeOfDayMs: timeOfDayMs!,
    timeField: fields[0],
    latitude: latitude!,
    longitude: longitude!,
    quality: quality!,
    satellites: sats!,
    hdop: hdop!,
    altitudeM: alt!,
  };
}

export function parseRmc(fields: string[]): RmcData | null {
  if (fields.length < 11) return null;
  const timeOfDayMs = parseTimeOfDay(fields[0]);
  const status = fields[1];
  if (status !== 'A' && status !== 'V') return null;
  const latitude = parseCoordinate(fields[2], fields[3], 90);
  const longitude = parseCoordinate(fields[4], fields[5], 180);
  const knots = optNumber(fields[6]);
  const course = optNumber(fields[7]);
  const date = parseDate(fields[8]);
  if ([timeOfDayMs, latitude, longitude, knots, course, date].includes(undefined)) return null;
  if (knots !== null && knots! < 0) return null;
  // NMEA 2.3+ mode indicator: N means "not valid" whatever the status says.
  const mode = fields[11];
  const valid = status === 'A' && mode !== 'N';
  return {
    timeOfDayMs: timeOfDayMs!,
    timeField: fields[0],
    valid,
    latitude: latitude!,
    longitude: longitude!,
    speedKmh: knots === null ? null : knots! * 1.852,
    courseDeg: course!,
    utc: date === null || timeOfDayMs === null ? null : date! + timeOfDayMs!,
  };
}

// ---- writing (simulator) ----

/** Decimal degrees → `ddmm.mmmmm` / `dddmm.mmmmm` and hemisphere. */
export function formatCoordinate(deg: number, kind: 'lat' | 'lon', decimals = 5): [string, string] {
  const hemi = kind === 'lat' ? (deg < 0 ? 'S' : 'N') : deg < 0 ? 'W' : 'E';
  const a = Math.abs(deg);
  let d = Math.floor(a);
  let min = Number(((a - d) * 60).toFixed(decimals));
  if (min >= 60) {
    d += 1;
    min -= 60;
  }
  const dd = String(d).padStart(kind === 'lat' ? 2 : 3, '0');
  const mm = min.toFixed(decimals).padStart(3 + decimals, '0');
  return [`${dd}${mm}`, hemi];
}

export function formatTimeOfDay(utcMs: number): string {
  const d = new Date(utcMs);
  const p2 = (n: number) => String(n).padStart(2, '0');
  return `${p2(d.getUTCHours())}${p2(d.getUTCMinutes())}${p2(d.getUTCSeconds())}.${p2(Math.floor(d.getUTCMilliseconds() / 10))}`;
}

export function formatDate(utcMs: number): string {
  const d = new Date(utcMs);
  const p2 = (n: number) => String(n).padStart(2, '0');
  return `${p2(d.getUTCDate())}${p2(d.getUTCMonth() + 1)}${p2(d.getUTCFullYear() % 100)}`;
}
