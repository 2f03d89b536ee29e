/**
 * Stand-ins for parts a prototype does not have (or whose driver is not wired in this build),
 * so a `Board` is always complete and every use of a missing part fails loudly with
 * `DeviceNotFoundError` naming it — never a made-up reading. `dozor doctor` lists them.
 */
import { NEVER, throwError, type Observable } from 'rxjs';
import { DeviceBase } from '../device.ts';
import { DeviceNotFoundError, StorageUnavailableError } from '../errors.ts';
import type { AmbientLightSensor, LightSample } from '../light.ts';
import type { DayNightMode, IrCutFilter, IrIlluminator } from '../ir.ts';
import type { BatteryGauge, BatteryReading, Charger, DockState, PowerPath, SlotIndex } from '../battery.ts';
import type { RealTimeClock, RtcReading } from '../rtc.ts';
import type { ClimateSample, ClimateSensor } from '../climate.ts';
import type { ButtonEvent, Buttons } from '../buttons.ts';
import type { Indicators } from '../indicators.ts';
import type { CardSlot, CardStatus } from '../card.ts';
import type { AppendFile, FileInfo, SpaceInfo, Storage } from '../storage.ts';
import type { Camera, Still, VideoChunk } from '../camera.ts';
import type { Microphone, MicrophoneSample } from '../microphone.ts';
import type { Gnss, GnssFix, GnssStats } from '../gnss.ts';
import type { RadarReading, RadarSensor } from '../radar.ts';
import type { ByteLink, LinkPort } from '../link.ts';

/** Why a part is absent, for the error and the doctor report. */
export interface AbsentReason {
  /** "not fitted on this board" or "no driver for veml7700 wired in this build". */
  reason: string;
}

abstract class Absent extends DeviceBase {
  /** Marks stand-ins so the doctor can list them. */
  readonly absent = true;

  constructor(
    name: string,
    readonly reason: string,
    /** The part is fitted but its driver failed to open (bring-up: reported as a failure, not as missing). */
    readonly failed = false,
  ) {
    super(name);
  }

  protected missing(): DeviceNotFoundError {
    return new DeviceNotFoundError(this.name, this.reason);
  }

  protected reject<T>(): Promise<T> {
    try {
      this.assertOpen();
    } catch (err) {
      return Promise.reject(err);
    }
    return Promise.reject(this.missing());
  }
}

export function isAbsent(device: unknown): device is { absent: true; name: string; reason: string; failed: boolean } {
  return typeof device === 'object' && device !== null && (device as { absent?: unknown }).absent === true;
}

export class AbsentLight extends Absent implements AmbientLightSensor {
  read(): Promise<LightSample> {
    return this.reject();
  }
}

export class AbsentIrCut extends Absent implements IrCutFilter {
  readonly position = 'unknown' as const;
  set(_mode: DayNightMode): Promise<void> {
    return this.reject();
  }
}

export class AbsentIrLight extends Absent implements IrIlluminator {
  readonly level = 0;
  set(_level: number): Promise<void> {
    return this.reject();
  }
}

export class AbsentGauge extends Absent implements BatteryGauge {
  constructor(
    name: string,
    reason: string,
    readonly slot: SlotIndex,
    failed = false,
  ) {
    super(name, reason, failed);
  }
  read(): Promise<BatteryReading> {
    return this.reject();
  }
}

export class AbsentPowerPath extends Absent implements PowerPath {
  active(): Promise<SlotIndex | null> {
    return this.reject();
  }
  select(_slot: SlotIndex): Promise<void> {
    return this.reject();
  }
}

export class AbsentCharger extends Absent implements Charger {
  readonly changes$: Observable<DockState> = NEVER;
  read(): Promise<DockState> {
    return this.reject();
  }
}

export class AbsentRtc extends Absent implements RealTimeClock {
  read(): Promise<RtcReading> {
    return this.reject();
  }
  set(_epochMs: number): Promise<void> {
    return this.reject();
  }
}

export class AbsentClimate extends Absent implements ClimateSensor {
  read(): Promise<ClimateSample> {
    return this.reject();
  }
}

export class AbsentButtons extends Absent implements Buttons {
  readonly events$: Observable<ButtonEvent> = NEVER;
  isPressed(): boolean {
    this.assertOpen();
    return false;
  }
}

export class AbsentIndicators extends Absent implements Indicators {
  set(): Promise<void> {
    return this.reject();
  }
  play(): Promise<void> {
    return this.reject();
  }
  isOn(): boolean {
    this.assertOpen();
    return false;
  }
}

export class AbsentStorage extends Absent implements Storage {
  private unavailable<T>(): Promise<T> {
    return Promise.reject(new StorageUnavailableError(this.name, this.reason));
  }
  openAppend(): Promise<AppendFile> {
    return this.unavailable();
  }
  read(): Promise<Uint8Array> {
    return this.unavailable();
  }
  writeAtomic(): Promise<void> {
    return this.unavailable();
  }
  stat(): Promise<FileInfo | null> {
    return this.unavailable();
  }
  list(): Promise<FileInfo[]> {
    return this.unavailable();
  }
  rename(): Promise<void> {
    return this.unavailable();
  }
  truncate(): Promise<void> {
    return this.unavailable();
  }
  remove(): Promise<void> {
    return this.unavailable();
  }
  space(): Promise<SpaceInfo> {
    return this.unavailable();
  }
}

export class AbsentCard extends Absent implements CardSlot {
  readonly changes$: Observable<CardStatus> = NEVER;
  readonly storage: Storage;
  constructor(name: string, reason: string, failed = false) {
    super(name, reason, failed);
    this.storage = new AbsentStorage(`${name} storage`, reason);
  }
  status(): Promise<CardStatus> {
    return this.reject();
  }
}

export class AbsentCamera extends Absent implements Camera {
  video(): Observable<VideoChunk> {
    return throwError(() => this.missing());
  }
  still(): Promise<Still> {
    return this.reject();
  }
  setMode(): void {
    this.assertOpen();
  }
}

export class AbsentMicrophone extends Absent implements Microphone {
  level(): Promise<MicrophoneSample> {
    return this.reject();
  }
}

export class AbsentGnss extends Absent implements Gnss {
  get fixes$(): Observable<GnssFix> {
    return throwError(() => this.missing());
  }
  stats(): GnssStats {
    this.assertOpen();
    throw this.missing();
  }
}

export class AbsentRadar extends Absent implements RadarSensor {
  get readings$(): Observable<RadarReading> {
    return throwError(() => this.missing());
  }
  configure(): Promise<void> {
    return this.reject();
  }
  rejected(): number {
    return 0;
  }
}

export class AbsentLinkPort extends Absent implements LinkPort {
  get links$(): Observable<ByteLink> {
    return throwError(() => this.missing());
  }
}
