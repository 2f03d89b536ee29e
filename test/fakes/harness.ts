/** Boots the recorder firmware on the unit-test fakes under a virtual clock. */
import { VirtualClock } from '../../sim/virtual-clock.ts';
import { SeededRandom } from '../../sim/random.ts';
import { createBodycamFirmware, type BodycamFirmware } from '../../firmware/bodycam/index.ts';
import { createVehicleRecorderFirmware, type VehicleRecorderFirmware } from '../../firmware/vehicle/index.ts';
import type { RecorderConfigInput } from '../../firmware/app/config.ts';
import { assembleTestBoard, makeTestBoard, type TestBoard, type TestBoardOptions } from './recorder-board.ts';
import { INVENTORY, SERIAL, authorise, standardSigners, trustedKeyOf, type Signer } from './keys.ts';
import type { TrustedKey } from '../../protocol/authorization.ts';

export const SHIFT_START = Date.UTC(2026, 10, 23, 14, 0, 0);

export interface Harness<F = BodycamFirmware> {
  clock: VirtualClock;
  tb: TestBoard;
  fw: F;
  responsible: Signer;
  duty: Signer;
}

export interface HarnessOptions extends Omit<TestBoardOptions, 'clock'> {
  config?: RecorderConfigInput;
  clock?: VirtualClock;
  /** Leave the clock unverified (no dock sync after boot). */
  skipTimeSync?: boolean;
  /** Reuse the media (and signers) of an earlier boot. */
  after?: Harness<unknown>;
  startEpochMs?: number;
}

function build(o: HarnessOptions): { clock: VirtualClock; tb: TestBoard } {
  const clock = o.clock ?? o.after?.clock ?? new VirtualClock({ startEpochMs: o.startEpochMs ?? SHIFT_START });
  if (o.after) {
    const prev = o.after.tb;
    // A new boot: the earlier firmware instance is dead (cut) or stopped, and stays so.
    prev.rail.cut();
    prev.rail.restore();
    const tb = assembleTestBoard({ ...o, clock }, new SeededRandom((o.seed ?? 1) + 1000), prev.rail, prev.internalSim, prev.cardSim);
    // The journal is the journal: entries written before the cut survive.
    (tb as { journal: TestBoard['journal'] }).journal = prev.journal.forBoot();
    tb.power.packs[0] = prev.power.packs[0];
    tb.power.packs[1] = prev.power.packs[1];
    tb.rtc.offsetMs = prev.rtc.offsetMs;
    tb.rtc.oscillatorStopped = prev.rtc.oscillatorStopped;
    tb.rtc.failing = prev.rtc.failing;
    return { clock, tb };
  }
  return { clock, tb: makeTestBoard({ ...o, clock }) };
}

async function boot<F extends BodycamFirmware | VehicleRecorderFirmware>(o: HarnessOptions, make: (tb: TestBoard, clock: VirtualClock, trusted: TrustedKey[]) => F): Promise<Harness<F>> {
  const { clock, tb } = build(o);
  const signers = o.after ? { responsible: o.after.responsible, duty: o.after.duty } : standardSigners();
  const trusted = [trustedKeyOf(signers.responsible), trustedKeyOf(signers.duty)];
  const fw = make(tb, clock, trusted);
  await fw.start();
  await clock.runFor(0);
  if (!o.skipTimeSync && !fw.status().clock.trusted) await fw.dockTimeSync(clock.trueTime());
  return { clock, tb, fw, responsible: signers.responsible, duty: signers.duty };
}

export function bootBodycam(o: HarnessOptions = {}): Promise<Harness> {
  return boot(o, (tb, clock, trusted) =>
    createBodycamFirmware({
      board: tb.board,
      clock,
      random: tb.random,
      identity: { serial: SERIAL, inventoryNumber: INVENTORY, trustedKeys: trusted },
      config: o.config,
      journal: tb.journal,
      evidence: tb.evidence,
    }),
  );
}

export function bootVehicle(o: HarnessOptions = {}): Promise<Harness<VehicleRecorderFirmware>> {
  return boot({ ...o, variant: 'vehicle' }, (tb, clock, trusted) =>
    createVehicleRecorderFirmware({
      board: tb.board,
      clock,
      random: tb.random,
      identity: { serial: SERIAL, inventoryNumber: INVENTORY, trustedKeys: trusted },
      config: o.config,
      journal: tb.journal,
      evidence: tb.evidence,
    }),
  );
}

/** Issues the device to an officer and starts the duty. */
export async function issueAndStart(h: Harness<BodycamFirmware | VehicleRecorderFirmware>, plannedShiftHours = 8): Promise<void> {
  await h.fw.handleAuthorization(authorise(h.duty, 'issue', { inventoryNumber: INVENTORY, officer: 'Sgt. Abenov', plannedShiftHours }));
  await h.fw.startDuty();
}

/** Ends the duty with a signed return and lets the last GOP arrive. */
export async function endDuty(h: Harness<BodycamFirmware | VehicleRecorderFirmware>): Promise<void> {
  await h.fw.handleAuthorization(authorise(h.duty, 'return', {}));
  const done = h.fw.dutyEnded();
  await h.clock.runFor(10_000);
  await done;
}
