/**
 * Entry validation used on write and on read. zod strips unknown members silently; the journal
 * refuses them instead (at every depth), so a typo in a caller or a foreign writer's extra field
 * is an error, not a quiet loss.
 */
import { ENTRY_SCHEMAS, type EntryType } from './entries.ts';

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
