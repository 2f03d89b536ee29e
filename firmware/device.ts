/**
 * The device as it boots: one composition root shared by the real entry point and the
 * simulator. It opens the journal on internal storage, the single authorisation gate, the card
 * guard (which vouches for the sealed card), and the firmware application of the board's
 * variant, and wires them together: the card guard's commands go through the app's
 * authorisation service, its alerts through the app's alert service.
 */
import type { Board } from '../hal/board.ts';
import type { Clock } from '../hal/clock.ts';
import type { Random } from '../hal/random.ts';
import { InvalidOptionsError } from '../hal/errors.ts';
import { decodeAuthorizationBody, type SignedAuthorization, type TrustedKey } from '../protocol/authorization.ts';
import type { Ed25519PrivateKey } from '../protocol/crypto.ts';
import { openJournal, type Journal } from './journal/journal.ts';
import { PersistentAuthorizationGate } from './auth/authorization-gate.ts';
import type { AuthorizationOutcome } from './auth/authorizations.ts';
import { DeferredAlertSink } from './alerts/deferred-alert-sink.ts';
import { CardGuard } from './card/card-guard.ts';
import { createBodycamFirmware, type BodycamFirmware } from './bodycam/index.ts';
import { createVehicleRecorderFirmware, type VehicleRecorderFirmware } from './vehicle/index.ts';
import type { RecorderConfigInput } from './app/config.ts';
import { isDuty } from './shift/shift-machine.ts';

export interface ProvisionedIdentity {
  /** Serial number (authorisations name it). */
  serial: string;
  /** Inventory number (R-CARD-1). */
  inventoryNumber: string;
  /** The device's own key: signs journal checkpoints and card registration tokens. */
  deviceKey: Ed25519PrivateKey;
  /** Responsible person, unit head, duty officers, docks. */
  trustedKeys: readonly TrustedKey[];
}

export interface BootDeviceOptions {
  board: Board;
  clock: Clock;
  random: Random;
  identity: ProvisionedIdentity;
  config?: RecorderConfigInput;
  firmwareVersion?: string;
  /** Called if the journal's storage fails (after which journal appends are refused). */
  onJournalError?: (err: Error) => void;
}

export type RecorderFirmwareInstance = BodycamFirmware | VehicleRecorderFirmware;

export interface RunningDevice {
  readonly firmware: RecorderFirmwareInstance;
  readonly journal: Journal;
  readonly card: CardGuard;
  readonly gate: PersistentAuthorizationGate;
  /** The one entry for signed commands from the dock or the uplink. */
  handleAuthorization(signed: SignedAuthorization): Promise<AuthorizationOutcome>;
  /** Clean power-off: the firmware stops, the card guard closes, the journal writes its closing checkpoint. */
  shutdown(reason?: 'shutdown' | 'user'): Promise<void>;
}

export async function bootDevice(o: BootDeviceOptions): Promise<RunningDevice> {
  if (!o?.board || !o.clock || !o.random || !o.identity?.deviceKey) throw new InvalidOptionsError('bootDevice: board, clock, random and identity with a device key are required');
  if (o.board.variant === 'radar') throw new InvalidOptionsError('bootDevice: the radar boots through its own station (firmware/radar)');
  const { board, clock, identity } = o;
  let firmware: RecorderFirmwareInstance | null = null;
  const clockTrusted = () => (firmware ? firmware.status().clock.trusted : false);
  const gate = await PersistentAuthorizationGate.open({
    storage: board.internal,
    device: identity.serial,
    trusted: identity.trustedKeys,
    trustedNow: () => (clockTrusted() ? clock.wallTime() : undefined),
  });
  const journal = await openJournal({
    storage: board.internal,
    clock,
    deviceKey: identity.deviceKey,
    device: identity.serial,
    corrections: { gate },
    onError: o.onJournalError,
  });
  const alerts = new DeferredAlertSink();
  const card = await CardGuard.start({
    slot: board.card,
    internal: board.internal,
    clock,
    journal,
    alerts,
    authorizations: gate,
    deviceKey: identity.deviceKey,
    deviceSerial: identity.serial,
    deviceInventoryNumber: identity.inventoryNumber,
    onDuty: () => (firmware ? isDuty(firmware.status().state) : false),
  });
  const options = {
    board,
    clock,
    random: o.random,
    identity,
    config: o.config,
    journal,
    evidence: card,
    authorizationGate: gate,
    firmwareVersion: o.firmwareVersion,
  };
  firmware = board.variant === 'vehicle' ? createVehicleRecorderFirmware(options) : createBodycamFirmware(options);
  const fw = firmware;
  alerts.attach(fw.services.alerts);
  // Called only after the handler verified the authorisation, so its body names who signed.
  const byOf = (signed: SignedAuthorization) => {
    const b = decodeAuthorizationBody(signed.body);
    return { name: b.signer, keyId: b.keyId, counter: b.counter };
  };
  fw.registerSelfVerifyingHandler('register-card', async (signed) => {
    const result = await card.registerCard(signed);
    return { by: byOf(signed), result };
  });
  fw.registerSelfVerifyingHandler('reseal', async (signed) => {
    const result = await card.reseal(signed);
    return { by: byOf(signed), result };
  });
  fw.registerSelfVerifyingHandler('journal-correction', async (signed) => {
    const result = await journal.correct(signed);
    return { by: byOf(signed), result };
  });
  await fw.start();

  let down: Promise<void> | null = null;
  const device: RunningDevice = {
    firmware: fw,
    journal,
    card,
    gate,
    handleAuthorization: (signed) => fw.handleAuthorization(signed),
    shutdown(reason = 'shutdown') {
      down ??= (async () => {
        sub.unsubscribe();
        await fw.stop(reason);
        await card.close();
        await journal.close();
      })();
      return down;
    },
  };
  // The firmware may power itself off (flat batteries, the power button off duty): finish the
  // clean power-off here too, so the journal gets its closing checkpoint and the next power-on
  // finds a clean end rather than a recovery.
  const sub = fw.events$.subscribe((e) => {
    if (e.type === 'shutdown') void device.shutdown(e.reason === 'user' ? 'user' : 'shutdown').catch(() => undefined);
  });
  return device;
}
