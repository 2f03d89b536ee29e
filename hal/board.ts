/**
 * A board is the set of HAL devices a device variant is built from. The firmware receives a
 * `Board` and never knows whether it is a Raspberry Pi prototype or the simulator.
 */
import type { AmbientLightSensor } from './light.ts';
import type { IrCutFilter, IrIlluminator } from './ir.ts';
import type { BatteryGauge, Charger, PowerPath } from './battery.ts';
import type { RealTimeClock } from './rtc.ts';
import type { ClimateSensor } from './climate.ts';
import type { Buttons } from './buttons.ts';
import type { Indicators } from './indicators.ts';
import type { CardSlot } from './card.ts';
import type { Storage } from './storage.ts';
import type { Camera } from './camera.ts';
import type { Microphone } from './microphone.ts';
import type { Gnss } from './gnss.ts';
import type { RadarSensor } from './radar.ts';
import type { LinkPort } from './link.ts';

export type DeviceVariant = 'bodycam' | 'vehicle' | 'radar';
export const DEVICE_VARIANTS: readonly DeviceVariant[] = ['bodycam', 'vehicle', 'radar'];

export interface Board {
  readonly variant: DeviceVariant;
  /** Board model, e.g. "dozor-bodycam-proto-b (Raspberry Pi Zero 2 W)" or "simulated". */
  readonly model: string;
  readonly light: AmbientLightSensor;
  readonly irCut: IrCutFilter;
  readonly irLight: IrIlluminator;
  readonly batteries: readonly [BatteryGauge, BatteryGauge];
  readonly powerPath: PowerPath;
  readonly charger: Charger;
  readonly rtc: RealTimeClock;
  readonly climate: ClimateSensor;
  readonly buttons: Buttons;
  readonly indicators: Indicators;
  readonly card: CardSlot;
  /** Internal, non-removable storage: journal, configuration, keys, outbound queue. */
  readonly internal: Storage;
  /** The main camera (body camera lens, vehicle front-left, radar evidence camera). */
  readonly camera: Camera;
  /** Further cameras: the vehicle recorder's second front and rear cameras (R-VEH-1). */
  readonly extraCameras: readonly Camera[];
  readonly microphone: Microphone;
  readonly gnss: Gnss | null;
  readonly radar: RadarSensor | null;
  /** The dock connector: emits a link each time the device is docked and the dock answers. */
  readonly dockPort: LinkPort | null;
  /** Field uplink (LTE modem / vehicle network) for alerts, authorisations and store-and-forward. */
  readonly uplink: LinkPort | null;
  /** Closes every device; idempotent. */
  close(): Promise<void>;
}
