/** `dozor journal show`: a readable table of records, with filters. */
import { CHECKPOINT, FILE_HEADER } from '../../firmware/journal/format.ts';
import type { JournalRecord } from '../../firmware/journal/reader.ts';
import { toHex } from '../../protocol/crypto.ts';
import { formatOffset, isoLocal } from './time.ts';

export interface ShowFilter {
  /** Only these record types (entry types, or file-header / checkpoint). */
  types?: ReadonlySet<string>;
  /** Device wall time bounds, ms since epoch, inclusive. */
  since?: number;
  until?: number;
  /** Include file headers and checkpoints (default: entries only, unless asked for by type). */
  all?: boolean;
}

export function isStructural(type: string): boolean {
  return type === FILE_HEADER || type === CHECKPOINT;
}

export function selectRecords(records: readonly JournalRecord[], f: ShowFilter): JournalRecord[] {
  return records.filter(
    (r) =>
      (f.types ? f.types.has(r.type) : f.all || !isStructural(r.type)) &&
      (f.since === undefined || r.wall >= f.since) &&
      (f.until === undefined || r.wall <= f.until),
  );
}

/** seq → seqs of the corrections that reference it. */
export function correctionsIndex(records: readonly JournalRecord[]): Map<number, number[]> {
  const m = new Map<number, number[]>();
  for (const r of records) {
    if (r.type !== 'correction' || typeof r.data.corrects !== 'number') continue;
    const list = m.get(r.data.corrects) ?? [];
    list.push(r.seq);
    m.set(r.data.corrects, list);
  }
  return m;
}

function isAuthorizer(v: unknown): v is { name: string; keyId: string; counter: number } {
  if (!v || typeof v !== 'object') return false;
  const o = v as Record<string, unknown>;
  return Object.keys(o).length === 3 && typeof o.name === 'string' && typeof o.keyId === 'string' && typeof o.counter === 'number';
}

/** JSON with bytes as hex; a record too deeply nested to print (only a foreign writer makes one) shows as a marker. */
function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v, (_k, x: unknown) => (x instanceof Uint8Array ? toHex(x) : x));
  } catch {
    return '"(too deeply nested to show)"';
  }
}

function scalar(v: unknown): string {
  if (v instanceof Uint8Array) return toHex(v);
  if (typeof v === 'string') return /^[^\s="]+$/.test(v) && v.length > 0 ? v : JSON.stringify(v);
  if (v === null || typeof v !== 'object') return String(v);
  return safeJson(v);
}

/** "key=value …" with nested maps flattened ("vehicle.plate=…") and signers shown as "name [key id #counter]". */
export function describeData(data: Record<string, unknown>, prefix = '', depth = 0): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(data)) {
    const key = prefix + k;
    if (isAuthorizer(v)) parts.push(`${key}=${scalar(v.name)} [key ${v.keyId} #${v.counter}]`);
    else if (v && typeof v === 'object' && !(v instanceof Uint8Array) && !Array.isArray(v) && depth < 4) parts.push(describeData(v as Record<string, unknown>, `${key}.`, depth + 1));
    else parts.push(`${key}=${scalar(v)}`);
  }
  return parts.filter((p) => p.length > 0).join(' ');
}

export function renderTable(rows: readonly JournalRecord[], all: readonly JournalRecord[], offsetMin: number): string {
  const corrected = correctionsIndex(all);
  const head = ['seq', `device time (UTC${formatOffset(offsetMin)})`, 'mono s', 'type', 'details'];
  const body = rows.map((r) => {
    const fix = corrected.get(r.seq);
    const details = describeData(r.data) + (fix ? `  [corrected by #${fix.join(', #')}]` : '');
    return [String(r.seq), isoLocal(r.wall, offsetMin), (r.mono / 1000).toFixed(3), r.type, details];
  });
  const widths = head.slice(0, 4).map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === 4 ? c : i === 0 || i === 2 ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w)).concat('-------')), ...body.map(line)].join('\n');
}

/** One JSON object per line, binary fields as hex. */
export function renderJsonLines(rows: readonly JournalRecord[]): string {
  return rows.map((r) => safeJson(r)).join('\n');
}
