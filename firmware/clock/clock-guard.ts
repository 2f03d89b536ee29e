/**
 * The clock guard (R-TIME-1, R-TIME-2). At power-on it loads the RTC time into the device clock
 * and decides whether that time may stamp evidence:
 * - the RTC reports that its oscillator stopped (DS3231 OSF) → untrusted;
 * - the time lies outside the plausible window, or went backwards past the last wall time the
 *   device saw → untrusted;
 * - the clock was not verified (signed time set or dock sync) within the configured period →
 *   untrusted.
 * While untrusted, recording refuses to start, a distinct alert pattern plays and the journal
 * says why (IEC 62676-1-2: never start recording when the timestamp cannot be guaranteed).
 *
 * Only a time set signed by a responsible person changes the time freely (old and new values
 * journalled); an authenticated dock may correct small drift.
 */
import { BehaviorSubject, type Observable } from 'rxjs';
import { z } from 'zod';
import type { Clock, TimerHandle } from '../../hal/clock.ts';
import type { RealTimeClock } from '../../hal/rtc.ts';
import type { Storage } from '../../hal/storage.ts';
import type { AlertSink } from '../alerts/alert-sink.ts';
import type { ServiceJournal } from '../common/journal.ts';
import { loadJson, saveJson } from '../common/persisted.ts';
import { CommandRefusedError, InvalidCommandError, errorMessage } from '../common/errors.ts';
import type { RecorderConfig } from '../app/config.ts';

export type UntrustedReason = 'oscillator-stopped' | 'implausible' | 'not-verified' | 'rtc-unreadable';

export type ClockTrust = { trusted: true; verifiedAt: number } | { trusted: false; reason: UntrustedReason; detail: string };

const stateSchema = z.object({
  /** Device wall time of the last verification (signed set or dock sync), or null when never. */
  lastVerifiedWall: z.number().nullable(),
  /** Highest wall time the device has seen (persisted now and then): detects a clock gone backwards. */
  lastSeenWall: z.number().nullable(),
});
type ClockState = z.infer<typeof stateSchema>;

export const CLOCK_STATE_PATH = 'state/clock.json';

export interface Authorizer {
  name: string;
  keyId: string;
  counter: number;
}

export interface ClockGuardOptions {
  clock: Clock;
  rtc: RealTimeClock;
  internal: Storage;
  journal: ServiceJournal;
  alerts: AlertSink;
  config: RecorderConfig['clock'];
  /** Where a failed state write is reported (it never undoes a verification). */
  onPersistError?: (err: unknown) => void;
}

export class ClockGuard {
  private state: ClockState = { lastVerifiedWall: null, lastSeenWall: null };
  private readonly trustSubject = new BehaviorSubject<ClockTrust>({ trusted: false, reason: 'not-verified', detail: 'not checked yet' });
  /** The current verdict, emitted at once and on every change. */
  readonly trust$: Observable<ClockTrust> = this.trustSubject.asObservable();
  private persistTimer: TimerHandle | null = null;

  constructor(private readonly o: ClockGuardOptions) {}

  get trust(): ClockTrust {
    return this.trustSubject.value;
  }

  get trusted(): boolean {
    return this.trustSubject.value.trusted;
  }

  /** The power-on check: reads the RTC, loads its time into the device clock, decides trust. */
  async check(): Promise<ClockTrust> {
    try {
      this.state = (await loadJson(this.o.internal, CLOCK_STATE_PATH, stateSchema, this.state)).value;
    } catch {
      // Unreadable internal storage: no record of a verification, so the clock is not verified.
    }
    let verdict: ClockTrust;
    let rtcTime: number | undefined;
    try {
      const r = await this.o.rtc.read();
      rtcTime = r.time;
      if (Number.isFinite(r.time)) this.o.clock.setWallTime(r.time);
      verdict = this.judge(r.time, r.oscillatorStopped);
    } catch (err) {
      verdict = { trusted: false, reason: 'rtc-unreadable', detail: errorMessage(err) };
    }
    this.apply(verdict, rtcTime);
    this.startPersisting();
    return verdict;
  }

  /**
   * A time set signed by a responsible person (R-TIME-2); the caller has verified the
   * authorisation. Writes the RTC (clearing its oscillator-stop flag), journals old and new time.
   */
  async setTimeAuthorized(newTime: number, by: Authorizer): Promise<void> {
    if (!Number.isFinite(newTime) || newTime < this.o.config.notBefore || newTime > this.o.config.notAfter) {
      throw new InvalidCommandError(`set-time: ${newTime} is outside the plausible window`);
    }
    const oldTime = this.o.clock.wallTime();
    await this.o.rtc.set(newTime);
    this.o.clock.setWallTime(newTime);
    this.state = { lastVerifiedWall: newTime, lastSeenWall: newTime };
    await this.persistQuietly();
    await this.o.journal.append('time-set', { oldTime, newTime, source: 'authorised', by });
    this.apply({ trusted: true, verifiedAt: newTime });
  }

  /**
   * Time from an authenticated dock. Within `maxDockCorrectionMs` the drift is corrected and the
   * clock counts as verified; a larger difference, a stopped oscillator or an implausible RTC
   * need a signed time set, so the sync is refused (and journalled as drift).
   */
  async dockSync(referenceTime: number): Promise<{ driftMs: number; applied: boolean }> {
    if (!Number.isFinite(referenceTime)) throw new InvalidCommandError('dock time sync: reference time must be a finite number');
    const oldTime = this.o.clock.wallTime();
    const driftMs = oldTime - referenceTime;
    this.o.journal.note('time-drift', { driftMs, reference: 'dock' });
    const t = this.trust;
    const blocked = !t.trusted && t.reason !== 'not-verified';
    if (blocked || Math.abs(driftMs) > this.o.config.maxDockCorrectionMs) {
      const reason = blocked ? `clock untrusted (${t.trusted ? '' : t.reason}): needs a signed time set` : `drift ${Math.round(driftMs)} ms exceeds ${this.o.config.maxDockCorrectionMs} ms`;
      this.o.journal.note('action-refused', { action: 'dock-time-sync', reason });
      throw new CommandRefusedError('dock time sync', reason);
    }
    await this.o.rtc.set(referenceTime);
    this.o.clock.setWallTime(referenceTime);
    this.state = { lastVerifiedWall: referenceTime, lastSeenWall: Math.max(referenceTime, this.state.lastSeenWall ?? referenceTime) };
    await this.persistQuietly();
    if (driftMs !== 0) await this.o.journal.append('time-set', { oldTime, newTime: referenceTime, source: 'dock-sync' });
    this.apply({ trusted: true, verifiedAt: referenceTime });
    return { driftMs, applied: true };
  }

  /** Persists the last-seen wall time (called periodically and at power-off). */
  async persist(): Promise<void> {
    const now = this.o.clock.wallTime();
    if (this.trusted && (this.state.lastSeenWall === null || now > this.state.lastSeenWall)) this.state.lastSeenWall = now;
    await saveJson(this.o.internal, CLOCK_STATE_PATH, this.state);
  }

  private async persistQuietly(): Promise<void> {
    try {
      await this.persist();
    } catch (err) {
      this.o.onPersistError?.(err);
    }
  }

  stop(): void {
    this.persistTimer?.cancel();
    this.persistTimer = null;
  }

  private judge(time: number, oscillatorStopped: boolean): ClockTrust {
    const c = this.o.config;
    if (oscillatorStopped) return { trusted: false, reason: 'oscillator-stopped', detail: 'the RTC oscillator stopped since the time was set' };
    if (!Number.isFinite(time) || time < c.notBefore || time > c.notAfter) {
      return { trusted: false, reason: 'implausible', detail: `RTC time ${time} is outside the plausible window` };
    }
    if (this.state.lastSeenWall !== null && time < this.state.lastSeenWall - c.backwardsToleranceMs) {
      return { trusted: false, reason: 'implausible', detail: `RTC time went back ${Math.round((this.state.lastSeenWall - time) / 1000)} s` };
    }
    if (this.state.lastVerifiedWall === null) return { trusted: false, reason: 'not-verified', detail: 'the time was never verified' };
    if (time - this.state.lastVerifiedWall > c.maxUnverifiedMs) {
      return { trusted: false, reason: 'not-verified', detail: `last verified ${Math.round((time - this.state.lastVerifiedWall) / 3_600_000)} h ago` };
    }
    return { trusted: true, verifiedAt: this.state.lastVerifiedWall };
  }

  private apply(verdict: ClockTrust, rtcTime?: number): void {
    const was = this.trustSubject.value;
    if (verdict.trusted) {
      this.o.alerts.clear('clock-untrusted');
    } else {
      const changed = was.trusted || was.reason !== verdict.reason || was.detail !== verdict.detail;
      if (changed) {
        this.o.journal.note('clock-untrusted', rtcTime === undefined ? { reason: verdict.reason } : { reason: verdict.reason, rtcTime });
        this.o.alerts.raise({
          kind: 'clock-untrusted',
          severity: 'critical',
          message: `clock untrusted (${verdict.reason}): ${verdict.detail}; recording cannot start`,
          details: { reason: verdict.reason },
        });
      }
    }
    this.trustSubject.next(verdict);
  }

  private startPersisting(): void {
    if (this.persistTimer) return;
    this.persistTimer = this.o.clock.setInterval(() => {
      void this.persist().catch(() => undefined);
    }, this.o.config.persistEveryMs);
  }
}
