/**
 * The vehicle recorder (R-VEH-1): two front cameras and a rear one (`board.camera` and
 * `board.extraCameras`), switchable IR lights, mode indicator and buttons, built from the same
 * services as the body camera. Each camera records its own chain of segments
 * (`video/<camera>/…`); day/night drives every camera's mode, and the crew can switch the IR
 * lights off (MVD 18).
 */
import { InvalidOptionsError } from '../../hal/errors.ts';
import { RecorderApp, type RecorderFirmware, type RecorderFirmwareOptions } from '../app/recorder-app.ts';
import { parseRecorderConfig } from '../app/config.ts';

export const DEFAULT_VEHICLE_CAMERAS = ['front-left', 'front-right', 'rear'] as const;

export type VehicleRecorderFirmware = RecorderFirmware & {
  readonly services: RecorderApp['services'];
  /** Switches the IR lights on or off (journalled as `ir-lights`). */
  setIrLights(enabled: boolean): Promise<void>;
};

export function createVehicleRecorderFirmware(options: RecorderFirmwareOptions): VehicleRecorderFirmware {
  const board = options?.board;
  if (!board) throw new InvalidOptionsError('vehicle recorder: board is required');
  const cameras = [board.camera, ...board.extraCameras];
  const names = parseRecorderConfig(options.config).cameraNames ?? DEFAULT_VEHICLE_CAMERAS.slice(0, cameras.length);
  if (cameras.length < 3) throw new InvalidOptionsError(`vehicle recorder needs three cameras (R-VEH-1), the board has ${cameras.length}`);
  if (names.length !== cameras.length || new Set(names).size !== names.length) {
    throw new InvalidOptionsError(`vehicle recorder: cameraNames must name each of the ${cameras.length} cameras once`);
  }
  return new RecorderApp(options, { variant: 'vehicle', cameras: cameras.map((camera, i) => ({ name: names[i], camera })) });
}
