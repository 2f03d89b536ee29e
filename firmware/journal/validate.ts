/**
 * Entry validation used on write and on read. zod strips unknown members silently; the journal
 * refuses them instead (at every depth), so a typo in a caller or a foreign writer's extra field
 * is an error, not a quiet loss.
 */
import { ENTRY_SCHEMAS, type EntryData, type EntryType } from './entries.ts';
import { JournalEntryError } from './errors.ts';

export function isEntryType(type: string): type is EntryType {
  return Object.prototype.hasOwnProperty.call(ENTRY_SCHEMAS, type);
}

export type EntryCheck = { ok: true; data: Record<string, unknown> } | { ok: false; reason: string };

/** Validates `data` against the schema of `type`; on success returns the normalised data to store. */
export function checkEntry(type: string, data: unknown): EntryCheck {
  if (!isEntryType(type)) return { ok: false, reason: `unknown entry type "${type}"` };
  const parsed = ENTRY_SCHEMAS[type].safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue.path.length > 0 ? issue.path.join('.') : '(entry)';
    return { ok: false, reason: `${where}: ${issue.message}` };
  }
  const extra = firstExtraKey(data, parsed.data, '');
  if (extra !== null) return { ok: false, reason: `${extra}: unknown field` };
  return { ok: true, data: parsed.data as Record<string, unknown> };
}

/** Path of the first member of `input` that the schema's output does not have (undefined members ignored). */
function firstExtraKey(input: unknown, output: unknown, path: string): string | null {
  if (input === null || typeof input !== 'object' || output === null || typeof output !== 'object') return null;
  if (Array.isArray(input)) {
    if (!Array.isArray(output)) return null;
    for (let i = 0; i < input.length; i++) {
      const r = firstExtraKey(input[i], output[i], `${path}[${i}]`);
      if (r !== null) return r;
    }
    return null;
  }
  const out = output as Record<string, unknown>;
  for (const [k, v] of Object.entries(input)) {
    if (v === undefined) continue;
    const p = path ? `${path}.${k}` : k;
    if (!Object.prototype.hasOwnProperty.call(out, k)) return p;
    const r = firstExtraKey(v, out[k], p);
    if (r !== null) return r;
  }
  return null;
}

/**
 * What `Journal.append` accepts from a service: a valid entry of a type services may write.
 * `recovery` is written only by the journal itself, `correction` only through `correct()`.
 * Test doubles of `JournalWriter` call this too, so they refuse exactly what the journal refuses.
 */
export function checkServiceAppend<T extends EntryType>(type: T, data: EntryData<T>): EntryData<T> {
  if (type === 'recovery') throw new JournalEntryError(type, 'written only by the journal itself when it recovers');
  if (type === 'correction') throw new JournalEntryError(type, 'use Journal.correct() with a signed journal-correction authorisation (R-LOG-5)');
  const checked = checkEntry(type, data);
  if (!checked.ok) throw new JournalEntryError(type, checked.reason);
  return checked.data as EntryData<T>;
}
