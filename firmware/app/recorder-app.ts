/**
 * The recorder application shared by the body camera and the vehicle recorder: it builds the
 * services (alerts, clock guard, authorisations, power, day/night, condensation, free space,
 * faults, recorders, shift) on one board, one clock and one journal, wires the buttons and the
 * dock contact, and offers one small API to the shift runner, the dock session and the uplink.
 *
 * Nothing here waits on the clock in a command path: commands resolve after storage and journal
 * writes; the work that needs time to pass (the last GOP of a duty, alert patterns) completes
 * while the clock runs (`dutyEnded()`, `idle()`).
 */
import { Subject, filter, merge, map, type Observable, type Subscription } from 'rxjs';
import { z } from 'zod';
import type { Board } from '../../hal/board.ts';
import type { Clock } from '../../hal/clock.ts';
import type { Random } from '../../hal/random.ts';
import type { Camera } from '../../hal/camera.ts';
import type { LightSample } from '../../hal/light.ts';
import type { ClimateSample } from '../../hal/climate.ts';
import type { ButtonEvent } from '../../hal/buttons.ts';
import type { DayNightMode } from '../../hal/ir.ts';
import { InvalidOptionsError } from '../../hal/errors.ts';
import type { AuthorizedAction, SignedAuthorization, TrustedKey } from '../../protocol/authorization.ts';
import type { Ed25519PrivateKey } from '../../protocol/crypto.ts';
import type { JournalWriter } from '../journal/entries.ts';
import type { EvidenceVolume } from '../card/evidence-volume.ts';
import type { Alert } from '../alerts/alert-sink.ts';
import { AlertService, type AlertEvent, type AlertLogEntry } from '../alerts/alert-service.ts';
import type { AlertTransport } from '../alerts/outbound-queue.ts';
import { ServiceJournal } from '../common/journal.ts';
import { loadJson, saveJson } from '../common/persisted.ts';
import { CommandRefusedError, errorMessage } from '../common/errors.ts';
import { SensorPoller } from '../common/sensor-poller.ts';
import { FaultReporter } from '../faults/fault-reporter.ts';
import { ClockGuard, type ClockTrust } from '../clock/clock-guard.ts';
import { AuthorizationService, type AuthorizationHandler, type AuthorizationOutcome, type SelfVerifyingHandler } from '../auth/authorizations.ts';
import type { AuthorizationGate } from '../auth/authorization-gate.ts';
import { PowerService, type PowerStatus } from '../power/power-service.ts';
import { DayNightService } from '../daynight/day-night.ts';
import { CondensationService, type CondensationState } from '../climate/condensation.ts';
import { SpaceMonitor, type SpaceStatus } from '../space/space-monitor.ts';
import { Recorder, type AssignedMarker, type RecorderStats } from '../recorder/recorder.ts';
import { RecordingHealth } from '../recorder/recording-health.ts';
import { PlaybackService, type PlaybackClip, type PlaybackRequest } from '../recorder/playback.ts';
import type { ClosedSegment } from '../recorder/segment-writer.ts';
import type { CoverageReport } from '../recorder/coverage.ts';
import { ShiftService, issueParamsSchema, parseParams, pauseParamsSchema, returnParamsSchema, type DutySummary, type ShiftRecord } from '../shift/shift-service.ts';
import { isDuty, type ShiftState } from '../shift/shift-machine.ts';
import { parseRecorderConfig, type RecorderConfig, type RecorderConfigInput } from './config.ts';

export const FIRMWARE_VERSION = 'dozor-recorder 0.1.0';

/** Who the device is: provisioned at the factory / by the responsible person. */
export interface DeviceIdentity {
  /** Serial number: authorisations name it, every segment and alert carries it. */
  serial: string;
  /** Inventory number used at issue, return and offload (R-CARD-1). */
  inventoryNumber: string;
  /** The device's own signing key (for the dock session's use; the recorder does not sign). */
  deviceKey?: Ed25519PrivateKey;
  /** Keys of the people (and docks) whose authorisations this device accepts. */
  trustedKeys: readonly TrustedKey[];
}

export interface RecorderFirmwareOptions {
  board: Board;
  clock: Clock;
  random: Random;
  identity: DeviceIdentity;
  /** Partial configuration; everything else takes its default. */
  config?: RecorderConfigInput;
  journal: JournalWriter;
  /** The sealed card as the card guard presents it. */
  evidence: EvidenceVolume;
  /** The device's one authorisation gate (shared with the card guard); opened on internal storage when absent. */
  authorizationGate?: AuthorizationGate;
  firmwareVersion?: string;
}

export type FirmwareEvent =
  | { type: 'state'; state: ShiftState }
  | { type: 'segment'; segment: ClosedSegment }
  | { type: 'marker'; marker: AssignedMarker }
  | { type: 'alert'; event: AlertEvent }
  | { type: 'day-night'; mode: DayNightMode }
  | { type: 'shutdown'; reason: ShutdownReason };

export type ShutdownReason = 'shutdown' | 'user' | 'battery-empty';

export interface FirmwareStatus {
  variant: 'bodycam' | 'vehicle';
  serial: string;
  inventoryNumber: string;
  running: boolean;
  shutdown: ShutdownReason | null;
  state: ShiftState;
  issue: ShiftRecord['issue'];
  pause: ShiftRecord['pause'];
  clock: ClockTrust;
  recording: {
    active: boolean;
    paused: boolean;
    cameras: RecorderStats[];
    /** This boot's duty coverage for the main camera (null before duty starts). */
    coverage: CoverageReport | null;
    /** Duty totals as persisted (across reboots). */
    duty: ShiftRecord['duty'];
  };
  dayNight: DayNightMode | 'unknown';
  irLightsEnabled: boolean;
  power: PowerStatus;
  /** Hours of recording left on the packs; null on external power. */
  batteryHours: number | null;
  storage: SpaceStatus;
  condensation: CondensationState;
  alerts: Alert[];
  outboundQueued: number;
  faults: Array<{ device: string; detail: string }>;
  journalFailures: number;
}

/** The firmware's public API (body camera and vehicle recorder). */
export interface RecorderFirmware {
  readonly variant: 'bodycam' | 'vehicle';
  readonly config: RecorderConfig;
  readonly events$: Observable<FirmwareEvent>;
  /** Boots: restores state, checks the clock, recovers open segments, starts the services. */
  start(): Promise<void>;
  /** Clean power-off: closes open segments, journals, persists. Does not end a duty. */
  stop(reason?: 'shutdown' | 'user'): Promise<void>;
  /** A signed authorisation from the dock or the uplink (set-time, pause, issue, return, …). */
  handleAuthorization(signed: SignedAuthorization): Promise<AuthorizationOutcome>;
  /** Lets another area handle an action (the card guard: register-card, reseal). */
  registerAuthorizationHandler(action: AuthorizedAction, handler: AuthorizationHandler): void;
  /** For services that verify through the shared gate themselves (the card guard). */
  registerSelfVerifyingHandler(action: AuthorizedAction, handler: SelfVerifyingHandler): void;
  /** Time from an authenticated dock: corrects small drift and verifies the clock. */
  dockTimeSync(referenceEpochMs: number): Promise<{ driftMs: number; applied: boolean }>;
  /** Carries outbound alerts (dock link, uplink); returns the detach function. */
  attachAlertTransport(transport: AlertTransport): () => void;
  /** Starts the duty (same as pressing the record button on an issued device). */
  startDuty(): Promise<ShiftState>;
  /** Marker (same as the marker button). */
  mark(note?: string): { mono: number; wall: number };
  playback(request: PlaybackRequest): Promise<PlaybackClip>;
  /** The dock confirms every recording was offloaded with receipts: docked → stowed. */
  markOffloaded(): Promise<ShiftState>;
  status(): FirmwareStatus;
  /** Every alert raised, updated and cleared since boot, with device wall and monotonic times. */
  alertHistory(): readonly AlertLogEntry[];
  /** Resolves with the duty totals once the last segment of the ended duty is closed. */
  dutyEnded(): Promise<DutySummary | null>;
  /** Resolves once every queued write (segments, alert queue) has landed. */
  idle(): Promise<void>;
}

const bootSchema = z.object({ bootCount: z.number().int().nonnegative(), clean: z.boolean() });
export const BOOT_STATE_PATH = 'state/boot.json';

export interface RecorderAppParts {
  variant: 'bodycam' | 'vehicle';
  cameras: ReadonlyArray<{ name: string; camera: Camera }>;
}

/** Services, exposed for tests and for the radar variant that reuses them. */
export interface RecorderServices {
  journal: ServiceJournal;
  alerts: AlertService;
  faults: FaultReporter;
  clockGuard: ClockGuard;
  auth: AuthorizationService;
  power: PowerService;
  dayNight: DayNightService;
  condensation: CondensationService;
  space: SpaceMonitor;
  recorders: readonly Recorder[];
  health: RecordingHealth;
  shift: ShiftService;
  playback: PlaybackService;
  lightPoller: SensorPoller<LightSample>;
  climatePoller: SensorPoller<ClimateSample>;
}

export class RecorderApp implements RecorderFirmware {
  readonly variant: 'bodycam' | 'vehicle';
  readonly config: RecorderConfig;
  readonly services: RecorderServices;
  private readonly eventsSubject = new Subject<FirmwareEvent>();
  readonly events$: Observable<FirmwareEvent> = this.eventsSubject.asObservable();
  private readonly subs: Subscription[] = [];
  private running = false;
  private shutdownReason: ShutdownReason | null = null;
  private stopping: Promise<void> | null = null;
  private bootCount = 0;
  private readonly o: RecorderFirmwareOptions;

  constructor(options: RecorderFirmwareOptions, parts: RecorderAppParts) {
    validateOptions(options);
    this.o = options;
    this.variant = parts.variant;
    this.config = parseRecorderConfig(options.config);
    const { board, clock, identity, evidence } = options;
    const cfg = this.config;
    const journal = new ServiceJournal(options.journal);
    const alerts = new AlertService({
      clock,
      indicators: board.indicators,
      internal: board.internal,
      journal,
      device: identity.serial,
      config: cfg.alerts,
      random: options.random,
    });
    const faults = new FaultReporter(journal, alerts);
    const clockGuard = new ClockGuard({
      clock,
      rtc: board.rtc,
      internal: board.internal,
      journal,
      alerts,
      config: cfg.clock,
      onPersistError: (err) => faults.raise('internal storage', `clock state: ${errorMessage(err)}`),
    });
    const failuresBeforeFault = cfg.faults.failuresBeforeFault;
    const power = new PowerService({
      clock,
      gauges: board.batteries,
      powerPath: board.powerPath,
      readDock: () => board.charger.read(),
      internal: board.internal,
      journal,
      alerts,
      faults,
      config: cfg.power,
      failuresBeforeFault,
      onNoGoodPack: () => void this.shutdown('battery-empty'),
    });
    const lightPoller: SensorPoller<LightSample> = new SensorPoller<LightSample>({
      name: board.light.name,
      clock,
      periodMs: cfg.dayNight.pollMs,
      periodFor: (s): number => dayNight.pollPeriodFor(s),
      read: () => board.light.read(),
      faults,
      failuresBeforeFault,
    });
    const climatePoller = new SensorPoller<ClimateSample>({
      name: board.climate.name,
      clock,
      periodMs: cfg.condensation.pollMs,
      read: () => board.climate.read(),
      faults,
      failuresBeforeFault,
    });
    const dayNight: DayNightService = new DayNightService({
      readings$: lightPoller.readings$,
      irCut: board.irCut,
      irLight: board.irLight,
      cameras: parts.cameras.map((c) => c.camera),
      journal,
      faults,
      config: cfg.dayNight,
    });
    const condensation = new CondensationService({ readings$: climatePoller.readings$, journal, alerts, config: cfg.condensation });
    const health = new RecordingHealth(journal, alerts);
    const recorders = parts.cameras.map(
      (c) =>
        new Recorder({
          camera: c.camera,
          cameraName: c.name,
          clock,
          evidence,
          internal: board.internal,
          journal,
          alerts,
          faults,
          health,
          device: identity.serial,
          video: cfg.video,
          config: cfg.recorder,
        }),
    );
    const shift = new ShiftService({ clock, internal: board.internal, journal, recorders, clockGuard, power, evidence, inventoryNumber: identity.inventoryNumber, config: cfg, faults });
    const space = new SpaceMonitor({
      clock,
      evidence,
      bytesWritten: () => recorders.reduce((n, r) => n + r.stats().bytesWritten, 0),
      recording: () => isDuty(shift.state),
      nominalBytesPerSecond: (cfg.video.bitrate / 8) * recorders.length,
      journal,
      alerts,
      faults,
      config: cfg.storage,
      failuresBeforeFault,
    });
    const auth = new AuthorizationService({
      clock,
      internal: board.internal,
      gate: this.o.authorizationGate,
      journal,
      device: identity.serial,
      trusted: identity.trustedKeys,
      clockTrusted: () => clockGuard.trusted,
      state: () => shift.state,
    });
    const playback = new PlaybackService(() => evidence.storage, cfg.recorder.videoDir, journal);
    this.services = { journal, alerts, faults, clockGuard, auth, power, dayNight, condensation, space, recorders, health, shift, playback, lightPoller, climatePoller };
    this.registerHandlers();
  }

  start(): Promise<void> {
    this.starting ??= this.boot();
    return this.starting;
  }

  private async boot(): Promise<void> {
    if (this.shutdownReason) throw new CommandRefusedError('start', 'this firmware instance was shut down; boot a new one');
    const s = this.services;
    const internal = this.o.board.internal;
    const problems: string[] = [];
    // Internal storage trouble must not keep the device from recording: note it, use defaults.
    const tolerant = async <T>(what: string, load: () => Promise<T>, fallback: T): Promise<T> => {
      try {
        return await load();
      } catch (err) {
        problems.push(`${what}: ${errorMessage(err)}`);
        return fallback;
      }
    };
    const boot = await tolerant('boot state', () => loadJson(internal, BOOT_STATE_PATH, bootSchema, { bootCount: 0, clean: true }), {
      value: { bootCount: 0, clean: false },
      problem: null,
    });
    this.bootCount = boot.value.bootCount + 1;
    await tolerant('boot state', () => saveJson(internal, BOOT_STATE_PATH, { bootCount: this.bootCount, clean: false }), undefined);
    await s.journal.append('power-on', {
      firmware: this.o.firmwareVersion ?? FIRMWARE_VERSION,
      bootCount: this.bootCount,
      reason: boot.value.clean ? 'cold' : 'recovered',
    });
    for (const [what, load] of [
      ['alert queue', () => s.alerts.load()],
      ['replay guard', () => s.auth.load()],
      ['shift state', () => s.shift.load()],
    ] as const) {
      const problem = await tolerant(what, load, null);
      if (problem) problems.push(problem);
    }
    if (boot.problem) problems.push(boot.problem);
    await tolerant('learned draw', () => s.power.load(), undefined);
    for (const p of problems) s.faults.raise('internal storage', p);
    this.running = true;
    this.wireEvents();
    await s.clockGuard.check().catch((err: unknown) => s.faults.raise('internal storage', `clock state: ${errorMessage(err)}`));
    for (const r of s.recorders) {
      try {
        await r.prepare();
      } catch (err) {
        s.faults.raise(`evidence card (${r.camera})`, `recovery failed: ${errorMessage(err)}`);
      }
    }
    s.power.start();
    s.lightPoller.start();
    s.dayNight.start();
    s.climatePoller.start();
    s.condensation.start();
    s.space.start();
    s.shift.resumeAfterBoot();
  }

  private starting: Promise<void> | null = null;

  stop(reason: 'shutdown' | 'user' = 'shutdown'): Promise<void> {
    return this.shutdown(reason);
  }

  async handleAuthorization(signed: SignedAuthorization): Promise<AuthorizationOutcome> {
    this.assertRunning('authorisation');
    return this.services.auth.handle(signed);
  }

  registerAuthorizationHandler(action: AuthorizedAction, handler: AuthorizationHandler): void {
    this.services.auth.register(action, handler);
  }

  /** For services that verify through the shared gate themselves (the card guard). */
  registerSelfVerifyingHandler(action: AuthorizedAction, handler: SelfVerifyingHandler): void {
    this.services.auth.registerSelfVerifying(action, handler);
  }

  async dockTimeSync(referenceEpochMs: number): Promise<{ driftMs: number; applied: boolean }> {
    this.assertRunning('dock time sync');
    return this.services.clockGuard.dockSync(referenceEpochMs);
  }

  attachAlertTransport(transport: AlertTransport): () => void {
    return this.services.alerts.attachTransport(transport);
  }

  async startDuty(): Promise<ShiftState> {
    this.assertRunning('duty start');
    return this.services.shift.startDuty();
  }

  mark(note?: string): { mono: number; wall: number } {
    this.assertRunning('marker');
    const s = this.services;
    if (s.shift.state !== 'on-duty') {
      s.journal.note('action-refused', { action: 'marker', reason: 'a marker needs a recording in progress', state: s.shift.state });
      throw new CommandRefusedError('marker', `no recording in progress (${s.shift.state})`);
    }
    let at: { mono: number; wall: number } = { mono: 0, wall: 0 };
    for (const r of s.recorders) at = r.mark(note);
    return at;
  }

  async playback(request: PlaybackRequest): Promise<PlaybackClip> {
    this.assertRunning('playback');
    return this.services.playback.play(request);
  }

  async markOffloaded(): Promise<ShiftState> {
    this.assertRunning('offload');
    return this.services.shift.offloaded();
  }

  dutyEnded(): Promise<DutySummary | null> {
    return this.services.shift.dutyEnded();
  }

  async idle(): Promise<void> {
    await Promise.all(this.services.recorders.map((r) => r.idle()));
    await this.services.alerts.outbound.flushed();
  }

  /** Vehicle recorder: the crew switches the IR lights (R-REC-5, MVD 18). */
  async setIrLights(enabled: boolean): Promise<void> {
    this.assertRunning('IR lights');
    return this.services.dayNight.setIrLightsEnabled(enabled);
  }

  alertHistory(): readonly AlertLogEntry[] {
    return this.services.alerts.history();
  }

  status(): FirmwareStatus {
    const s = this.services;
    const power = s.power.status;
    return {
      variant: this.variant,
      serial: this.o.identity.serial,
      inventoryNumber: this.o.identity.inventoryNumber,
      running: this.running,
      shutdown: this.shutdownReason,
      state: s.shift.state,
      issue: s.shift.issueRecord,
      pause: s.shift.pauseRecord,
      clock: s.clockGuard.trust,
      recording: {
        active: s.recorders.some((r) => r.stats().phase === 'running' || r.stats().phase === 'finishing'),
        paused: s.recorders.some((r) => r.paused),
        cameras: s.recorders.map((r) => r.stats()),
        coverage: s.shift.coverage(),
        duty: s.shift.dutyTotals(),
      },
      dayNight: s.dayNight.mode,
      irLightsEnabled: s.dayNight.irLightsEnabled,
      power,
      batteryHours: power.remainingMin === null ? null : power.remainingMin / 60,
      storage: s.space.status,
      condensation: s.condensation.state,
      alerts: s.alerts.active(),
      outboundQueued: s.alerts.pendingOutbound().length,
      faults: s.faults.list(),
      journalFailures: s.journal.failures,
    };
  }

  // ---- internals ----

  private registerHandlers(): void {
    const s = this.services;
    s.auth.register('set-time', async ({ body, by }) => {
      const { time } = parseParams(z.object({ time: z.number().finite() }), body.params, 'set-time');
      await s.clockGuard.setTimeAuthorized(time, by);
      return s.clockGuard.trust;
    });
    s.auth.register('pause', async ({ body, by }) => s.shift.pause(parseParams(pauseParamsSchema, body.params, 'pause'), by));
    s.auth.register('issue', async ({ body, by }) => s.shift.issue(parseParams(issueParamsSchema, body.params, 'issue'), by));
    s.auth.register('return', async ({ body, by }) => s.shift.returnDevice(by, parseParams(returnParamsSchema, body.params, 'return').note));
  }

  private wireEvents(): void {
    const s = this.services;
    const { board } = this.o;
    this.subs.push(
      merge(
        s.shift.state$.pipe(map((state): FirmwareEvent => ({ type: 'state', state }))),
        merge(...s.recorders.map((r) => r.segments$)).pipe(map((segment): FirmwareEvent => ({ type: 'segment', segment }))),
        merge(...s.recorders.map((r) => r.markers$)).pipe(map((marker): FirmwareEvent => ({ type: 'marker', marker }))),
        s.alerts.events$.pipe(map((event): FirmwareEvent => ({ type: 'alert', event }))),
        s.dayNight.mode$.pipe(
          filter((m): m is DayNightMode => m !== 'unknown'),
          map((mode): FirmwareEvent => ({ type: 'day-night', mode })),
        ),
      ).subscribe((e) => this.eventsSubject.next(e)),
    );
    // Mode indicator (R-VEH-1; GA/T: a lamp shows recording): green while recording on duty.
    this.subs.push(
      s.shift.state$.subscribe((state) => {
        void board.indicators.set('led-green', state === 'on-duty').catch(() => undefined);
      }),
    );
    this.subs.push(board.buttons.events$.pipe(filter((e) => e.action === 'press')).subscribe((e) => void this.onButton(e)));
    this.subs.push(
      board.charger.changes$.subscribe((d) => {
        void s.shift.onDock(d.docked).catch(() => undefined);
        void s.power.refresh();
      }),
    );
    this.subs.push(s.journal.failures$.subscribe((f) => s.faults.raise('journal', `${f.type}: ${f.error}`)));
  }

  private async onButton(e: ButtonEvent): Promise<void> {
    if (!this.running) return;
    const s = this.services;
    const state = s.shift.state;
    try {
      switch (e.button) {
        case 'record':
          if (state === 'issued') await s.shift.startDuty();
          else if (state === 'paused') await s.shift.resume('resumed');
          else if (state === 'on-duty') s.shift.refuse('stop-recording');
          else s.shift.refuse('duty-start');
          break;
        case 'pause':
          if (state === 'paused') await s.shift.resume('resumed');
          else s.shift.refuse('pause', 'a pause needs a signed authorisation from the duty officer (R-REC-2)');
          break;
        case 'marker':
          this.mark();
          break;
        case 'power':
          if (isDuty(state)) s.shift.refuse('power-off');
          else await this.shutdown('user');
          break;
      }
    } catch {
      // Refusals are journalled where they are decided; a button has no one to report to.
    }
  }

  private shutdown(reason: ShutdownReason): Promise<void> {
    this.stopping ??= this.doShutdown(reason);
    return this.stopping;
  }

  private async doShutdown(reason: ShutdownReason): Promise<void> {
    if (!this.running) {
      this.shutdownReason = reason;
      return;
    }
    const s = this.services;
    this.shutdownReason = reason;
    // Recording first: close every open segment cleanly while there is still power.
    await s.shift.powerOff();
    s.lightPoller.stop();
    s.climatePoller.stop();
    s.dayNight.stop();
    s.condensation.stop();
    s.space.stop();
    s.power.stop();
    s.clockGuard.stop();
    await s.clockGuard.persist().catch(() => undefined);
    await s.power.saveLearnedDraw().catch(() => undefined);
    await s.journal.append('power-off', { reason: reason === 'battery-empty' ? 'battery-empty' : reason === 'user' ? 'user' : 'shutdown' });
    await s.alerts.outbound.flushed();
    s.alerts.stop();
    await saveJson(this.o.board.internal, BOOT_STATE_PATH, { bootCount: this.bootCount, clean: true }).catch(() => undefined);
    for (const sub of this.subs) sub.unsubscribe();
    this.subs.length = 0;
    this.running = false;
    this.eventsSubject.next({ type: 'shutdown', reason });
  }

  private assertRunning(what: string): void {
    if (!this.running) throw new CommandRefusedError(what, this.shutdownReason ? `the device is off (${this.shutdownReason})` : 'the firmware is not started');
  }
}

function validateOptions(o: RecorderFirmwareOptions): void {
  if (!o || typeof o !== 'object') throw new InvalidOptionsError('recorder firmware: options object required');
  for (const k of ['board', 'clock', 'random', 'identity', 'journal', 'evidence'] as const) {
    if (!o[k]) throw new InvalidOptionsError(`recorder firmware: ${k} is required`);
  }
  const id = o.identity;
  if (typeof id.serial !== 'string' || id.serial.length === 0) throw new InvalidOptionsError('identity.serial must be a non-empty string');
  if (typeof id.inventoryNumber !== 'string' || id.inventoryNumber.length === 0) throw new InvalidOptionsError('identity.inventoryNumber must be a non-empty string');
  if (!Array.isArray(id.trustedKeys)) throw new InvalidOptionsError('identity.trustedKeys must be an array');
  for (const k of id.trustedKeys) {
    if (!(k.publicKey instanceof Uint8Array) || k.publicKey.length !== 32) throw new InvalidOptionsError(`trusted key ${k.keyId}: public key must be 32 bytes`);
  }
  if (typeof o.journal.append !== 'function') throw new InvalidOptionsError('journal must implement JournalWriter');
  if (typeof o.evidence.readiness !== 'function') throw new InvalidOptionsError('evidence must implement EvidenceVolume');
}
