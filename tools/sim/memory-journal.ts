/**
 * A `JournalWriter` that validates every entry against the journal vocabulary and keeps it in
 * memory: the virtual device's journal until the full simulated body camera (with the real
 * append-only journal) is plugged in.
 */
import { ENTRY_SCHEMAS, type EntryData, type EntryType, type JournalWriter } from '../../firmware/journal/entries.ts';
import type { Clock } from '../../hal/clock.ts';
import { InvalidOptionsError } from '../../hal/errors.ts';

export interface MemoryJournalEntry {
  seq: number;
  type: EntryType;
  wall: number;
  mono: number;
  data: unknown;
}

export class MemoryJournal implements JournalWriter {
  readonly entries: MemoryJournalEntry[] = [];
  private listeners: Array<(e: MemoryJournalEntry) => void> = [];

  constructor(private readonly clock: Clock) {}

  async append<T extends EntryType>(type: T, data: EntryData<T>): Promise<{ seq: number }> {
    const parsed = ENTRY_SCHEMAS[type].safeParse(data);
    if (!parsed.success) throw new InvalidOptionsError(`journal ${type}: ${parsed.error.issues[0].path.join('.')}: ${parsed.error.issues[0].message}`);
    const entry = { seq: this.entries.length, type, wall: this.clock.wallTime(), mono: this.clock.monotonic(), data: parsed.data };
    this.entries.push(entry);
    for (const l of this.listeners) l(entry);
    return { seq: entry.seq };
  }

  /** Entries of one type. */
  ofType<T extends EntryType>(type: T): Array<EntryData<T>> {
    return this.entries.filter((e) => e.type === type).map((e) => e.data as EntryData<T>);
  }

  onEntry(listener: (e: MemoryJournalEntry) => void): void {
    this.listeners.push(listener);
  }
}
