/**
 * A simulated device as a physical object: the world around it (sun, weather, packs, RTC
 * oscillator), its I2C sensor chips, GPIO-wired parts, camera, card slot and storage. It
 * outlives power cuts; each power-on builds a fresh `Board` of real drivers over the simulated
 * buses (`boot()`), and a power cut kills that boot: its timers stop, unsynced data is torn.
 *
 * The wiring follows the Pi 4 body-camera prototype (boards/bodycam-pi4-proto-b.yaml): the
 * same BCM lines, the same I2C parts and addresses, so the drivers that run on the prototype
 * run in every simulated shift.
 */
import { Observable, Subject, Subscription } from 'rxjs';
import type { Board, DeviceVariant } from '../hal/board.ts';
import type { Camera, Still, StillOptions, VideoChunk, VideoOptions } from '../hal/camera.ts';
import type { ButtonName } from '../hal/buttons.ts';
import type { SlotIndex } from '../hal/battery.ts';
import { InvalidOptionsError } from '../hal/errors.ts';
import { createI2cSensors, type I2cSensors } from '../hal/drivers/index.ts';
import { GpioButtons } from '../hal/drivers/gpio-buttons.ts';
import { GpioIndicators } from '../hal/drivers/gpio-indicators.ts';
import { HBridgeIrCut } from '../hal/drivers/ircut-hbridge.ts';
import { GpioIrLight } from '../hal/drivers/gpio-ir-light.ts';
import { GpioCharger } from '../hal/drivers/gpio-charger.ts';
import { BootClock } from './boot-clock.ts';
import type { VirtualClock } from './virtual-clock.ts';
import { SeededRandom } from './random.ts';
import { SimStorage } from './storage.ts';
import { SimGpioController } from './gpio.ts';
import { SimChargerPins } from './power-parts.ts';
import { SimCamera, type CameraMedia } from './camera.ts';
import { SimMicrophone } from './microphone.ts';
import { SimCard, SimCardSlot } from './card-slot.ts';
import { SimLinkPort } from './link.ts';
import { SimPowerPath } from './world/power-devices.ts';
import { SimWorld, BODYCAM_LOADS_MA, type Environment, type Weather, type BatteryPackOptions, type RtcOscillatorOptions } from './world/index.ts';
import { createSensorBus, type SensorBus } from './i2c/sensor-bus.ts';

/** BCM lines, as on the Pi 4 prototype's board file. */
export const SIM_PINS = {
  buttons: { record: 17, marker: 27, pause: 22, power: 6 } as Record<ButtonName, number>,
  leds: { red: 16, green: 20, amber: 21 },
  buzzer: 12,
  vibration: 26,
  irLed: 13,
  irCut: { day: 23, night: 24 },
  seal: 25,
  dock: 7,
  powerGood: 8,
  charging: [9, 10] as const,
} as const;

export interface SimHardwareOptions {
  clock: VirtualClock;
  seed: number;
  variant?: DeviceVariant;
  location?: { latitude: number; longitude: number };
  environment?: Environment;
  weather?: Partial<Weather>;
  /** Packs in the slots at the start (null: empty slot). */
  packs?: readonly [BatteryPackOptions | null, BatteryPackOptions | null];
  rtc?: Omit<RtcOscillatorOptions, 'clock' | 'temperature' | 'seed'>;
  /** Internal storage size (journal, state, queues); default 256 MiB. */
  internalBytes?: number;
  /** The registered evidence card's size; default 2 GiB. */
  cardBytes?: number;
  media?: CameraMedia;
}

/** One power-on: the board the firmware sees and the world-side handles of its parts. */
export interface SimBoot {
  readonly board: Board;
  readonly clock: BootClock;
  readonly gpio: SimGpioController;
  readonly camera: SimCamera;
  readonly extraCameras: readonly SimCamera[];
  readonly microphone: SimMicrophone;
  readonly cardSlot: SimCardSlot;
  readonly indicators: GpioIndicators;
  readonly sensors: I2cSensors;
  readonly dockPort: SimLinkPort;
  readonly uplink: SimLinkPort;
}

export class SimHardware {
  readonly clock: VirtualClock;
  readonly seed: number;
  readonly variant: DeviceVariant;
  readonly world: SimWorld;
  readonly sensorBus: SensorBus;
  readonly internal: SimStorage;
  /** The card registered to this device at the start of the scenario (the one sealed in). */
  readonly card: SimCard;
  private readonly random: SeededRandom;
  private readonly media: CameraMedia;
  private slotCard: SimCard | null;
  private sealClosed = true;
  private cameraUnplugged: string | null = null;
  private booted: { boot: SimBoot; subs: Subscription } | null = null;
  private readonly bootsSubject = new Subject<SimBoot>();
  private readonly cutsSubject = new Subject<{ at: number; cause: 'brownout' | 'power-cut' }>();
  /** A new power-on (after the first `boot()` or after power returns). */
  readonly boots$ = this.bootsSubject.asObservable();
  /** Power lost: the running boot died. */
  readonly powerCuts$ = this.cutsSubject.asObservable();
  bootCount = 0;

  constructor(options: SimHardwareOptions) {
    if (!options?.clock) throw new InvalidOptionsError('SimHardware: clock required');
    this.clock = options.clock;
    this.seed = options.seed;
    this.variant = options.variant ?? 'bodycam';
    this.media = options.media ?? 'synthetic';
    this.random = new SeededRandom(options.seed).fork('hardware');
    this.world = new SimWorld({
      clock: options.clock,
      seed: options.seed,
      location: options.location,
      environment: options.environment,
      weather: options.weather,
      packs: options.packs,
      rtc: options.rtc,
    });
    this.sensorBus = createSensorBus({ world: this.world });
    this.internal = new SimStorage({ name: 'internal storage', capacityBytes: options.internalBytes ?? 256 * 2 ** 20, random: this.random.fork('internal') });
    this.card = SimCard.create({ label: 'evidence card', random: this.random.fork('card'), capacityBytes: options.cardBytes ?? 2 * 2 ** 30 });
    this.slotCard = this.card;
    this.world.power.brownout$.subscribe(() => this.cut('brownout'));
  }

  get current(): SimBoot | null {
    return this.booted?.boot ?? null;
  }

  get cardInSlot(): SimCard | null {
    return this.slotCard;
  }

  /** Powers the device on: builds the board of real drivers over the simulated buses. */
  async boot(): Promise<SimBoot> {
    if (this.booted) throw new InvalidOptionsError('SimHardware: already running');
    if (!this.world.power.powered()) throw new InvalidOptionsError('SimHardware: no power (no usable pack and no external power)');
    this.bootCount += 1;
    // Like the kernel's hctosys: the system clock starts from the RTC (trusted or not; the firmware decides).
    const clock = new BootClock(this.clock, this.clock.monotonic(), this.world.rtc.time());
    const random = new SeededRandom(this.seed).fork(`boot-${this.bootCount}`);
    const subs = new Subscription();
    const gpio = new SimGpioController({ clock, random: random.fork('gpio'), name: 'simulated GPIO' });
    for (const line of [...Object.values(SIM_PINS.buttons), SIM_PINS.seal, SIM_PINS.dock, SIM_PINS.powerGood, ...SIM_PINS.charging]) gpio.pull(line, 'up');

    const chargerPins = new SimChargerPins({ gpio, lines: { dock: SIM_PINS.dock, powerGood: SIM_PINS.powerGood, charging: SIM_PINS.charging }, dockBounceMs: 0 });
    const power = this.world.power;
    const syncCharger = () => {
      chargerPins.setDocked(power.docked);
      chargerPins.setPowerGood(power.externalPower);
      chargerPins.setCharging(0, power.charging(0));
      chargerPins.setCharging(1, power.charging(1));
    };
    syncCharger();
    subs.add(power.events$.subscribe(() => syncCharger()));

    const sensors = createI2cSensors({ bus: this.sensorBus.bus, clock });
    const [buttons, indicators, irCut, irLight, charger] = await Promise.all([
      GpioButtons.open({ gpio, lines: SIM_PINS.buttons, debounceMs: 20 }),
      GpioIndicators.open({
        gpio,
        clock,
        outputs: {
          'led-red': { line: SIM_PINS.leds.red },
          'led-green': { line: SIM_PINS.leds.green },
          'led-amber': { line: SIM_PINS.leds.amber },
          buzzer: { line: SIM_PINS.buzzer },
          vibration: { line: SIM_PINS.vibration },
        },
      }),
      HBridgeIrCut.open({ gpio, clock, lines: SIM_PINS.irCut, pulseMs: 100 }),
      GpioIrLight.open({ gpio, line: SIM_PINS.irLed }),
      GpioCharger.open({ gpio, lines: { dock: SIM_PINS.dock, powerGood: SIM_PINS.powerGood, charging: SIM_PINS.charging } }),
    ]);
    const powerPath = new SimPowerPath(power);

    const makeCamera = (name: string, seed: number) => {
      const cam = new SimCamera({ clock, name, seed, media: this.media, lux: this.world.lux() });
      if (this.cameraUnplugged) cam.unplug(this.cameraUnplugged);
      return cam;
    };
    const camera = makeCamera('camera', this.seed);
    const extraCameras = this.variant === 'vehicle' ? [makeCamera('front camera 2', this.seed + 1), makeCamera('rear camera', this.seed + 2)] : [];
    const microphone = new SimMicrophone({ clock, seed: this.seed });
    const cardSlot = new SimCardSlot({ sealClosed: this.sealClosed });
    if (this.slotCard) cardSlot.insert(this.slotCard);
    const dockPort = new SimLinkPort('dock connector', { clock });
    const uplink = new SimLinkPort('uplink', { clock });

    // Loads follow what the device does: the camera pipeline while video streams, the IR ring
    // while its line is high, the rest while powered.
    const loadOn = (name: keyof typeof BODYCAM_LOADS_MA, on: boolean, times = 1) => power.setLoad(name, on ? BODYCAM_LOADS_MA[name] * times : 0);
    loadOn('system', true);
    loadOn('microphone', true);
    loadOn('indicators', true);
    const streaming = new Set<string>();
    const cameraLoads = () => {
      const n = streaming.size;
      loadOn('camera', n > 0, n);
      loadOn('encoder', n > 0, n);
      loadOn('storage', n > 0);
    };
    const withLoad = (cam: SimCamera): Camera => ({
      name: cam.name,
      video: (options: VideoOptions) =>
        new Observable<VideoChunk>((sub) => {
          streaming.add(cam.name);
          cameraLoads();
          const inner = cam.video(options).subscribe(sub);
          return () => {
            inner.unsubscribe();
            streaming.delete(cam.name);
            cameraLoads();
          };
        }),
      still: (options: StillOptions): Promise<Still> => {
        cam.setScene({ lux: this.world.lux() });
        return cam.still(options);
      },
      setMode: (mode) => cam.setMode(mode),
      close: () => cam.close(),
    });
    subs.add(
      gpio.watch(SIM_PINS.irLed).subscribe((level) => {
        loadOn('irIlluminator', level === 1);
        for (const cam of [camera, ...extraCameras]) cam.setScene({ irLit: level === 1 });
      }),
    );

    const devices = [sensors, buttons, indicators, irCut, irLight, charger, powerPath, camera, ...extraCameras, microphone, cardSlot, dockPort, uplink];
    let closed = false;
    const board: Board = {
      variant: this.variant,
      model: `simulated ${this.variant} (Pi 4 prototype B wiring)`,
      light: sensors.light,
      irCut,
      irLight,
      batteries: sensors.batteries,
      powerPath,
      charger,
      rtc: sensors.rtc,
      climate: sensors.climate,
      buttons,
      indicators,
      card: cardSlot,
      internal: this.internal,
      camera: withLoad(camera),
      extraCameras: extraCameras.map(withLoad),
      microphone,
      gnss: null,
      radar: null,
      dockPort,
      uplink,
      close: async () => {
        if (closed) return;
        closed = true;
        await Promise.all(devices.map((d) => d.close()));
      },
    };
    const boot: SimBoot = { board, clock, gpio, camera, extraCameras, microphone, cardSlot, indicators, sensors, dockPort, uplink };
    this.booted = { boot, subs };
    this.bootsSubject.next(boot);
    return boot;
  }

  /** Sudden loss of all power (a pulled pack with the other slot empty, a kicked connector). */
  powerCut(): void {
    this.cut('power-cut');
  }

  private cut(cause: 'brownout' | 'power-cut'): void {
    const b = this.booted;
    if (!b) return;
    this.booted = null;
    b.boot.clock.kill();
    b.subs.unsubscribe();
    for (const name of Object.keys(BODYCAM_LOADS_MA) as Array<keyof typeof BODYCAM_LOADS_MA>) this.world.power.setLoad(name, 0);
    // Whatever was not synced is at the mercy of the flash controller.
    this.internal.powerCut();
    this.slotCard?.storage.powerCut();
    void b.boot.board.close().catch(() => undefined);
    this.cutsSubject.next({ at: this.clock.monotonic(), cause });
  }

  // ---- the people and the world acting on the device ----

  /** A press (and release after `holdMs`) of a button, with contact bounce. */
  press(button: ButtonName, holdMs = 200): void {
    const gpio = this.booted?.boot.gpio;
    if (!gpio) return;
    const line = SIM_PINS.buttons[button];
    gpio.drive(line, 0, { bounceMs: 4 });
    this.clock.setTimeout(() => {
      if (this.booted?.boot.gpio === gpio) gpio.release(line, { bounceMs: 4 });
    }, holdMs);
  }

  dock(): void {
    this.world.power.setDocked(true);
    this.world.power.setExternalPower(true);
  }

  undock(): void {
    this.world.power.setExternalPower(false);
    this.world.power.setDocked(false);
  }

  removePack(slot: SlotIndex): void {
    this.world.removePack(slot);
  }

  insertPack(slot: SlotIndex, options: BatteryPackOptions): void {
    this.world.insertPack(slot, options);
  }

  /** Pulls the card out of the slot (the seal must be broken to do it physically). */
  removeCard(): SimCard | null {
    const card = this.slotCard;
    this.slotCard = null;
    this.booted?.boot.cardSlot.remove();
    return card;
  }

  insertCard(card: SimCard): void {
    if (this.slotCard) this.removeCard();
    this.slotCard = card;
    this.booted?.boot.cardSlot.insert(card);
  }

  openSeal(): void {
    this.sealClosed = false;
    this.booted?.boot.cardSlot.openSeal();
  }

  closeSeal(): void {
    this.sealClosed = true;
    this.booted?.boot.cardSlot.closeSeal();
  }

  /** A card of the right kind that was never registered to this device. */
  blankCard(label: string): SimCard {
    return SimCard.create({ label, random: this.random.fork(label), capacityBytes: 2 * 2 ** 30 });
  }

  unplugCamera(reason: string | null): void {
    this.cameraUnplugged = reason;
    const cam = this.booted?.boot.camera;
    if (!cam) return;
    if (reason) cam.unplug(reason);
    else cam.plug();
  }
}
