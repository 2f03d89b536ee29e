/**
 * Runs a shift of the real firmware on the simulated hardware under virtual time: builds the
 * world from a scenario, boots the device (and boots it again after a power cut), plays the
 * timeline as the people around the device would — signing authorisations, pressing buttons,
 * swapping packs, pulling cards — samples the world for the report, and collects everything
 * that happened into one `ShiftRecord` for the summary, the verdicts and the report.
 */
import { performance } from 'node:perf_hooks';
import type { Subscription } from 'rxjs';
import { VirtualClock } from '../../sim/virtual-clock.ts';
import { SeededRandom } from '../../sim/random.ts';
import { SimHardware, type SimBoot } from '../../sim/hardware.ts';
import type { SimCard } from '../../sim/card-slot.ts';
import { SimCard as SimCardClass, writeForeignRegistration } from '../../sim/card-slot.ts';
import { dewPoint } from '../../sim/world/climate.ts';
import type { Environment, EnvironmentKind } from '../../sim/world/environment.ts';
import { SIM_VIDEO_DEFAULTS, type CameraMedia } from '../../sim/camera.ts';
import type { RecorderConfigInput } from '../../firmware/app/config.ts';
import { bootDevice, type ProvisionedIdentity, type RunningDevice } from '../../firmware/device.ts';
import { analyseCoverage, type CoverageReport } from '../../firmware/recorder/coverage.ts';
import { readJournalFromStorage } from '../../firmware/journal/storage-reader.ts';
import { isEntryType } from '../../firmware/journal/validate.ts';
import type { JournalRecord, VerifyReport } from '../../firmware/journal/reader.ts';
import type { SimStorage } from '../../sim/storage.ts';
import { BODYCAM_LOADS_MA } from '../../sim/world/loads.ts';
import { GroundTruth, type GroundTruthRecord, type TruthSample } from './ground-truth.ts';
import { digests, type OtherCard } from './evidence.ts';
import type { SignedAuthorization } from '../../protocol/authorization.ts';
import { Ed25519PrivateKey, deriveTestSeed } from '../../protocol/crypto.ts';
import { People, simulatedIdentity, type SignerName } from './people.ts';
import type { Scenario, ScenarioAction } from './scenario.ts';

export interface ShiftRunOptions {
  scenario: Scenario;
  seed: number;
  /** Duty length in hours (default: the scenario's). */
  hours?: number;
  media?: CameraMedia;
  /**
   * A provisioned identity to boot with (a flashed device) instead of one derived from the seed.
   * Its trusted keys should include the simulated people's (`People.trusted()`), or their
   * authorisations are refused — which is what the device must do.
   */
  identity?: ProvisionedIdentity;
  /** Called with the fraction of simulated time done (0–1), for a progress bar. */
  onProgress?: (fraction: number) => void;
}

export interface Sample extends TruthSample {
  /** Seconds since scenario start. */
  t: number;
  soc: [number | null, number | null];
  active: 0 | 1 | 'external' | null;
  lux: number;
  mode: 'day' | 'night' | null;
  airC: number;
  humidity: number;
  dewPointC: number;
  lensC: number | null;
  /** Ground truth: the device housing is at or below the dew point of the air around it. */
  condensing: boolean;
  /** Minutes of recording the firmware estimates are left (null on external power or when off). */
  remainingMin: number | null;
  powered: boolean;
}

export interface ActionOutcome {
  t: number;
  do: string;
  outcome: 'ok' | 'refused' | 'skipped' | 'error';
  detail: string;
}

export interface ShiftAlert {
  t: number;
  kind: string;
  severity: 'info' | 'warning' | 'critical';
  message: string;
}

export interface JournalView {
  verdict: 'valid' | 'truncated' | 'invalid' | 'unreadable';
  problems: string[];
  /** Entries; `t` is scenario seconds from the device's monotonic clock (true even while its wall clock is wrong). */
  records: Array<{ seq: number; type: string; t: number; wall: number; data: Record<string, unknown> }>;
  /** Every record as read (file headers and checkpoints too) and the reader's report, for the paper forms. */
  raw: JournalRecord[];
  report: VerifyReport | null;
}

export interface PlaybackRecord {
  t: number;
  camera: string;
  segment: number;
  path: string;
  fromMs: number;
  toMs: number;
  /** The bytes the device played. */
  data: Uint8Array;
}

export interface ShiftRecord {
  scenario: Scenario;
  seed: number;
  serial: string;
  startEpochMs: number;
  /** Scenario seconds when duty started and ended (null if it never did). */
  dutyStart: number | null;
  dutyEnd: number | null;
  endSeconds: number;
  wallSeconds: number;
  samples: Sample[];
  alerts: ShiftAlert[];
  actions: ActionOutcome[];
  boots: Array<{ t: number }>;
  powerCuts: Array<{ t: number; cause: string }>;
  journal: JournalView;
  coverage: CoverageReport | null;
  /** Closed segments from the journal (`recovered`: closed by power-on recovery after a power cut or a pulled card). */
  segments: Array<{ start: number; end: number; index: number; camera: string; recovered?: boolean }>;
  /** Coverage of each camera's recording over the duty (`coverage` is the worst of them). */
  coverageByCamera: Record<string, CoverageReport>;
  pauses: Array<{ start: number; end: number; reason: string }>;
  /** Paths of the files on the registered card at the end. */
  cardPaths: ReadonlySet<string>;
  /** The bytes of every file on internal storage and on the registered card (copied on demand: tens of MB). */
  files(): { internal: Map<string, Uint8Array>; card: Map<string, Uint8Array> };
  /** Largest difference between a closed segment's end time stamp and the true time (ms). */
  maxTimestampErrorMs: number | null;
  keyframeIntervalMs: number;
  /** Day/night thresholds the firmware used. */
  dayNight: { toNight: number; toDay: number };
  /** What really happened around the device (world side). */
  truth: GroundTruthRecord;
  playbacks: PlaybackRecord[];
  /**
   * The registered card and the internal storage as they are at the end, the other cards that were
   * inserted (with what they held before), and the files on the card before the shift (a function:
   * not data to serialise).
   */
  storage(): { card: SimStorage; internal: SimStorage; otherCards: OtherCard[]; earlierFiles: Map<string, string> };
}

const ENV: Record<Scenario['environment'], EnvironmentKind> = {
  outdoor: 'outdoors',
  indoor: 'indoors',
  vehicle: 'vehicle',
  'tunnel-lit': 'tunnel-lit',
  'tunnel-dark': 'tunnel-dark',
};

const SAMPLE_EVERY_MS = 60_000;
const SECOND = 1000;

export class ShiftSimulation {
  readonly clock: VirtualClock;
  readonly hw: SimHardware;
  readonly people: People;
  private readonly scenario: Scenario;
  private readonly seed: number;
  private readonly random: SeededRandom;
  private readonly identity: ProvisionedIdentity;
  private device: RunningDevice | null = null;
  private booting: Promise<void> | null = null;
  private bootSubs: Subscription | null = null;
  private readonly startEpochMs: number;
  private readonly dutyHours: number;
  private env: Environment;
  private readonly samples: Sample[] = [];
  private readonly alerts: ShiftAlert[] = [];
  private readonly actions: ActionOutcome[] = [];
  private readonly boots: Array<{ t: number }> = [];
  private readonly powerCuts: Array<{ t: number; cause: string }> = [];
  private readonly pending = new Set<Promise<unknown>>();
  private readonly timeErrors: number[] = [];
  private foreignCard: SimCard | null = null;
  private cloneCard: SimCard | null = null;
  private blank: SimCard | null = null;
  private dutyStartS: number | null = null;
  private dutyEndS: number | null = null;
  private readonly truth: GroundTruth;
  private readonly bootAtMs: number[] = [];
  private readonly playbacks: PlaybackRecord[] = [];
  private sealOpen = false;
  /** The board is being switched off after the firmware powered itself off (not a power cut). */
  private halting = false;
  private ending = false;
  private readonly otherCards: OtherCard[] = [];
  private earlierFiles = new Map<string, string>();
  /** Actions waiting for an alert (scenario `when`). */
  private readonly triggers: Array<{ action: ScenarioAction; kind: string; delayS: number; fired: boolean }> = [];

  constructor(private readonly o: ShiftRunOptions) {
    const s = o.scenario;
    this.scenario = s;
    this.seed = o.seed;
    this.dutyHours = o.hours ?? s.hours;
    this.startEpochMs = Date.parse(s.start);
    this.random = new SeededRandom(o.seed).fork('runner');
    this.clock = new VirtualClock({ startEpochMs: this.startEpochMs });
    const packs = s.batteries.map((b, i) =>
      b ? { id: `pack ${i === 0 ? 'A' : 'B'}`, chargePercent: b.socPercent, capacityMah: Math.round(6800 * (b.healthPercent / 100)) } : null,
    ) as [{ id: string; chargePercent: number; capacityMah: number } | null, { id: string; chargePercent: number; capacityMah: number } | null];
    this.env = { kind: ENV[s.environment] };
    this.hw = new SimHardware({
      clock: this.clock,
      seed: o.seed,
      variant: s.device === 'radar' ? 'bodycam' : s.device,
      location: s.location,
      environment: this.env,
      weather: { cloudCover: s.clouds, temperatureC: s.temperatureC, humidity: s.humidity },
      packs,
      rtc: { driftPpm: s.rtc.driftPpm, initialErrorMs: s.rtc.offsetSeconds * 1000, firstPowerUp: s.rtc.oscillatorStopped },
      cardBytes: Math.round(s.card.capacityMb * 2 ** 20),
      media: o.media,
    });
    const simulated = simulatedIdentity(o.seed, new People(''), s.device === 'vehicle' ? 'vehicle' : 'bodycam');
    this.people = new People(o.identity?.serial ?? simulated.serial);
    this.identity = o.identity ?? { ...simulated, trustedKeys: this.people.trusted() };
    // Recording in daylight: everything but the IR illuminator (and the modem, which the board does not power).
    const L = BODYCAM_LOADS_MA;
    const cameras = s.device === 'vehicle' ? 3 : 1;
    const recordingLoadMa = L.system + L.microphone + L.indicators + L.storage + cameras * (L.camera + L.encoder);
    this.truth = new GroundTruth(this.hw, this.clock, s.device === 'vehicle', recordingLoadMa, s.limits.packReservePercent);
  }

  private get now(): number {
    return this.clock.monotonic() / SECOND;
  }

  async run(): Promise<ShiftRecord> {
    const wall0 = performance.now();
    const s = this.scenario;
    await this.prefillCard();
    this.hw.dock();
    this.hw.powerCuts$.subscribe(({ cause }) => {
      if (!this.halting) this.powerCuts.push({ t: this.now, cause });
      this.device = null;
      this.bootSubs?.unsubscribe();
      this.truth.detach();
    });
    this.hw.world.power.events$.subscribe((e) => {
      // Power is back (docked, or a charged pack inserted): the device boots by itself.
      if ((e.kind === 'restored' || e.kind === 'source') && !this.hw.current && this.hw.world.power.powered()) this.bootSoon(5);
    });
    await this.boot(true);

    const timeline = this.withDuty(s.timeline);
    const end = this.endSeconds(timeline);
    for (const action of timeline) {
      if (action.at > end) {
        this.actions.push({ t: action.at, do: action.do, outcome: 'skipped', detail: 'after the end of the run (--hours)' });
        continue;
      }
      if (action.when) this.triggers.push({ action, kind: action.when.alert, delayS: action.when.delaySeconds, fired: false });
      else this.clock.setTimeout(() => this.track(this.perform(action)), action.at * SECOND);
    }
    this.clock.setInterval(() => this.sample(), SAMPLE_EVERY_MS);
    this.sample();
    const step = 600 * SECOND;
    for (let t = 0; t < end * SECOND; t += step) {
      await this.clock.runUntil(Math.min(end * SECOND, t + step));
      this.o.onProgress?.(Math.min(1, this.clock.monotonic() / (end * SECOND)));
    }
    await this.settle();
    this.ending = true;
    if (this.device) {
      await this.device.shutdown('shutdown');
      await this.clock.runFor(1000);
    }
    for (const tr of this.triggers) {
      if (!tr.fired) this.actions.push({ t: tr.action.at, do: tr.action.do, outcome: 'skipped', detail: `waited for a "${tr.kind}" alert that never came` });
    }
    this.truth.finish();
    return this.collect(end, (performance.now() - wall0) / 1000);
  }

  // ---- boot and power ----

  private bootSoon(delayS: number): void {
    this.clock.setTimeout(() => this.track(this.boot(false)), delayS * SECOND);
  }

  private boot(first: boolean): Promise<void> {
    if (this.booting || this.hw.current) return this.booting ?? Promise.resolve();
    this.booting = (async () => {
      const boot = await this.hw.boot();
      this.boots.push({ t: this.now });
      this.bootAtMs.push(boot.clock.bootAt);
      const device = await bootDevice({
        board: boot.board,
        clock: boot.clock,
        random: this.random.fork(`device-${this.hw.bootCount}`),
        identity: this.identity,
        config: this.firmwareConfig(),
      });
      if (!boot.clock.isAlive) return; // power died while booting
      this.device = device;
      this.watch(boot, device);
      if (first) await this.provision(device, boot);
      // In the dock the station syncs the time (the dock protocol does this on a real dock).
      if (this.hw.world.power.docked && !this.hw.world.rtc.oscillatorStopFlag) await device.firmware.dockTimeSync(this.clock.trueTime());
    })().finally(() => {
      this.booting = null;
    });
    return this.booting;
  }

  /**
   * The scenario's overrides on top of the simulator's video settings: the simulated camera
   * emits a cheap 320×240 stream, so the firmware must ask for that (and size free-space hours by it).
   */
  private firmwareConfig(): RecorderConfigInput {
    const cfg = this.scenario.config as Record<string, unknown>;
    const video = { ...SIM_VIDEO_DEFAULTS, ...((cfg.video as object | undefined) ?? {}) };
    return { ...cfg, video } as RecorderConfigInput;
  }

  private watch(boot: SimBoot, device: RunningDevice): void {
    const subs = device.firmware.events$.subscribe((e) => {
      if (e.type === 'segment') {
        // How far the evidence's time stamp is from the true time of the segment's end (R-TIME-1);
        // a segment closed by recovery is reported later than it ended.
        const trueEnd = this.clock.trueTime() - (boot.clock.monotonic() - e.segment.endMono);
        this.timeErrors.push(Math.abs(e.segment.endWall - trueEnd));
      }
      if (e.type === 'shutdown' && !this.ending) this.track(this.halt(device));
      if (e.type === 'alert' && e.event.type === 'updated') this.truth.onUpdate(e.event.alert.kind);
      if (e.type === 'alert' && e.event.type === 'raised') {
        const a = e.event.alert;
        this.alerts.push({ t: this.now, kind: a.kind, severity: a.severity, message: a.message });
        this.truth.onAlert();
        this.fireTriggers(a.kind);
      }
    });
    this.bootSubs = subs;
    // What the firmware raised while it was starting (the clock check, the card check) came before
    // anyone could subscribe: take it from its alert history, stamped on this boot's clock.
    const bootAtS = boot.clock.bootAt / SECOND;
    const atBoot = device.firmware.alertHistory().filter((h) => h.event === 'raised');
    for (const h of atBoot) {
      this.alerts.push({ t: bootAtS + h.mono / SECOND, kind: h.kind, severity: h.severity, message: h.message });
      this.truth.onAlert();
    }
    this.truth.attach(
      device,
      atBoot.map((h) => ({ t: bootAtS + h.mono / SECOND, kind: h.kind })),
    );
  }

  /** The responsible person registers the sealed card at the first boot and seals the slot. */
  private async provision(device: RunningDevice, boot: SimBoot): Promise<void> {
    await this.clock.runFor(0);
    const status = await boot.cardSlot.status();
    if (!status.cid) return;
    await this.authorise('responsible', 'register-card', { cid: status.cid, inventoryNumber: `CARD-${String(this.seed).padStart(6, '0')}` }, 'provision: register card');
    await this.authorise('responsible', 'reseal', {}, 'provision: seal the card slot');
  }

  // ---- the timeline ----

  /** Adds issue, undock/record, return and dock around the duty unless the scenario places them. */
  private withDuty(timeline: readonly ScenarioAction[]): ScenarioAction[] {
    const has = (d: string) => timeline.some((a) => a.do === d);
    const out = [...timeline];
    const start = 5 * 60;
    const end = start + this.dutyHours * 3600;
    if (!has('issue')) out.push({ at: 60, do: 'issue', plannedHours: this.dutyHours, signer: 'responsible' } as ScenarioAction);
    if (!has('undock')) out.push({ at: start, do: 'undock' } as ScenarioAction);
    if (!has('return')) out.push({ at: end, do: 'return' } as ScenarioAction);
    if (!has('dock')) out.push({ at: end + 60, do: 'dock' } as ScenarioAction);
    return out.sort((a, b) => a.at - b.at);
  }

  private endSeconds(timeline: readonly ScenarioAction[]): number {
    const dock = [...timeline].reverse().find((a) => a.do === 'dock');
    const dutyEnd = 5 * 60 + this.dutyHours * 3600;
    return Math.max(dutyEnd, dock?.at ?? 0) + 5 * 60;
  }

  private async perform(a: ScenarioAction): Promise<void> {
    const ok = (detail = ''): void => {
      this.actions.push({ t: this.now, do: a.do, outcome: 'ok', detail });
    };
    const w = this.hw.world;
    try {
      switch (a.do) {
        case 'issue': {
          const params: Record<string, unknown> = { inventoryNumber: this.identity.inventoryNumber, plannedShiftHours: a.plannedHours ?? this.dutyHours };
          this.truth.noteIssue(a.plannedHours ?? this.dutyHours);
          if (a.vehicle) params.vehicle = a.vehicle;
          else params.officer = a.officer ?? 'Sgt. D. Abenov';
          return void (await this.authorise(a.signer, 'issue', params, 'issue'));
        }
        case 'undock':
          this.hw.undock();
          // The officer takes the camera and switches recording on; the firmware starts duty.
          this.hw.press('record', 300);
          this.dutyStartS ??= this.now;
          return ok('taken from the dock; record pressed');
        case 'dock':
          this.hw.dock();
          if (this.device && !w.rtc.oscillatorStopFlag) await this.device.firmware.dockTimeSync(this.clock.trueTime());
          return ok('placed in the dock');
        case 'return':
          await this.authorise('responsible', 'return', {}, 'return');
          this.dutyEndS = this.now;
          return;
        case 'pause':
          return void (await this.authorise(a.signer, 'pause', { reason: a.reason, maxMinutes: a.minutes }, `pause (${a.reason}, ${a.minutes} min)`));
        case 'press':
          this.hw.press(a.button, a.holdSeconds * SECOND);
          return ok(a.button);
        case 'playback': {
          if (!this.device) throw new Error('device is off');
          const camera = this.scenario.device === 'vehicle' ? 'front-left' : 'main';
          const clip = await this.device.firmware.playback({ camera, segment: a.segment ?? 0 });
          this.playbacks.push({ t: this.now, camera: clip.camera, segment: clip.segment, path: clip.path, fromMs: clip.fromMs, toMs: clip.toMs, data: clip.data });
          return ok(`segment ${clip.segment}`);
        }
        case 'environment':
          this.env = { ...this.env, kind: ENV[a.env], temperatureC: undefined, humidity: undefined };
          w.setEnvironment(this.env);
          return ok(a.env);
        case 'weather':
          w.setWeather({ cloudCover: a.clouds });
          return ok(`clouds ${a.clouds}`);
        case 'climate':
          if (this.env.kind === 'outdoors') w.setWeather({ temperatureC: a.temperatureC, humidity: a.humidity });
          else {
            this.env = { ...this.env, temperatureC: a.temperatureC, humidity: a.humidity };
            w.setEnvironment(this.env);
          }
          return ok(`${a.temperatureC} °C, ${a.humidity} %`);
        case 'battery-swap': {
          this.hw.removePack(a.slot);
          this.clock.setTimeout(() => this.hw.insertPack(a.slot, { id: `pack ${a.slot === 0 ? 'A' : 'B'} (fresh)`, chargePercent: a.socPercent }), a.afterSeconds * SECOND);
          return ok(`slot ${a.slot === 0 ? 'A' : 'B'} out, a ${a.socPercent} % pack in ${a.afterSeconds} s later`);
        }
        case 'battery-remove':
          this.hw.removePack(a.slot);
          return ok(`slot ${a.slot === 0 ? 'A' : 'B'}`);
        case 'battery-insert':
          this.hw.insertPack(a.slot, { id: `pack ${a.slot === 0 ? 'A' : 'B'}`, chargePercent: a.socPercent });
          return ok(`slot ${a.slot === 0 ? 'A' : 'B'} at ${a.socPercent} %`);
        case 'card-pull': {
          this.seal(true);
          const card = this.hw.removeCard();
          this.truth.physical(this.sealOpen);
          if (card && a.afterSeconds !== null) {
            this.clock.setTimeout(() => {
              this.hw.insertCard(card);
              this.seal(false);
            }, a.afterSeconds * SECOND);
          }
          return ok(a.afterSeconds === null ? 'card pulled (seal broken)' : `card pulled, back in ${a.afterSeconds} s`);
        }
        case 'card-insert': {
          this.seal(true);
          this.hw.insertCard(await this.cardOf(a.card));
          this.seal(false);
          return ok(a.card);
        }
        case 'seal-break':
          this.seal(true);
          return ok('slot cover opened');
        case 'reseal':
          this.seal(false);
          return void (await this.authorise(a.signer, 'reseal', {}, 'reseal'));
        case 'time-set':
          return void (await this.authorise(a.signer, 'set-time', { time: this.clock.trueTime() + a.offsetSeconds * SECOND }, `set time (${a.offsetSeconds >= 0 ? '+' : ''}${a.offsetSeconds} s)`));
        case 'clock-loss':
          // The RTC's backup cell fails: the oscillator stops with the next loss of main power.
          w.rtc.setBackupBattery(false);
          w.rtc.stop();
          w.rtc.start();
          return ok('RTC oscillator stopped (OSF set)');
        case 'power-cut':
          this.hw.powerCut();
          this.bootSoon(a.afterSeconds);
          return ok(`all power lost for ${a.afterSeconds} s`);
        case 'sensor-fault':
          this.sensorFault(a.device, true);
          if (a.forSeconds !== null) this.clock.setTimeout(() => this.sensorFault(a.device, false), a.forSeconds * SECOND);
          return ok(a.forSeconds === null ? `${a.device} stops answering` : `${a.device} silent for ${a.forSeconds} s`);
        case 'link-down': {
          if (a.link === 'uplink' && this.scenario.device !== 'vehicle') {
            return void this.actions.push({ t: this.now, do: a.do, outcome: 'skipped', detail: 'the body camera has no field uplink in this build' });
          }
          this.truth.setLink(a.link, false);
          if (a.forSeconds !== null) this.clock.setTimeout(() => this.truth.setLink(a.link, true), a.forSeconds * SECOND);
          return ok(a.forSeconds === null ? `${a.link} link down` : `${a.link} link down for ${a.forSeconds} s`);
        }
        case 'external-power':
          w.power.setExternalPower(a.on);
          return ok(a.on ? 'vehicle supply on' : 'vehicle supply off');
        case 'ir-lights': {
          const fw = this.device?.firmware as { setIrLights?: (on: boolean) => Promise<void> } | undefined;
          if (!fw) throw new Error('device is off');
          if (!fw.setIrLights) throw new Error('only the vehicle recorder has switchable IR lights');
          await fw.setIrLights(a.enabled);
          return ok(a.enabled ? 'IR lights on' : 'IR lights off');
        }
        case 'journal-correction': {
          const { records } = await readJournalFromStorage(this.hw.internal, { publicKey: this.identity.deviceKey.publicKey });
          const target = records.filter((r) => r.type === a.entry)[a.index];
          if (!target) throw new Error(`no ${a.entry} entry #${a.index} in the journal to correct`);
          return void (await this.authorise(a.signer, 'journal-correction', { corrects: target.seq, note: a.text }, `correct ${a.entry} (seq ${target.seq})`));
        }
      }
    } catch (err) {
      this.actions.push({ t: this.now, do: a.do, outcome: 'error', detail: (err as Error).message });
    }
  }

  /**
   * The firmware powered itself off (flat batteries, the power button off duty): once the device
   * has closed its journal and card, the board halts and draws nothing until power comes back
   * (a dock, a charged pack), when it boots by itself.
   */
  private async halt(device: RunningDevice): Promise<void> {
    await device.shutdown();
    if (this.device !== device) return;
    this.halting = true;
    try {
      this.hw.powerCut();
    } finally {
      this.halting = false;
    }
  }

  /** The slot cover opened or closed (by hand); the ground truth follows. */
  private seal(open: boolean): void {
    this.sealOpen = open;
    if (open) this.hw.openSeal();
    else this.hw.closeSeal();
    this.truth.physical(open);
  }

  private fireTriggers(kind: string): void {
    for (const tr of this.triggers) {
      if (tr.fired || tr.kind !== kind || this.now < tr.action.at) continue;
      tr.fired = true;
      this.clock.setTimeout(() => this.track(this.perform(tr.action)), tr.delayS * SECOND);
    }
  }

  private async authorise(who: SignerName, action: Parameters<People['sign']>[1], params: Record<string, unknown>, what: string): Promise<void> {
    const signed: SignedAuthorization = this.people.sign(who, action, params, this.clock.trueTime());
    if (!this.device) {
      this.actions.push({ t: this.now, do: action, outcome: 'error', detail: `${what}: the device is off` });
      return;
    }
    try {
      await this.device.handleAuthorization(signed);
      this.actions.push({ t: this.now, do: action, outcome: 'ok', detail: `${what}, signed by ${this.people.people[who].name}` });
    } catch (err) {
      this.actions.push({ t: this.now, do: action, outcome: 'refused', detail: `${what}: ${(err as Error).message}` });
    }
  }

  private sensorFault(device: ScenarioAction extends never ? never : string, on: boolean): void {
    const bus = this.hw.sensorBus;
    const chips: Record<string, () => void> = {
      light: () => (on ? bus.bus.unplug(bus.lightAddress) : bus.bus.plug(bus.lightAddress)),
      climate: () => (on ? bus.bus.unplug(0x44) : bus.bus.plug(0x44)),
      rtc: () => (on ? bus.bus.unplug(0x68) : bus.bus.plug(0x68)),
      'gauge-a': () => (on ? bus.mux.channel(0).unplug(0x36) : bus.mux.channel(0).plug(0x36)),
      'gauge-b': () => (on ? bus.mux.channel(1).unplug(0x36) : bus.mux.channel(1).plug(0x36)),
      camera: () => this.hw.unplugCamera(on ? 'camera ribbon cable loose' : null),
      microphone: () => (on ? this.hw.current?.microphone.unplug() : this.hw.current?.microphone.plug()),
    };
    const f = chips[device];
    if (!f) throw new Error(`no ${device} on a body camera`);
    f();
  }

  private async cardOf(kind: 'registered' | 'foreign' | 'clone' | 'blank'): Promise<SimCard> {
    switch (kind) {
      case 'registered':
        return this.hw.card;
      case 'clone':
        if (!this.cloneCard) this.cloneCard = await this.other(this.hw.card.cloneCid(), 'clone of the registered card');
        return this.cloneCard;
      case 'blank':
        if (!this.blank) this.blank = await this.other(this.hw.blankCard('blank card'), 'blank card');
        return this.blank;
      case 'foreign': {
        if (!this.foreignCard) {
          this.foreignCard = SimCardClass.create({ label: 'card of another device', random: this.random.fork('foreign-card') });
          // Registered, properly, to another camera of the same unit.
          await writeForeignRegistration(this.foreignCard, {
            deviceKey: new Ed25519PrivateKey(deriveTestSeed(`sim:device:other:${this.seed}`)),
            deviceSerial: 'BC-SIM-OTHER',
            deviceInventoryNumber: 'INV-BC-9999',
            cardInventoryNumber: 'CARD-OTHER',
            registeredAt: this.startEpochMs - 86_400_000,
            authKeyId: this.people.people.responsible.key.keyId,
            authCounter: 1,
          });
          await this.other(this.foreignCard, 'card of another device');
        }
        return this.foreignCard;
      }
    }
  }

  private async other(card: SimCard, label: string): Promise<SimCard> {
    this.otherCards.push({ label, storage: card.storage, before: digests(card.storage) });
    return card;
  }

  private async prefillCard(): Promise<void> {
    const mb = this.scenario.card.prefillMb;
    if (mb <= 0) return;
    // Earlier shifts' recordings still on the card (the "nearly full" scenarios), written in a
    // card reader before the card went into the device.
    const storage = this.hw.card.storage;
    const wasAvailable = storage.isAvailable;
    storage.setAvailable(true);
    try {
      const f = await storage.openAppend('archive/earlier-shifts.bin');
      const chunk = new Uint8Array(2 ** 20);
      for (let i = 0; i < mb; i++) await f.append(chunk.fill(i & 0xff));
      await f.sync();
      await f.close();
    } finally {
      storage.setAvailable(wasAvailable);
    }
    this.earlierFiles = digests(this.hw.card.storage);
  }

  // ---- observation ----

  private sample(): void {
    const w = this.hw.world;
    const t = this.clock.trueTime();
    const snap = (slot: 0 | 1) => {
      const p = w.power.snapshot(slot, t);
      return p.present ? Math.round(p.socPercent * 10) / 10 : null;
    };
    const source = w.power.source();
    const status = this.device?.firmware.status();
    const air = w.climate.air(t);
    this.samples.push({
      t: this.now,
      soc: [snap(0), snap(1)],
      active: source === 0 || source === 1 ? source : source === 'external' ? 'external' : null,
      lux: w.lux(t),
      mode: status && status.dayNight !== 'unknown' ? status.dayNight : null,
      airC: air.celsius,
      humidity: air.humidity,
      dewPointC: dewPoint(air.celsius, air.humidity),
      lensC: status?.condensation.lensC ?? null,
      condensing: w.climate.condensing(t),
      remainingMin: status?.power.remainingMin ?? null,
      powered: this.hw.current !== null,
      ...this.truth.sample(this.hw.current),
    });
  }

  private track(p: Promise<unknown>): void {
    const q = p.catch((err) => this.actions.push({ t: this.now, do: 'internal', outcome: 'error', detail: String(err?.message ?? err) }));
    this.pending.add(q);
    void q.finally(() => this.pending.delete(q));
  }

  private async settle(): Promise<void> {
    for (let i = 0; i < 10 && this.pending.size > 0; i++) {
      await Promise.race([Promise.all([...this.pending]), this.clock.runFor(SECOND)]);
    }
  }

  private async collect(end: number, wallSeconds: number): Promise<ShiftRecord> {
    const toS = (wall: number) => (wall - this.startEpochMs) / SECOND;
    const journal = await this.readJournal();
    const rec = journal.records;
    // A segment cut short by a power cut or a pulled card is closed at the next power-on (journalled
    // as closed then, after its `segment-recovered` entry): what it holds counts, up to its last durable GOP.
    const recovered = new Set(rec.filter((r) => r.type === 'segment-recovered').map((r) => `${String(r.data.camera)}/${String(r.data.segment)}`));
    const segments: ShiftRecord['segments'] = rec
      .filter((r) => r.type === 'segment-closed')
      .map((r) => {
        const camera = String(r.data.camera ?? 'main');
        const index = r.data.segment as number;
        const seg = { start: toS(r.data.startWall as number), end: toS(r.data.endWall as number), index, camera };
        return recovered.has(`${camera}/${index}`) ? { ...seg, recovered: true } : seg;
      });
    segments.sort((a, b) => a.start - b.start);
    const pauses: ShiftRecord['pauses'] = [];
    for (const r of rec) {
      if (r.type === 'pause-start') pauses.push({ start: r.t, end: r.t, reason: String(r.data.reason) });
      if (r.type === 'pause-end' && pauses.length > 0) pauses[pauses.length - 1].end = r.t;
    }
    const dutyStart = rec.find((r) => r.type === 'duty-start')?.t ?? null;
    const dutyEnd = [...rec].reverse().find((r) => r.type === 'duty-end')?.t ?? null;
    const keyframeIntervalMs = 2000;
    let coverage: CoverageReport | null = null;
    const coverageByCamera: Record<string, CoverageReport> = {};
    if (dutyStart !== null) {
      const cameras = [...new Set(segments.map((x) => x.camera))];
      if (cameras.length === 0) cameras.push(this.scenario.device === 'vehicle' ? 'front-left' : 'main');
      for (const camera of cameras) {
        const c = analyseCoverage(
          [dutyStart * SECOND, (dutyEnd ?? end) * SECOND],
          segments.filter((x) => x.camera === camera).map((x) => [x.start * SECOND, x.end * SECOND] as [number, number]),
          pauses.map((p) => [p.start * SECOND, p.end * SECOND] as [number, number]),
          keyframeIntervalMs,
        );
        coverageByCamera[camera] = c;
        if (!coverage || c.coverage < coverage.coverage) coverage = c;
      }
    }
    const cfg = this.scenario.config as { dayNight?: { nightBelowLux?: number; dayAboveLux?: number } };
    return {
      scenario: this.scenario,
      seed: this.seed,
      serial: this.identity.serial,
      startEpochMs: this.startEpochMs,
      dutyStart,
      dutyEnd,
      endSeconds: end,
      wallSeconds,
      samples: this.samples,
      alerts: this.alerts,
      actions: this.actions.sort((a, b) => a.t - b.t),
      boots: this.boots,
      powerCuts: this.powerCuts,
      journal,
      coverage,
      coverageByCamera,
      segments,
      pauses,
      cardPaths: new Set((await this.hw.card.storage.list()).map((f) => f.path)),
      files: () => ({ internal: this.hw.internal.snapshot(), card: this.hw.card.storage.snapshot() }),
      maxTimestampErrorMs: this.timeErrors.length ? Math.max(...this.timeErrors) : null,
      keyframeIntervalMs,
      dayNight: { toNight: cfg.dayNight?.nightBelowLux ?? 2, toDay: cfg.dayNight?.dayAboveLux ?? 4 },
      truth: this.truth.record,
      playbacks: this.playbacks,
      storage: () => ({ card: this.hw.card.storage, internal: this.hw.internal, otherCards: this.otherCards, earlierFiles: this.earlierFiles }),
    };
  }

  /**
   * Reads the journal back from internal storage as an auditor would (signatures checked with the
   * device's public key). Record times come from the device's monotonic clock and the boot they
   * belong to, so they stay true while the device's wall clock is wrong (an untrusted RTC).
   */
  private async readJournal(): Promise<JournalView> {
    try {
      const { report, records } = await readJournalFromStorage(this.hw.internal, { publicKey: this.identity.deviceKey.publicKey });
      let boot = 0;
      let lastMono = -1;
      const times = new Map<JournalRecord, number>();
      for (const r of records) {
        // Each power-on starts the monotonic clock again.
        if (r.mono < lastMono && boot + 1 < this.bootAtMs.length) boot += 1;
        lastMono = r.mono;
        times.set(r, ((this.bootAtMs[boot] ?? 0) + r.mono) / SECOND);
      }
      return {
        verdict: report.status,
        problems: report.problems.map((p) => `${p.file}${p.seq !== undefined ? ` seq ${p.seq}` : ''}: ${p.message}`),
        records: records
          .filter((r) => isEntryType(r.type))
          .map((r) => ({ seq: r.seq, type: r.type, t: times.get(r)!, wall: r.wall, data: r.data as Record<string, unknown> })),
        raw: records,
        report,
      };
    } catch (err) {
      return { verdict: 'unreadable', problems: [(err as Error).message], records: [], raw: [], report: null };
    }
  }
}
