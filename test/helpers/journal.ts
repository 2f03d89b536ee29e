/**
 * Fixtures for journal tests: a simulated device (storage, clock, keys), a realistic shift,
 * and a storage wrapper that cuts the power at a chosen sync (as SQLite's test6.c crashes at
 * an fsync), keeping exactly the bytes a TearPolicy says.
 */
import { SimStorage, type TearPolicy } from '../../sim/storage.ts';
import { SeededRandom } from '../../sim/random.ts';
import { VirtualClock } from '../../sim/virtual-clock.ts';
import { StorageError } from '../../hal/errors.ts';
import type { AppendFile, FileInfo, SpaceInfo, Storage } from '../../hal/storage.ts';
import { Ed25519PrivateKey, deriveTestSeed, keyIdOf } from '../../protocol/crypto.ts';
import { ReplayGuard, signAuthorization, verifyAuthorization, type SignedAuthorization, type TrustedKey } from '../../protocol/authorization.ts';
import type { AuthorizationGate } from '../../firmware/auth/authorization-gate.ts';
import { openJournal, type Journal, type OpenJournalOptions } from '../../firmware/journal/journal.ts';
import type { JournalFileInput } from '../../firmware/journal/reader.ts';

export const DEVICE = 'BC-000123';
/** 2026-11-23 09:00 at UTC+5. */
export const START = Date.UTC(2026, 10, 23, 4, 0, 0);

export const deviceKey = new Ed25519PrivateKey(deriveTestSeed('journal-test-device'));
export const otherDeviceKey = new Ed25519PrivateKey(deriveTestSeed('journal-test-other-device'));
export const responsibleKey = new Ed25519PrivateKey(deriveTestSeed('journal-test-responsible'));
export const dutyOfficerKey = new Ed25519PrivateKey(deriveTestSeed('journal-test-duty-officer'));

export const trusted: TrustedKey[] = [
  { keyId: responsibleKey.keyId, name: 'Сериков А.Б.', role: 'responsible', publicKey: responsibleKey.publicKey },
  { keyId: dutyOfficerKey.keyId, name: 'Омаров Д.Е.', role: 'duty-officer', publicKey: dutyOfficerKey.publicKey },
];

export const responsible = { name: 'Сериков А.Б.', keyId: responsibleKey.keyId, counter: 1 };

export interface World {
  storage: SimStorage;
  clock: VirtualClock;
  replay: ReplayGuard;
}

export function makeWorld(seed = 1): World {
  return {
    storage: new SimStorage({ name: 'internal', capacityBytes: 64 << 20, random: new SeededRandom(seed) }),
    clock: new VirtualClock({ startEpochMs: START }),
    replay: new ReplayGuard(),
  };
}

export function journalOptions(w: World, storage: Storage = w.storage, extra: Partial<OpenJournalOptions> = {}): OpenJournalOptions {
  return { storage, clock: w.clock, deviceKey, device: DEVICE, corrections: { gate: memoryGate(w.replay) }, ...extra };
}

/** The device gate without persistence: verifies fully and keeps the counters in `replay`. */
export function memoryGate(replay: ReplayGuard): AuthorizationGate {
  return { authorize: async (auth, action) => verifyAuthorization(auth, { device: DEVICE, trusted, replay, action }) };
}

export function correctionAuth(corrects: number, note: string, counter: number, key = responsibleKey, signer = 'Сериков А.Б.', device = DEVICE): SignedAuthorization {
  return signAuthorization(key, {
    action: 'journal-correction',
    device,
    signer,
    counter,
    issuedAt: START,
    params: { corrects, note },
  });
}

const hash = (n: number) => n.toString(16).padStart(2, '0').repeat(32);

/**
 * A whole shift on the body camera: power on, issue, duty with segments, a meal pause, a
 * marker, day/night, a battery alert, duty end, return, offload receipts, a correction,
 * power off. Returns the seqs of notable entries.
 */
export async function writeShift(j: Journal, clock: VirtualClock, opts: { segments?: number; correct?: boolean } = {}) {
  const seqs: Record<string, number> = {};
  await j.append('power-on', { firmware: '0.1.0', bootCount: 7, reason: 'cold' });
  seqs.issue = (
    await j.append('issue', {
      inventoryNumber: 'ВЖ-0042',
      officer: 'Иванов И.И.',
      vehicle: { boardNumber: '117', plate: '123ABC02' },
      plannedShiftHours: 8,
      batteryHours: 9.5,
      by: { name: 'Омаров Д.Е.', keyId: dutyOfficerKey.keyId, counter: 1 },
    })
  ).seq;
  await j.append('duty-start', { officer: 'Иванов И.И.' });
  const segments = opts.segments ?? 6;
  for (let i = 0; i < segments; i++) {
    await j.append('recording-started', { segment: i });
    await clock.runFor(300_000);
    await j.append('segment-closed', {
      segment: i,
      path: `video/${String(i).padStart(6, '0')}.h264`,
      startWall: START + i * 300_000,
      endWall: START + (i + 1) * 300_000,
      startMono: i * 300_000,
      endMono: (i + 1) * 300_000,
      durationMs: 300_000,
      frames: 9000,
      bytes: 37_500_000,
      sha256: hash(i + 1),
      prevSha256: hash(i),
    });
    if (i === 1) await j.append('marker', { segment: i, offsetMs: 12_000, wall: START + 312_000, note: 'остановка ТС' });
    if (i === 2) {
      await j.append('pause-start', { reason: 'meal', maxMinutes: 45, by: { name: 'Омаров Д.Е.', keyId: dutyOfficerKey.keyId, counter: 2 } });
      await clock.runFor(1_800_000);
      await j.append('pause-end', { pausedMs: 1_800_000, cause: 'resumed' });
    }
    if (i === 3) await j.append('day-night', { mode: 'night', lux: 1.5, irLight: true });
    if (i === 4) await j.append('battery-alert', { level: 'critical', remainingMin: 9, slot: 0 });
  }
  await j.append('duty-end', { recordedMs: segments * 300_000, pausedMs: 1_800_000 });
  seqs.return = (await j.append('return', { by: { name: 'Сериков А.Б.', keyId: responsibleKey.keyId, counter: 2 }, note: 'без замечаний' })).seq;
  await clock.runFor(600_000);
  for (let i = 0; i < 2; i++) {
    await j.append('offload-receipt', { path: `video/${String(i).padStart(6, '0')}.h264`, sha256: hash(i + 1), bytes: 37_500_000, server: 'evidence-1', storedAt: START + 9_000_000 });
  }
  if (opts.correct !== false) {
    seqs.correction = (await j.correct(correctionAuth(seqs.issue, 'бортовой номер 171, а не 117', 3))).seq;
  }
  await j.append('power-off', { reason: 'docked' });
  return seqs;
}

/** Runs a full shift on a fresh world and returns the journal files (closed). */
export async function sampleJournalFiles(seed = 1, extra: Partial<OpenJournalOptions> = {}): Promise<{ files: JournalFileInput[]; world: World }> {
  const w = makeWorld(seed);
  const j = await openJournal(journalOptions(w, w.storage, extra));
  await writeShift(j, w.clock);
  await j.close();
  return { files: snapshotFiles(w.storage), world: w };
}

export function snapshotFiles(storage: SimStorage, dir = 'journal'): JournalFileInput[] {
  return [...storage.snapshot().entries()].filter(([p]) => p.startsWith(`${dir}/`)).map(([name, bytes]) => ({ name, bytes }));
}

// ---- power cuts at a chosen sync ----

export class PowerLost extends StorageError {
  constructor() {
    super('EPOWER', 'power lost');
  }
}

export interface CrashPlan {
  /** Cut the power instead of performing this sync (1-based, counted across all files). */
  atSync?: number;
  /** Cut the power instead of performing this truncate (1-based). */
  atTruncate?: number;
  /** What survives of each file's unsynced tail. */
  policy?: TearPolicy;
}

/**
 * Delegates to a SimStorage and cuts the power at a planned sync or truncate; every later call
 * fails, like a board that lost power. Truncations are logged (file, from size, to size) to
 * check them against recovery entries; the bytes and synced sizes of every file just before
 * the cut are kept to check that nothing acknowledged was lost.
 */
export class CrashingStorage implements Storage {
  readonly name = 'crashing';
  syncs = 0;
  truncates = 0;
  dead = false;
  readonly truncations: Array<{ file: string; from: number; to: number }> = [];
  beforeCut: Map<string, Uint8Array> | null = null;
  /** Synced size of each file that had unsynced bytes at the cut. */
  readonly syncedAtCut = new Map<string, number>();

  constructor(
    readonly sim: SimStorage,
    private readonly plan: CrashPlan = {},
  ) {}

  private alive(): void {
    if (this.dead) throw new PowerLost();
  }

  /** Cuts the power now (also usable by tests between operations). */
  cut(): void {
    this.beforeCut = this.sim.snapshot();
    const policy = this.plan.policy ?? (() => ({ keep: 0 }));
    this.sim.powerCut((f) => {
      this.syncedAtCut.set(f.path, f.syncedSize);
      return policy(f);
    });
    this.dead = true;
  }

  /** @internal */
  async syncThrough(f: AppendFile): Promise<void> {
    this.alive();
    this.syncs += 1;
    if (this.syncs === this.plan.atSync) {
      this.cut();
      throw new PowerLost();
    }
    await f.sync();
  }

  async openAppend(path: string): Promise<AppendFile> {
    this.alive();
    const f = await this.sim.openAppend(path);
    const alive = () => this.alive();
    const sync = () => this.syncThrough(f);
    return {
      path: f.path,
      get size() {
        return f.size;
      },
      get syncedSize() {
        return f.syncedSize;
      },
      async append(data: Uint8Array) {
        alive();
        await f.append(data);
      },
      sync,
      close: () => f.close(),
    };
  }
  async read(path: string, offset?: number, length?: number): Promise<Uint8Array> {
    this.alive();
    return this.sim.read(path, offset, length);
  }
  async writeAtomic(path: string, data: Uint8Array): Promise<void> {
    this.alive();
    return this.sim.writeAtomic(path, data);
  }
  async stat(path: string): Promise<FileInfo | null> {
    this.alive();
    return this.sim.stat(path);
  }
  async list(prefix?: string): Promise<FileInfo[]> {
    this.alive();
    return this.sim.list(prefix);
  }
  async rename(from: string, to: string): Promise<void> {
    this.alive();
    return this.sim.rename(from, to);
  }
  async truncate(path: string, size: number): Promise<void> {
    this.alive();
    this.truncates += 1;
    if (this.truncates === this.plan.atTruncate) {
      this.cut();
      throw new PowerLost();
    }
    const before = (await this.sim.stat(path))?.size ?? -1;
    await this.sim.truncate(path, size);
    this.truncations.push({ file: path, from: before, to: size });
  }
  async remove(path: string): Promise<void> {
    this.alive();
    return this.sim.remove(path);
  }
  async space(): Promise<SpaceInfo> {
    this.alive();
    return this.sim.space();
  }
  async close(): Promise<void> {}
}

export { keyIdOf };
