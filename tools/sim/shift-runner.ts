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

export interface Sample {
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
  records: Array<{ seq: number; type: string; t: number; wall: number; data: Record<string, unknown> }>;
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
  segments: Array<{ start: number; end: number; index: number; camera: string }>;
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
      this.powerCuts.push({ t: this.now, cause });
      this.device = null;
      this.bootSubs?.unsubscribe();
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
      this.clock.setTimeout(() => this.track(this.perform(action)), action.at * SECOND);
    }
    this.clock.setInterval(() => this.sample(), SAMPLE_EVERY_MS);
    this.sample();
    const step = 600 * SECOND;
    for (let t = 0; t < end * SECOND; t += step) {
      await this.clock.runUntil(Math.min(end * SECOND, t + step));
      this.o.onProgress?.(Math.min(1, this.clock.monotonic() / (end * SECOND)));
    }
    await this.settle();
    if (this.device) {
      await this.device.shutdown('shutdown');
      await this.clock.runFor(1000);
    }
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
        // How far the evidence's time stamp is from the true time (R-TIME-1).
        this.timeErrors.push(Math.abs(e.segment.endWall - this.clock.trueTime()));
      }
      if (e.type === 'alert' && e.event.type === 'raised') {
        const a = e.event.alert;
        this.alerts.push({ t: this.now, kind: a.kind, severity: a.severity, message: a.message });
      }
    });
    this.bootSubs = subs;
    void boot;
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
    if (!has('issue')) out.push({ at: 60, do: 'issue', plannedHours: this.dutyHours } as ScenarioAction);
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
          if (a.vehicle) params.vehicle = a.vehicle;
          else params.officer = a.officer ?? 'Sgt. D. Abenov';
          return void (await this.authorise('responsible', 'issue', params, 'issue'));
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
          const clip = await this.device.firmware.playback({ camera: 'main', segment: a.segment ?? 0 });
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
          this.hw.openSeal();
          const card = this.hw.removeCard();
          if (card && a.afterSeconds !== null) {
            this.clock.setTimeout(() => {
              this.hw.insertCard(card);
              this.hw.closeSeal();
            }, a.afterSeconds * SECOND);
          }
          return ok(a.afterSeconds === null ? 'card pulled (seal broken)' : `card pulled, back in ${a.afterSeconds} s`);
        }
        case 'card-insert': {
          this.hw.openSeal();
          this.hw.insertCard(await this.cardOf(a.card));
          this.hw.closeSeal();
          return ok(a.card);
        }
        case 'seal-break':
          this.hw.openSeal();
          return ok('slot cover opened');
        case 'reseal':
          this.hw.closeSeal();
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
        case 'link-down':
          return void this.actions.push({ t: this.now, do: a.do, outcome: 'skipped', detail: 'the body camera has no field uplink in this build' });
      }
    } catch (err) {
      this.actions.push({ t: this.now, do: a.do, outcome: 'error', detail: (err as Error).message });
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
        return (this.cloneCard ??= this.hw.card.cloneCid());
      case 'blank':
        return (this.blank ??= this.hw.blankCard('blank card'));
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
        }
        return this.foreignCard;
      }
    }
  }

  private async prefillCard(): Promise<void> {
    const mb = this.scenario.card.prefillMb;
    if (mb <= 0) return;
    // Earlier shifts' offloaded recordings still on the card (the "nearly full" scenarios).
    const f = await this.hw.card.storage.openAppend('archive/earlier-shifts.bin');
    const chunk = new Uint8Array(2 ** 20);
    for (let i = 0; i < mb; i++) await f.append(chunk);
    await f.sync();
    await f.close();
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
    const journal = await this.readJournal(toS);
    const rec = journal.records;
    const segments = rec
      .filter((r) => r.type === 'segment-closed')
      .map((r) => ({ start: toS(r.data.startWall as number), end: toS(r.data.endWall as number), index: r.data.segment as number, camera: String(r.data.camera ?? 'main') }));
    const pauses: ShiftRecord['pauses'] = [];
    for (const r of rec) {
      if (r.type === 'pause-start') pauses.push({ start: r.t, end: r.t, reason: String(r.data.reason) });
      if (r.type === 'pause-end' && pauses.length > 0) pauses[pauses.length - 1].end = r.t;
    }
    const dutyStart = rec.find((r) => r.type === 'duty-start')?.t ?? null;
    const dutyEnd = [...rec].reverse().find((r) => r.type === 'duty-end')?.t ?? null;
    const keyframeIntervalMs = 2000;
    let coverage: CoverageReport | null = null;
    if (dutyStart !== null) {
      const mainSegs = segments.filter((x) => x.camera === 'main');
      coverage = analyseCoverage(
        [dutyStart * SECOND, (dutyEnd ?? end) * SECOND],
        mainSegs.map((x) => [x.start * SECOND, x.end * SECOND] as [number, number]),
        pauses.map((p) => [p.start * SECOND, p.end * SECOND] as [number, number]),
        keyframeIntervalMs,
      );
    }
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
      segments,
      pauses,
      cardPaths: new Set((await this.hw.card.storage.list()).map((f) => f.path)),
      files: () => ({ internal: this.hw.internal.snapshot(), card: this.hw.card.storage.snapshot() }),
      maxTimestampErrorMs: this.timeErrors.length ? Math.max(...this.timeErrors) : null,
      keyframeIntervalMs,
      dayNight: { toNight: 2, toDay: 4 },
    };
  }

  private async readJournal(toS: (wall: number) => number): Promise<JournalView> {
    try {
      const { report, records } = await readJournalFromStorage(this.hw.internal, { publicKey: this.identity.deviceKey.publicKey });
      return {
        verdict: report.status,
        problems: report.problems.map((p) => `${p.file}${p.seq !== undefined ? ` seq ${p.seq}` : ''}: ${p.message}`),
        records: records
          .filter((r) => isEntryType(r.type))
          .map((r) => ({ seq: r.seq, type: r.type, t: toS(r.wall), wall: r.wall, data: r.data as Record<string, unknown> })),
      };
    } catch (err) {
      return { verdict: 'unreadable', problems: [(err as Error).message], records: [] };
    }
  }
}
