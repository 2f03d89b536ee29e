/**
 * The body camera ("video badge") firmware: one camera on the chest, two swappable packs, the
 * sealed card, buttons and indicators (MVD 3.1, 17; TRN 2.3, 6). Built from the shared recorder
 * application; see `docs/bodycam.md`.
 */
import { RecorderApp, type RecorderFirmware, type RecorderFirmwareOptions } from '../app/recorder-app.ts';

export type BodycamFirmware = RecorderFirmware & { readonly services: RecorderApp['services'] };

/** Builds the body-camera firmware on a board; call `start()` to boot it. */
export function createBodycamFirmware(options: RecorderFirmwareOptions): BodycamFirmware {
  return new RecorderApp(options, { variant: 'bodycam', cameras: [{ name: 'main', camera: options.board.camera }] });
}

export * from '../app/recorder-app.ts';
export * from '../app/config.ts';
export type { AlertTransport, OutboundAlert } from '../alerts/outbound-queue.ts';
export type { AuthorizationHandler, AuthorizationOutcome, VerifiedAuthorization } from '../auth/authorizations.ts';
export type { ShiftState, ShiftCommand, ShiftEvent } from '../shift/shift-machine.ts';
export { TRANSITIONS, SHIFT_STATES } from '../shift/shift-machine.ts';
export type { DutySummary, IssueParams, PauseParams } from '../shift/shift-service.ts';
export type { ClosedSegment } from '../recorder/segment-writer.ts';
export type { CoverageReport } from '../recorder/coverage.ts';
export { analyseCoverage } from '../recorder/coverage.ts';
export { verifyChain, verifySegment } from '../recorder/verify.ts';
