/**
 * The services' view of the journal. Journal writes never throw into a service: a journal that
 * fails (internal storage full or broken) must not stop recording (R-REC-1); the failure is
 * counted, kept for the status report and raised as a device fault by the app.
 */
import { Subject, type Observable } from 'rxjs';
import type { EntryData, EntryType, JournalWriter } from '../journal/entries.ts';
import { errorMessage } from './errors.ts';

export class ServiceJournal {
  private readonly failuresSubject = new Subject<{ type: EntryType; error: string }>();
  /** Emits each failed write. */
  readonly failures$: Observable<{ type: EntryType; error: string }> = this.failuresSubject.asObservable();
  failures = 0;
  lastError: string | null = null;

  constructor(private readonly writer: JournalWriter) {}

  /** Appends and resolves with the sequence number, or null when the write failed. Never rejects. */
  async append<T extends EntryType>(type: T, data: EntryData<T>): Promise<number | null> {
    try {
      const { seq } = await this.writer.append(type, data);
      return seq;
    } catch (err) {
      this.failures += 1;
      this.lastError = `${type}: ${errorMessage(err)}`;
      this.failuresSubject.next({ type, error: errorMessage(err) });
      return null;
    }
  }

  /** Fire-and-forget append for routine entries raised from timers and streams. */
  note<T extends EntryType>(type: T, data: EntryData<T>): void {
    void this.append(type, data);
  }
}
