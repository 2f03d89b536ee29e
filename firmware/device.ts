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
import { InvalidOptionsError, StorageUnavailableError } from '../hal/errors.ts';
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
import { DockService } from './dock/dock-service.ts';
import { DockLinks } from './dock/dock-links.ts';
import type { DockStatusReport, OffloadFile, OffloadSource } from './dock/interfaces.ts';
import type { EvidenceStore } from './evidence/evidence-store.ts';
import type { EvidenceFile } from './evidence/types.ts';

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
  /** The protocol side: serves the dock (and the uplink) on every link the board hands out. */
  readonly dock: DockService;
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
  const indexer = indexClosedSegments(fw, card, fw.config.video.bitrate);

  const dock = new DockService({
    clock,
    random: o.random,
    identity: { device: identity.serial, kind: board.variant, model: board.model, firmware: o.firmwareVersion ?? 'dozor', inventory: identity.inventoryNumber },
    trusted: identity.trustedKeys,
    // Signed commands from the dock go through the firmware's one authorisation service.
    executor: {
      async execute(signed) {
        const r = await fw.handleAuthorization(signed);
        const result = r.result !== null && typeof r.result === 'object' && !Array.isArray(r.result) ? (r.result as Record<string, unknown>) : { value: r.result ?? null };
        return { action: r.action, counter: r.by.counter, result: JSON.parse(JSON.stringify(result)) as Record<string, unknown> };
      },
    },
    source: offloadSource(card),
    status: { status: () => dockStatus(fw, card, board) },
    // The dock switches its supply; the device's charger follows the supply by itself.
    charge: { setCharging: async () => undefined },
    journal,
    clockTrusted: () => fw.status().clock.trusted,
    timeSync: { target: (time) => fw.dockTimeSync(time) },
  });
  const links = [board.dockPort, board.uplink].filter((p) => p !== null).map((port) => new DockLinks({ port, clock, random: o.random, handlers: dock }));

  let down: Promise<void> | null = null;
  const device: RunningDevice = {
    firmware: fw,
    journal,
    card,
    gate,
    dock,
    handleAuthorization: (signed) => fw.handleAuthorization(signed),
    shutdown(reason = 'shutdown') {
      down ??= (async () => {
        sub.unsubscribe();
        await Promise.all(links.map((l) => l.close()));
        await fw.stop(reason);
        await indexer.drain();
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

/**
 * Every closed segment (and its frame index) enters the card's evidence index, the list the
 * dock offloads and the deletion guard protects. When free space falls below an hour of
 * recording, receipted files are reclaimed oldest first (R-CARD-4: never one without a receipt).
 */
function indexClosedSegments(fw: RecorderFirmwareInstance, card: CardGuard, bitrate: number): { drain(): Promise<void> } {
  const reserveBytes = Math.ceil((bitrate / 8) * 3600 * (1 + fw.status().recording.cameras.length));
  let chain: Promise<void> = Promise.resolve();
  const sub = fw.events$.subscribe((e) => {
    if (e.type !== 'segment') return;
    const seg = e.segment;
    chain = chain.then(async () => {
      try {
        const evidence = card.evidence;
        await evidence.add({ path: seg.path, size: seg.bytes, sha256: seg.sha256, kind: 'video', startWall: seg.startWall, endWall: seg.endWall });
        await evidence.adopt({ path: seg.path.replace(/\.h264$/, '.idx'), kind: 'metadata', startWall: seg.startWall, endWall: seg.endWall });
        const { freeBytes } = await evidence.space();
        if (freeBytes < reserveBytes) await evidence.reclaim(reserveBytes);
      } catch (err) {
        fw.services.faults.raise('evidence index', err instanceof Error ? err.message : String(err));
      }
    });
  });
  return {
    async drain() {
      sub.unsubscribe();
      await chain;
    },
  };
}

// The protocol carries whole milliseconds.
const asOffloadFile = (f: EvidenceFile): OffloadFile => ({ path: f.path, size: f.size, sha256: f.sha256, kind: f.kind, startWall: Math.floor(f.startWall), endWall: Math.ceil(f.endWall) });

/**
 * The evidence store as the dock protocol sees it; the store journals receipts itself. Without
 * a registered card in the slot there is nothing to offload (and nothing to read from).
 */
function offloadSource(card: CardGuard): OffloadSource {
  const evidence = (): EvidenceStore | null => (card.readiness() === 'ready' ? card.evidence : null);
  return {
    journalsReceipts: true,
    async pending() {
      const e = evidence();
      if (!e) return [];
      return (await e.pending()).map(asOffloadFile).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    },
    async file(path) {
      const f = (await evidence()?.files())?.find((x) => x.path === path);
      return f ? asOffloadFile(f) : null;
    },
    async read(path, offset, length) {
      const e = evidence();
      if (!e) throw new StorageUnavailableError('evidence card', 'no registered card in the slot');
      return e.read(path, offset, length);
    },
    async acceptReceipt(r) {
      const e = evidence();
      if (!e) throw new StorageUnavailableError('evidence card', 'no registered card in the slot');
      const state = await e.acceptReceipt({ path: r.path, size: r.size, sha256: r.sha256, server: r.store, storedAt: r.storedAt });
      return state === 'duplicate' ? 'already' : 'accepted';
    },
  };
}

async function dockStatus(fw: RecorderFirmwareInstance, card: CardGuard, board: Board): Promise<DockStatusReport> {
  const s = fw.status();
  const charger = await board.charger.read().catch(() => null);
  const issue = await fw.services.power.checkIssue(0);
  const c = card.status();
  const space = card.readiness() === 'ready' ? await card.evidence.space().catch(() => null) : null;
  return {
    batteryHours: issue.batteryHours,
    batteries: s.power.packs.map((p, slot) => ({ slot: slot as 0 | 1, present: p?.present ?? false, soc: p?.socPercent ?? 0 })),
    externalPower: s.power.externalPower,
    charging: charger ? charger.charging.some(Boolean) : false,
    seal: c.seal.closed ? 'closed' : 'open',
    card: { present: c.card.present, cid: c.card.cid ?? undefined, inventory: c.card.inventoryNumber ?? undefined, registered: c.readiness === 'ready' },
    onDuty: isDuty(s.state),
    issued: s.state === 'issued' || isDuty(s.state),
    freeBytes: space?.freeBytes,
  };
}
