/**
 * Runs the shift state machine: every transition is journalled (`shift-state`, then the detailed
 * entry: issue, duty-start, pause-start/-end, return, duty-end) and persisted on internal storage,
 * so a reboot during duty resumes recording at once. It refuses what the regulations forbid:
 * issue with too little charge (R-PWR-4), duty start with an untrusted clock (R-TIME-1) or
 * without a registered card, a pause without a signed authorisation (R-REC-2), stopping
 * recording during duty (R-REC-6).
 */
import { BehaviorSubject, type Observable, type Subscription } from 'rxjs';
import { z } from 'zod';
import type { Clock, TimerHandle } from '../../hal/clock.ts';
import type { Storage } from '../../hal/storage.ts';
import type { EvidenceVolume } from '../card/evidence-volume.ts';
import type { ServiceJournal } from '../common/journal.ts';
import type { EntryData } from '../journal/entries.ts';
import { SerialQueue, loadJson, saveJson } from '../common/persisted.ts';
import { CommandRefusedError, ForbiddenTransitionError, InvalidCommandError, IssueRefusedError, RecordingRefusedError, errorMessage } from '../common/errors.ts';
import type { FaultReporter } from '../faults/fault-reporter.ts';
import type { Authorizer, ClockGuard } from '../clock/clock-guard.ts';
import type { PowerService } from '../power/power-service.ts';
import type { Recorder, RecorderStats } from '../recorder/recorder.ts';
import { analyseCoverage, type CoverageReport, type Interval } from '../recorder/coverage.ts';
import type { RecorderConfig } from '../app/config.ts';
import { isDuty, nextState, type ShiftCommand, type ShiftEvent, type ShiftState } from './shift-machine.ts';

const authorizerSchema = z.object({ name: z.string(), keyId: z.string(), counter: z.number().int().nonnegative() });
const vehicleSchema = z.object({ boardNumber: z.string().min(1).optional(), plate: z.string().min(1).optional(), trip: z.string().min(1).optional() });

/** Parameters of a signed `issue` authorisation. */
export const issueParamsSchema = z
  .object({
    inventoryNumber: z.string().min(1),
    officer: z.string().min(1).optional(),
    vehicle: vehicleSchema.optional(),
    plannedShiftHours: z.number().positive().max(24),
  })
  .refine((p) => p.officer !== undefined || p.vehicle !== undefined, { message: 'an issue names an officer or a vehicle' });
export type IssueParams = z.infer<typeof issueParamsSchema>;

/** Parameters of a signed `pause` authorisation (R-REC-2). */
export const pauseParamsSchema = z.object({ reason: z.enum(['rest', 'meal']), maxMinutes: z.number().positive() });
export type PauseParams = z.infer<typeof pauseParamsSchema>;

/** Parameters of a signed `return` authorisation. */
export const returnParamsSchema = z.object({ note: z.string().optional() });

const recordSchema = z.object({
  state: z.enum(['stowed', 'issued', 'on-duty', 'paused', 'returned', 'docked']),
  issue: z
    .object({
      inventoryNumber: z.string(),
      officer: z.string().optional(),
      vehicle: vehicleSchema.optional(),
      plannedShiftHours: z.number(),
      by: authorizerSchema,
      atWall: z.number(),
    })
    .nullable(),
  duty: z.object({ startWall: z.number(), recordedMs: z.number(), pausedMs: z.number() }).nullable(),
  pause: z.object({ reason: z.enum(['rest', 'meal']), maxMinutes: z.number(), by: authorizerSchema, fromWall: z.number(), untilWall: z.number() }).nullable(),
});
export type ShiftRecord = z.infer<typeof recordSchema>;

export const SHIFT_STATE_PATH = 'state/shift.json';

export interface DutySummary {
  recordedMs: number;
  pausedMs: number;
  cameras: RecorderStats[];
}

export interface ShiftServiceOptions {
  clock: Clock;
  internal: Storage;
  journal: ServiceJournal;
  recorders: readonly Recorder[];
  clockGuard: ClockGuard;
  power: PowerService;
  evidence: EvidenceVolume;
  inventoryNumber: string;
  config: RecorderConfig;
  faults: FaultReporter;
}

export class ShiftService {
  private record: ShiftRecord = { state: 'stowed', issue: null, duty: null, pause: null };
  private readonly stateSubject = new BehaviorSubject<ShiftState>('stowed');
  /** The shift state, emitted at once and on every transition. */
  readonly state$: Observable<ShiftState> = this.stateSubject.asObservable();
  private readonly writes = new SerialQueue();
  private pauseTimer: TimerHandle | null = null;
  private pauseCause: 'expired' | 'resumed' | 'duty-end' = 'resumed';
  private pauseSettled: Promise<void> | null = null;
  private recording = false;
  private trustSub: Subscription | null = null;
  private dutyFinished: Promise<DutySummary> | null = null;
  /** This boot's view of the duty, in monotonic ms, for live coverage. */
  private dutyFrom: number | null = null;
  private dutyTo: number | null = null;
  private readonly pauseWindows: Array<[number, number | null]> = [];
  private poweredOff = false;

  constructor(private readonly o: ShiftServiceOptions) {}

  get state(): ShiftState {
    return this.record.state;
  }

  get issueRecord(): ShiftRecord['issue'] {
    return this.record.issue;
  }

  get pauseRecord(): ShiftRecord['pause'] {
    return this.record.pause;
  }

  async load(): Promise<string | null> {
    const { value, problem } = await loadJson(this.o.internal, SHIFT_STATE_PATH, recordSchema, this.record);
    this.record = value;
    this.stateSubject.next(value.state);
    return problem;
  }

  /**
   * After power-on: a device that was on duty records again at once (R-REC-1), or as soon as
   * its clock is trusted; an expired pause ends.
   */
  resumeAfterBoot(): void {
    if (!isDuty(this.state)) return;
    this.trustSub = this.o.clockGuard.trust$.subscribe((t) => {
      if (!t.trusted || this.recording || this.poweredOff || !isDuty(this.state)) return;
      this.startRecorders();
      if (this.state === 'paused' && this.record.pause) {
        const left = this.record.pause.untilWall - this.o.clock.wallTime();
        if (left <= 0) void this.resume('expired').catch(() => undefined);
        else this.armPause(left);
      }
    });
    if (!this.o.clockGuard.trusted) {
      const t = this.o.clockGuard.trust;
      this.o.journal.note('recording-refused', { reason: `clock untrusted${t.trusted ? '' : ` (${t.reason})`}` });
    }
  }

  /** R-LOG-2 / R-PWR-4: hands the device to an officer or a crew. */
  async issue(params: IssueParams, by: Authorizer): Promise<ShiftState> {
    this.guard('issue');
    if (params.inventoryNumber !== this.o.inventoryNumber) {
      throw new InvalidCommandError(`issue names inventory number ${params.inventoryNumber}, this device is ${this.o.inventoryNumber}`);
    }
    const check = await this.o.power.checkIssue(params.plannedShiftHours);
    const batteryHours = Math.round(check.batteryHours * 100) / 100;
    if (!check.ok) {
      await this.o.journal.append('issue-refused', {
        reason: 'charge cannot cover the planned shift',
        plannedShiftHours: params.plannedShiftHours,
        batteryHours,
      });
      throw new IssueRefusedError('charge cannot cover the planned shift', check.batteryHours, params.plannedShiftHours);
    }
    await this.transition('issue', async () => {
      this.record.issue = { ...params, by, atWall: this.o.clock.wallTime() };
      this.record.duty = null;
      this.record.pause = null;
    });
    const entry: EntryData<'issue'> = { inventoryNumber: params.inventoryNumber, plannedShiftHours: params.plannedShiftHours, batteryHours, by };
    if (params.officer !== undefined) entry.officer = params.officer;
    if (params.vehicle !== undefined) entry.vehicle = params.vehicle;
    await this.o.journal.append('issue', entry);
    return this.state;
  }

  /** Duty starts and recording with it (R-REC-1); refused with an untrusted clock (R-TIME-1). */
  async startDuty(): Promise<ShiftState> {
    this.guard('duty-start');
    if (!this.o.clockGuard.trusted) {
      const t = this.o.clockGuard.trust;
      const detail = t.trusted ? '' : `${t.reason}: ${t.detail}`;
      await this.o.journal.append('recording-refused', { reason: `clock untrusted (${detail})` });
      throw new RecordingRefusedError('clock-untrusted', detail);
    }
    const readiness = this.o.evidence.readiness();
    if (readiness !== 'ready') {
      await this.o.journal.append('recording-refused', { reason: `evidence card ${readiness}` });
      throw new RecordingRefusedError('card-not-ready', `evidence card is ${readiness}`);
    }
    await this.transition('duty-start', async () => {
      this.record.duty = { startWall: this.o.clock.wallTime(), recordedMs: 0, pausedMs: 0 };
    });
    const officer = this.record.issue?.officer;
    await this.o.journal.append('duty-start', officer !== undefined ? { officer } : {});
    this.dutyFrom = this.o.clock.monotonic();
    this.dutyTo = null;
    this.pauseWindows.length = 0;
    this.dutyFinished = null;
    this.startRecorders();
    return this.state;
  }

  /** An authorised pause (R-REC-2); resumes by itself after `maxMinutes`. */
  async pause(params: PauseParams, by: Authorizer): Promise<ShiftState> {
    this.guard('pause');
    if (params.maxMinutes > this.o.config.pause.maxMinutes) {
      throw new InvalidCommandError(`pause of ${params.maxMinutes} min exceeds the ${this.o.config.pause.maxMinutes} min limit`);
    }
    const fromWall = this.o.clock.wallTime();
    await this.transition('pause', async () => {
      this.record.pause = { ...params, by, fromWall, untilWall: fromWall + params.maxMinutes * 60_000 };
    });
    await this.o.journal.append('pause-start', { reason: params.reason, maxMinutes: params.maxMinutes, by });
    this.armPause(params.maxMinutes * 60_000);
    return this.state;
  }

  /** Ends a pause: early by the officer, or when its time is up. */
  async resume(cause: 'expired' | 'resumed' = 'resumed'): Promise<ShiftState> {
    this.guard('resume');
    this.pauseTimer?.cancel();
    this.pauseTimer = null;
    this.pauseCause = cause;
    await this.transition('resume', async () => {
      this.record.pause = null;
    });
    this.closePauseWindow();
    for (const r of this.o.recorders) r.resume();
    return this.state;
  }

  /**
   * The device is handed back (signed `return`): from duty this ends the duty. Recording keeps
   * the GOP in flight and then closes; `dutyEnded()` resolves when the last segment is durable.
   */
  async returnDevice(by: Authorizer, note?: string): Promise<ShiftState> {
    const from = this.state;
    this.guard('return');
    const wasDuty = isDuty(from);
    if (from === 'paused') {
      this.pauseTimer?.cancel();
      this.pauseTimer = null;
      this.pauseCause = 'duty-end';
    }
    await this.transition('return', async () => {
      this.record.pause = null;
    });
    await this.o.journal.append('return', note !== undefined ? { by, note } : { by });
    if (wasDuty) {
      this.dutyTo = this.o.clock.monotonic();
      this.closePauseWindow();
      this.dutyFinished = this.finishDuty();
    }
    return this.state;
  }

  /** Resolves with the duty's totals once the last segment is closed (immediately if no duty ran). */
  dutyEnded(): Promise<DutySummary | null> {
    return this.dutyFinished ?? Promise.resolve(null);
  }

  /** The dock reports that every recording was offloaded with receipts: back to stowed. */
  async offloaded(): Promise<ShiftState> {
    this.guard('offloaded');
    await this.transition('offloaded', async () => {
      this.record.issue = null;
    });
    return this.state;
  }

  /** Dock presence changed (physical: never refused, only ignored outside the table). */
  async onDock(docked: boolean): Promise<void> {
    const event: ShiftEvent = docked ? 'dock' : 'undock';
    if (nextState(this.state, event) === this.state) return;
    await this.transition(event, async () => undefined);
  }

  /** Journals a refused command and returns the error to throw (buttons, API calls). */
  refuse(command: ShiftCommand, reason?: string): ForbiddenTransitionError {
    let err = new ForbiddenTransitionError(this.state, command, reason);
    if (reason === undefined) {
      try {
        nextState(this.state, command);
      } catch (e) {
        err = e as ForbiddenTransitionError;
      }
    }
    this.o.journal.note('action-refused', { action: command, reason: err.message, state: this.state });
    return err;
  }

  /** Whether a command is possible now. */
  can(command: ShiftCommand): boolean {
    try {
      return nextState(this.state, command) !== undefined;
    } catch {
      return false;
    }
  }

  /**
   * Power-off (clean shutdown, flat battery): closes the open segments at once and keeps the
   * shift state, so the next power-on continues the duty.
   */
  async powerOff(): Promise<void> {
    this.poweredOff = true;
    this.trustSub?.unsubscribe();
    this.pauseTimer?.cancel();
    this.pauseTimer = null;
    const wasRecording = this.recording;
    this.recording = false;
    // Also cuts short a duty end still waiting for its last GOP: power is going now.
    const stats = await Promise.all(this.o.recorders.map((r) => r.finish(false)));
    if (wasRecording) await this.saveTotals(stats);
    if (this.dutyFinished) await this.dutyFinished.catch(() => undefined);
    await this.writes.idle();
  }

  /** Live coverage of this boot's duty (main camera unless another is named). */
  coverage(camera?: string): CoverageReport | null {
    if (this.dutyFrom === null) return null;
    const rec = this.o.recorders.find((r) => r.camera === camera) ?? this.o.recorders[0];
    // While the duty runs, the GOP in flight cannot have been written yet: look one GOP back.
    const gop = (this.o.config.video.keyframeInterval / this.o.config.video.fps) * 1000;
    const to = this.dutyTo ?? Math.max(this.dutyFrom, this.o.clock.monotonic() - gop);
    const pauses: Interval[] = this.pauseWindows.map(([a, b]) => [a, b ?? to] as const);
    return analyseCoverage([this.dutyFrom, to], rec.recordedIntervals(), pauses, 500 / this.o.config.video.fps);
  }

  /** Totals of the current or last duty as persisted. */
  dutyTotals(): ShiftRecord['duty'] {
    return this.record.duty;
  }

  // ---- internals ----

  private guard(command: ShiftCommand): void {
    try {
      nextState(this.state, command);
    } catch (err) {
      this.o.journal.note('action-refused', { action: command, reason: (err as Error).message, state: this.state });
      throw err;
    }
    if (this.poweredOff) throw new CommandRefusedError(command, 'the device is shutting down');
  }

  private async transition(event: ShiftEvent, mutate: () => Promise<void>): Promise<void> {
    const from = this.record.state;
    const to = nextState(from, event);
    this.record.state = to;
    await mutate();
    await this.persist();
    await this.o.journal.append('shift-state', { from, to, event });
    this.stateSubject.next(to);
  }

  /**
   * Persists the shift record. A broken internal storage is a fault, not a refusal: the
   * transition stands (recording matters more than surviving the next reboot).
   */
  private persist(): Promise<void> {
    const snapshot = structuredClone(this.record);
    return this.writes.run(async () => {
      try {
        await saveJson(this.o.internal, SHIFT_STATE_PATH, snapshot);
      } catch (err) {
        this.o.faults.raise('internal storage', `shift state: ${errorMessage(err)}`);
      }
    });
  }

  private startRecorders(): void {
    if (this.recording) return;
    this.recording = true;
    if (this.dutyFrom === null) this.dutyFrom = this.o.clock.monotonic();
    for (const r of this.o.recorders) r.start();
    this.o.power.setRecording(true);
  }

  /** Starts the pause's expiry timer and, when recording, pauses the recorders. */
  private armPause(durationMs: number): void {
    this.pauseWindows.push([this.o.clock.monotonic(), null]);
    this.pauseCause = 'resumed';
    this.pauseTimer?.cancel();
    this.pauseTimer = this.o.clock.setTimeout(() => {
      this.pauseTimer = null;
      void this.resume('expired').catch(() => undefined);
    }, durationMs);
    if (!this.recording) return;
    const handles = this.o.recorders.map((r) => r.pause());
    this.pauseSettled = Promise.all(handles.map((h) => h.settled)).then(async (spans) => {
      // A power-off ends the recording, not the pause: the pause goes on after power-on.
      if (this.poweredOff) return;
      // The main camera's unrecorded span is the duty's; the others differ by GOP alignment only.
      const pausedMs = spans[0] ?? 0;
      if (this.record.duty) this.record.duty.pausedMs += pausedMs;
      await this.o.journal.append('pause-end', { pausedMs, cause: this.pauseCause });
    });
  }

  private closePauseWindow(): void {
    const last = this.pauseWindows[this.pauseWindows.length - 1];
    if (last && last[1] === null) last[1] = this.o.clock.monotonic();
  }

  private async finishDuty(): Promise<DutySummary> {
    this.recording = false;
    const stats = await Promise.all(this.o.recorders.map((r) => r.finish(true)));
    if (this.pauseSettled) await this.pauseSettled;
    this.pauseSettled = null;
    this.o.power.setRecording(false);
    const summary = await this.saveTotals(stats);
    await this.o.journal.append('duty-end', { recordedMs: summary.recordedMs, pausedMs: summary.pausedMs });
    await this.o.power.saveLearnedDraw().catch(() => undefined);
    return summary;
  }

  private async saveTotals(stats: RecorderStats[]): Promise<DutySummary> {
    const recordedMs = stats[0]?.recordedMs ?? 0;
    if (this.record.duty) this.record.duty.recordedMs += recordedMs;
    await this.persist();
    return { recordedMs: this.record.duty?.recordedMs ?? recordedMs, pausedMs: this.record.duty?.pausedMs ?? 0, cameras: stats };
  }
}

/** Parses authorisation parameters with a schema, as a typed command error. */
export function parseParams<S extends z.ZodType>(schema: S, params: unknown, action: string): z.infer<S> {
  const r = schema.safeParse(params);
  if (!r.success) throw new InvalidCommandError(`${action}: ${r.error.issues.map((i) => `${i.path.join('.') || 'params'} ${i.message}`).join('; ')}`);
  return r.data;
}
