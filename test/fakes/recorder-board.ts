/**
 * Small, honest fakes of the HAL contracts for the recorder firmware's unit tests: each keeps
 * the contract's semantics (a camera that emits contiguous keyframe-aligned GOPs on the clock, a
 * battery pair that drains by the hour and fails over in hardware, an IR-cut filter that takes
 * its pulse time, indicators that take their pattern time) without any world physics. The full
 * simulated board (sim/) is assembled by the lead; these keep unit tests independent of it.
 */
import { BehaviorSubject, Observable, Subject } from 'rxjs';
import { DeviceBase } from '../../hal/device.ts';
import { DeviceNotFoundError, DeviceNotRespondingError, StorageUnavailableError } from '../../hal/errors.ts';
import type { Clock } from '../../hal/clock.ts';
import type { Board } from '../../hal/board.ts';
import type { AmbientLightSensor, LightSample } from '../../hal/light.ts';
import type { DayNightMode, IrCutFilter, IrIlluminator } from '../../hal/ir.ts';
import type { BatteryGauge, BatteryReading, Charger, DockState, PowerPath, SlotIndex } from '../../hal/battery.ts';
import type { RealTimeClock, RtcReading } from '../../hal/rtc.ts';
import type { ClimateSample, ClimateSensor } from '../../hal/climate.ts';
import type { ButtonEvent, ButtonName, Buttons } from '../../hal/buttons.ts';
import type { IndicatorOutput, Indicators, Pattern } from '../../hal/indicators.ts';
import type { CardSlot, CardStatus } from '../../hal/card.ts';
import type { AppendFile, FileInfo, SpaceInfo, Storage } from '../../hal/storage.ts';
import type { Camera, Still, VideoChunk, VideoOptions } from '../../hal/camera.ts';
import type { Microphone, MicrophoneSample } from '../../hal/microphone.ts';
import { encodePps, encodeSps } from '../../hal/drivers/h264.ts';
import { SimStorage } from '../../sim/storage.ts';
import { SeededRandom } from '../../sim/random.ts';
import type { VirtualClock } from '../../sim/virtual-clock.ts';
import { type EntryData, type EntryType, type JournalWriter } from '../../firmware/journal/entries.ts';
import { checkServiceAppend } from '../../firmware/journal/validate.ts';
import type { CardReadiness, EvidenceVolume } from '../../firmware/card/evidence-volume.ts';

// ---------------------------------------------------------------- power rail / storage

/**
 * The device's supply: a cut kills every storage (tearing unsynced data) and the journal.
 * Power comes back as a new generation: whatever was wired to the old one (the firmware
 * instance that was running at the cut) stays dead, as a process killed by the cut would.
 */
export class PowerRail {
  alive = true;
  generation = 0;
  private readonly storages = new Set<SimStorage>();
  register(s: SimStorage): void {
    this.storages.add(s);
  }
  cut(): void {
    if (!this.alive) return;
    this.alive = false;
    for (const s of this.storages) s.powerCut();
  }
  /** Power is back for a new boot. */
  restore(): void {
    this.alive = true;
    this.generation += 1;
  }
  isLive(generation: number): boolean {
    return this.alive && generation === this.generation;
  }
}

/** A `Storage` on a SimStorage that dies with the rail, and can cut the rail at its n-th operation. */
export class RailStorage implements Storage {
  ops = 0;
  cutAtOp = Infinity;
  private readonly generation: number;
  constructor(
    readonly inner: SimStorage,
    private readonly rail: PowerRail,
  ) {
    rail.register(inner);
    this.generation = rail.generation;
  }
  get name(): string {
    return this.inner.name;
  }
  private step(): void {
    if (!this.rail.isLive(this.generation)) throw new StorageUnavailableError(this.inner.name, 'no power');
    this.ops += 1;
    if (this.ops >= this.cutAtOp) {
      this.rail.cut();
      throw new StorageUnavailableError(this.inner.name, 'power cut');
    }
  }
  async openAppend(path: string): Promise<AppendFile> {
    this.step();
    const f = await this.inner.openAppend(path);
    const step = () => this.step();
    return {
      path: f.path,
      get size() {
        return f.size;
      },
      get syncedSize() {
        return f.syncedSize;
      },
      async append(d: Uint8Array) {
        step();
        await f.append(d);
      },
      async sync() {
        step();
        await f.sync();
      },
      async close() {
        await f.close();
      },
    };
  }
  async read(path: string, offset?: number, length?: number): Promise<Uint8Array> {
    this.step();
    return this.inner.read(path, offset, length);
  }
  async writeAtomic(path: string, data: Uint8Array): Promise<void> {
    this.step();
    return this.inner.writeAtomic(path, data);
  }
  async stat(path: string): Promise<FileInfo | null> {
    this.step();
    return this.inner.stat(path);
  }
  async list(prefix?: string): Promise<FileInfo[]> {
    this.step();
    return this.inner.list(prefix);
  }
  async rename(from: string, to: string): Promise<void> {
    this.step();
    return this.inner.rename(from, to);
  }
  async truncate(path: string, size: number): Promise<void> {
    this.step();
    return this.inner.truncate(path, size);
  }
  async remove(path: string): Promise<void> {
    this.step();
    return this.inner.remove(path);
  }
  async space(): Promise<SpaceInfo> {
    this.step();
    return this.inner.space();
  }
  async close(): Promise<void> {}
}

// ---------------------------------------------------------------- journal

export interface JournalRecord<T extends EntryType = EntryType> {
  seq: number;
  type: T;
  data: EntryData<T>;
  mono: number;
  wall: number;
}

/** In-memory journal: validates every entry against its schema; dies with the rail. */
export class MemoryJournal implements JournalWriter {
  private readonly generation: number;
  constructor(
    private readonly clock: Clock,
    private readonly rail?: PowerRail,
    /** Entries shared with the journal of earlier boots. */
    readonly entries: JournalRecord[] = [],
  ) {
    this.generation = rail?.generation ?? 0;
  }
  /** The same journal, written by the firmware of the current boot. */
  forBoot(): MemoryJournal {
    return new MemoryJournal(this.clock, this.rail, this.entries);
  }
  async append<T extends EntryType>(type: T, data: EntryData<T>): Promise<{ seq: number }> {
    if (this.rail && !this.rail.isLive(this.generation)) throw new StorageUnavailableError('journal', 'no power');
    const parsed = checkServiceAppend(type, data);
    const seq = this.entries.length;
    this.entries.push({ seq, type, data: parsed, mono: this.clock.monotonic(), wall: this.clock.wallTime() } as JournalRecord);
    return { seq };
  }
  of<T extends EntryType>(type: T): Array<JournalRecord<T>> {
    return this.entries.filter((e): e is JournalRecord<T> => e.type === type);
  }
  types(): EntryType[] {
    return this.entries.map((e) => e.type);
  }
}

// ---------------------------------------------------------------- evidence volume

export class FakeEvidence implements EvidenceVolume {
  private readonly subject = new BehaviorSubject<CardReadiness>('ready');
  readonly readiness$ = this.subject.asObservable();
  constructor(readonly storage: Storage) {}
  readiness(): CardReadiness {
    return this.subject.value;
  }
  set(r: CardReadiness): void {
    this.subject.next(r);
  }
}

// ---------------------------------------------------------------- camera

export interface FakeCameraOptions {
  clock: Clock;
  /** Frames in the n-th GOP (default: keyframeInterval). */
  gopFrames?: (n: number) => number;
  /** Payload bytes per frame (kept small: tests hash every byte). */
  bytesPerFrame?: number;
}

const gopTemplates = new Map<string, { data: Uint8Array; idrPayload: number }>();

/** One Annex-B GOP: SPS, PPS, IDR, then P slices; the GOP number is stamped into the IDR payload. */
export function makeGop(width: number, height: number, frames: number, bytesPerFrame: number, tag: number): Uint8Array {
  const key = `${width}x${height}:${frames}:${bytesPerFrame}`;
  let t = gopTemplates.get(key);
  if (!t) {
    const data = buildGop(width, height, frames, Math.max(4, bytesPerFrame));
    const idr = data.findIndex((b, i) => i > 3 && b === 0x65 && data[i - 1] === 1 && data[i - 2] === 0);
    t = { data, idrPayload: idr + 2 };
    gopTemplates.set(key, t);
  }
  const out = t.data.slice();
  // Four bytes of the tag, each kept ≥ 0x10 so no start code can appear.
  for (let k = 0; k < 4; k++) out[t.idrPayload + k] = 0x10 + ((tag >>> (k * 6)) & 0x3f);
  return out;
}

function buildGop(width: number, height: number, frames: number, bytesPerFrame: number): Uint8Array {
  const sps = encodeSps({ width, height });
  const pps = encodePps();
  const nal = (header: number, first: number, i: number) => {
    const body = new Uint8Array(4 + 2 + bytesPerFrame);
    body.set([0, 0, 0, 1, header, first], 0);
    for (let k = 0; k < bytesPerFrame; k++) body[6 + k] = 0x10 + ((i * 7 + k) % 0xe0);
    return body;
  };
  const parts = [sps, pps, nal(0x65, 0x88, 0)];
  for (let f = 1; f < frames; f++) parts.push(nal(0x41, 0x9a, f));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export class FakeCamera extends DeviceBase implements Camera {
  mode: 'day' | 'night' = 'day';
  readonly modes: Array<{ mode: 'day' | 'night'; at: number }> = [];
  subscriptions = 0;
  gopsEmitted = 0;
  /** Emitted chunks (metadata), for property checks. */
  readonly emitted: Array<{ pts: number; durationMs: number; frames: number }> = [];
  private failSubject = new Subject<Error>();

  constructor(
    name: string,
    private readonly o: FakeCameraOptions,
  ) {
    super(name);
  }

  /** Makes the running stream error (encoder died, cable pulled). */
  fail(message = 'camera stopped answering'): void {
    this.failSubject.next(new DeviceNotRespondingError(this.name, message));
  }

  video(options: VideoOptions): Observable<VideoChunk> {
    this.assertOpen();
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this;
    return new Observable<VideoChunk>((sub) => {
      this.subscriptions += 1;
      const clock = this.o.clock;
      let pts = clock.monotonic();
      const failSub = this.failSubject.subscribe((e) => sub.error(e));
      let timer = arm();
      function arm() {
        const f = self.o.gopFrames ? self.o.gopFrames(self.gopsEmitted) : options.keyframeInterval;
        const dur = (f / options.fps) * 1000;
        return clock.setTimeout(() => {
          const chunk: VideoChunk = {
            data: makeGop(options.width, options.height, f, self.o.bytesPerFrame ?? 8, self.gopsEmitted),
            pts,
            durationMs: dur,
            frames: f,
            mode: self.mode,
          };
          self.gopsEmitted += 1;
          self.emitted.push({ pts, durationMs: dur, frames: f });
          pts += dur;
          timer = arm();
          sub.next(chunk);
        }, pts + dur - clock.monotonic());
      }
      return () => {
        timer.cancel();
        failSub.unsubscribe();
      };
    });
  }

  async still(): Promise<Still> {
    throw new DeviceNotFoundError(this.name, 'no stills in the fake');
  }

  setMode(mode: 'day' | 'night'): void {
    this.mode = mode;
    this.modes.push({ mode, at: this.o.clock.monotonic() });
  }
}

// ---------------------------------------------------------------- optics, light, climate

export class FakeLight extends DeviceBase implements AmbientLightSensor {
  failing = false;
  reads = 0;
  constructor(
    private readonly clock: Clock,
    public lux: (t: number) => number,
  ) {
    super('light sensor');
  }
  async read(): Promise<LightSample> {
    this.reads += 1;
    if (this.failing) throw new DeviceNotRespondingError(this.name, 'no ACK at 0x10');
    const at = this.clock.monotonic();
    return { lux: Math.max(0, this.lux(at)), saturated: false, at };
  }
}

export class FakeIrCut extends DeviceBase implements IrCutFilter {
  position: DayNightMode | 'unknown' = 'unknown';
  readonly pulses: Array<{ mode: DayNightMode; at: number }> = [];
  constructor(
    private readonly clock: Clock,
    private readonly pulseMs = 100,
  ) {
    super('IR-cut filter');
  }
  async set(mode: DayNightMode): Promise<void> {
    this.pulses.push({ mode, at: this.clock.monotonic() });
    await this.clock.sleep(this.pulseMs);
    this.position = mode;
  }
}

export class FakeIrLight extends DeviceBase implements IrIlluminator {
  level = 0;
  readonly levels: number[] = [];
  constructor() {
    super('IR illuminator');
  }
  async set(level: number): Promise<void> {
    this.level = level;
    this.levels.push(level);
  }
}

export class FakeClimate extends DeviceBase implements ClimateSensor {
  failing = false;
  constructor(
    private readonly clock: Clock,
    public air: (t: number) => { celsius: number; humidity: number },
  ) {
    super('climate sensor');
  }
  async read(): Promise<ClimateSample> {
    if (this.failing) throw new DeviceNotRespondingError(this.name, 'no ACK at 0x44');
    const at = this.clock.monotonic();
    return { ...this.air(at), at };
  }
}

// ---------------------------------------------------------------- power

export interface Pack {
  present: boolean;
  soc: number;
}

/** Two packs behind an ideal-diode power path: the active one drains at `drawPercentPerHour`. */
export class FakePowerWorld {
  readonly packs: [Pack, Pack] = [
    { present: true, soc: 100 },
    { present: true, soc: 100 },
  ];
  active: SlotIndex | null = 0;
  drawPercentPerHour = 10;
  externalPower = false;
  gaugeFailing: [boolean, boolean] = [false, false];
  /** Report the draw through CRATE (else 0, forcing the firmware to use charge deltas). */
  reportRate = true;
  private lastUpdate: number;
  browns = 0;

  constructor(private readonly clock: Clock) {
    this.lastUpdate = clock.monotonic();
  }

  /** Integrates the drain up to now; fails over in hardware when the active pack is gone or empty. */
  update(): void {
    const now = this.clock.monotonic();
    let dt = (now - this.lastUpdate) / 3_600_000;
    this.lastUpdate = now;
    while (dt > 0 && !this.externalPower) {
      this.failover();
      if (this.active === null) break;
      const p = this.packs[this.active];
      const need = p.soc / this.drawPercentPerHour;
      if (need >= dt) {
        p.soc -= dt * this.drawPercentPerHour;
        dt = 0;
      } else {
        p.soc = 0;
        dt -= need;
      }
    }
    this.failover();
  }

  private failover(): void {
    const ok = (s: SlotIndex) => this.packs[s].present && this.packs[s].soc > 0;
    if (this.active !== null && ok(this.active)) return;
    const other = this.active === null ? ([0, 1] as SlotIndex[]).find(ok) : ok((1 - this.active) as SlotIndex) ? ((1 - this.active) as SlotIndex) : undefined;
    if (other === undefined) {
      if (this.active !== null) this.browns += 1;
      this.active = null;
    } else {
      this.active = other;
    }
  }

  remove(slot: SlotIndex): void {
    this.update();
    this.packs[slot] = { present: false, soc: 0 };
    this.update();
  }

  insert(slot: SlotIndex, soc: number): void {
    this.update();
    this.packs[slot] = { present: true, soc };
  }

  reading(slot: SlotIndex): BatteryReading {
    this.update();
    const p = this.packs[slot];
    if (!p.present) return { present: false, voltage: 0, socPercent: 0, ratePercentPerHour: 0, at: this.clock.monotonic() };
    const draining = this.active === slot && !this.externalPower;
    return {
      present: true,
      voltage: 3.4 + 0.8 * (p.soc / 100),
      socPercent: Math.floor(p.soc * 256) / 256,
      ratePercentPerHour: draining && this.reportRate ? -this.drawPercentPerHour : 0,
      at: this.clock.monotonic(),
    };
  }
}

export class FakeGauge extends DeviceBase implements BatteryGauge {
  constructor(
    readonly slot: SlotIndex,
    private readonly world: FakePowerWorld,
  ) {
    super(`battery ${slot === 0 ? 'A' : 'B'}`);
  }
  async read(): Promise<BatteryReading> {
    if (this.world.gaugeFailing[this.slot]) throw new DeviceNotRespondingError(this.name, 'no ACK at 0x36');
    return this.world.reading(this.slot);
  }
}

export class FakePowerPath extends DeviceBase implements PowerPath {
  selects: SlotIndex[] = [];
  constructor(private readonly world: FakePowerWorld) {
    super('power path');
  }
  async active(): Promise<SlotIndex | null> {
    this.world.update();
    // The contract: null while the device runs from external power only.
    return this.world.externalPower ? null : this.world.active;
  }
  async select(slot: SlotIndex): Promise<void> {
    this.world.update();
    if (!this.world.packs[slot].present) throw new DeviceNotFoundError(this.name, `no pack in slot ${slot}`);
    this.selects.push(slot);
    this.world.active = slot;
  }
}

export class FakeCharger extends DeviceBase implements Charger {
  private readonly subject: BehaviorSubject<DockState>;
  readonly changes$: Observable<DockState>;
  constructor(private readonly world: FakePowerWorld) {
    super('charger');
    this.subject = new BehaviorSubject<DockState>({ docked: false, externalPower: false, charging: [false, false] });
    this.changes$ = this.subject.asObservable();
  }
  async read(): Promise<DockState> {
    return this.subject.value;
  }
  setDocked(docked: boolean): void {
    this.world.update();
    this.world.externalPower = docked;
    this.subject.next({ docked, externalPower: docked, charging: [docked, docked] });
  }
}

// ---------------------------------------------------------------- rtc, buttons, indicators, misc

export class FakeRtc extends DeviceBase implements RealTimeClock {
  oscillatorStopped = false;
  failing = false;
  /** RTC time minus the world's true time. */
  offsetMs = 0;
  readonly sets: number[] = [];
  constructor(private readonly clock: VirtualClock) {
    super('RTC');
  }
  async read(): Promise<RtcReading> {
    if (this.failing) throw new DeviceNotRespondingError(this.name, 'no ACK at 0x68');
    return { time: this.clock.trueTime() + this.offsetMs, oscillatorStopped: this.oscillatorStopped };
  }
  async set(epochMs: number): Promise<void> {
    this.sets.push(epochMs);
    this.offsetMs = epochMs - this.clock.trueTime();
    this.oscillatorStopped = false;
  }
}

export class FakeButtons extends DeviceBase implements Buttons {
  private readonly subject = new Subject<ButtonEvent>();
  readonly events$ = this.subject.asObservable();
  private readonly pressed = new Set<ButtonName>();
  constructor(private readonly clock: Clock) {
    super('buttons');
  }
  press(button: ButtonName): void {
    this.pressed.add(button);
    this.subject.next({ button, action: 'press', at: this.clock.monotonic() });
    this.pressed.delete(button);
    this.subject.next({ button, action: 'release', at: this.clock.monotonic() });
  }
  isPressed(button: ButtonName): boolean {
    return this.pressed.has(button);
  }
}

export class FakeIndicators extends DeviceBase implements Indicators {
  readonly plays: Array<{ output: IndicatorOutput; pattern: Pattern; at: number }> = [];
  private readonly on = new Set<IndicatorOutput>();
  constructor(private readonly clock: Clock) {
    super('indicators');
  }
  async set(output: IndicatorOutput, on: boolean): Promise<void> {
    if (on) this.on.add(output);
    else this.on.delete(output);
  }
  async play(output: IndicatorOutput, pattern: Pattern): Promise<void> {
    this.plays.push({ output, pattern, at: this.clock.monotonic() });
    await this.clock.sleep(pattern.reduce((a, b) => a + b, 0));
  }
  isOn(output: IndicatorOutput): boolean {
    return this.on.has(output);
  }
  playsOf(output: IndicatorOutput): number[] {
    return this.plays.filter((p) => p.output === output).map((p) => p.at);
  }
}

class FakeCardSlot extends DeviceBase implements CardSlot {
  readonly changes$ = new Subject<CardStatus>().asObservable();
  constructor(readonly storage: Storage) {
    super('card slot');
  }
  async status(): Promise<CardStatus> {
    return { present: true, cid: '0353445343333247801234abcd0156b5', sealClosed: true };
  }
}

class FakeMicrophone extends DeviceBase implements Microphone {
  constructor(private readonly clock: Clock) {
    super('microphone');
  }
  async level(): Promise<MicrophoneSample> {
    return { dbfs: -40, at: this.clock.monotonic() };
  }
}

// ---------------------------------------------------------------- the board

export interface TestBoardOptions {
  clock: VirtualClock;
  seed?: number;
  variant?: 'bodycam' | 'vehicle';
  lux?: (t: number) => number;
  air?: (t: number) => { celsius: number; humidity: number };
  camera?: Omit<FakeCameraOptions, 'clock'>;
  cardCapacityBytes?: number;
}

export interface TestBoard {
  board: Board;
  rail: PowerRail;
  internalSim: SimStorage;
  cardSim: SimStorage;
  internal: RailStorage;
  card: RailStorage;
  evidence: FakeEvidence;
  journal: MemoryJournal;
  camera: FakeCamera;
  extraCameras: FakeCamera[];
  light: FakeLight;
  irCut: FakeIrCut;
  irLight: FakeIrLight;
  climate: FakeClimate;
  power: FakePowerWorld;
  powerPath: FakePowerPath;
  charger: FakeCharger;
  rtc: FakeRtc;
  buttons: FakeButtons;
  indicators: FakeIndicators;
  random: SeededRandom;
}

export function makeTestBoard(o: TestBoardOptions): TestBoard {
  const random = new SeededRandom(o.seed ?? 1);
  const rail = new PowerRail();
  const internalSim = new SimStorage({ name: 'internal', capacityBytes: 64 << 20, random: random.fork('internal') });
  const cardSim = new SimStorage({ name: 'card', capacityBytes: o.cardCapacityBytes ?? 64 * 2 ** 30, random: random.fork('card') });
  return assembleTestBoard(o, random, rail, internalSim, cardSim);
}

/** A board on existing storages: a second boot after a power cut uses the same media. */
export function assembleTestBoard(o: TestBoardOptions, random: SeededRandom, rail: PowerRail, internalSim: SimStorage, cardSim: SimStorage): TestBoard {
  const { clock } = o;
  const internal = new RailStorage(internalSim, rail);
  const card = new RailStorage(cardSim, rail);
  const camera = new FakeCamera('camera 0', { clock, ...o.camera });
  const extraCameras = o.variant === 'vehicle' ? [new FakeCamera('camera 1', { clock, ...o.camera }), new FakeCamera('camera 2', { clock, ...o.camera })] : [];
  const light = new FakeLight(clock, o.lux ?? (() => 500));
  const irCut = new FakeIrCut(clock);
  const irLight = new FakeIrLight();
  const climate = new FakeClimate(clock, o.air ?? (() => ({ celsius: 20, humidity: 40 })));
  const power = new FakePowerWorld(clock);
  const gauges: [FakeGauge, FakeGauge] = [new FakeGauge(0, power), new FakeGauge(1, power)];
  const powerPath = new FakePowerPath(power);
  const charger = new FakeCharger(power);
  const rtc = new FakeRtc(clock);
  const buttons = new FakeButtons(clock);
  const indicators = new FakeIndicators(clock);
  const board: Board = {
    variant: o.variant ?? 'bodycam',
    model: 'unit-test fakes',
    light,
    irCut,
    irLight,
    batteries: gauges,
    powerPath,
    charger,
    rtc,
    climate,
    buttons,
    indicators,
    card: new FakeCardSlot(card),
    internal,
    camera,
    extraCameras,
    microphone: new FakeMicrophone(clock),
    gnss: null,
    radar: null,
    dockPort: null,
    uplink: null,
    async close() {},
  };
  return {
    board,
    rail,
    internalSim,
    cardSim,
    internal,
    card,
    evidence: new FakeEvidence(card),
    journal: new MemoryJournal(clock, rail),
    camera,
    extraCameras,
    light,
    irCut,
    irLight,
    climate,
    power,
    powerPath,
    charger,
    rtc,
    buttons,
    indicators,
    random,
  };
}
