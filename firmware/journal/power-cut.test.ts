/**
 * Power cuts at every byte (R-LOG-1, R-LOG-5; issue #3 "Recovery"): the power fails at a sync
 * with any prefix of the unsynced bytes on the card, optionally followed by garbage (the file
 * size reached the disk before the data). After reopening: nothing acknowledged is lost, no
 * earlier byte changed, the recovery entry accounts for exactly the bytes cut, and the journal
 * verifies. Exhaustive for a small shift, fast-check for random ones, and on real files.
 */
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FsStorage } from '../../hal/linux/fs-storage.ts';
import type { Storage } from '../../hal/storage.ts';
import type { TearPolicy } from '../../sim/storage.ts';
import { SeededRandom } from '../../sim/random.ts';
import { CrashingStorage, PowerLost, START, deviceKey, journalOptions, makeWorld, snapshotFiles, type World } from '../../test/helpers/journal.ts';
import type { EntryType } from './entries.ts';
import { openJournal, type Journal } from './journal.ts';
import { readJournal, type JournalFileInput } from './reader.ts';
import { scanFrames } from './scan.ts';

const pinned = { publicKey: deviceKey.publicKey };

type Op =
  | { op: 'append'; type: EntryType; data: unknown }
  | { op: 'advance'; ms: number }
  | { op: 'flush' }
  | { op: 'checkpoint' }
  | { op: 'close' };

const routine = (i: number, note = ''): Op => ({ op: 'append', type: 'marker', data: { segment: i, offsetMs: i * 10, wall: START + i, ...(note ? { note } : {}) } });
const security = (type: EntryType, data: unknown): Op => ({ op: 'append', type, data });

/** Syncs: 1 open, 2 power-on, 3 duty-start with three routine entries, 4 group commit of two, 5 duty-end + shift-end checkpoint, 6 close. */
const SHIFT: Op[] = [
  security('power-on', { firmware: '0.1.0', bootCount: 3, reason: 'cold' }),
  routine(1),
  routine(2, 'стоп'),
  routine(3),
  security('duty-start', { officer: 'Иванов И.И.' }),
  routine(4),
  routine(5),
  { op: 'advance', ms: 250 },
  security('duty-end', { recordedMs: 1000, pausedMs: 0 }),
  { op: 'close' },
];

/** seq → record hash of every record acknowledged as durable so far (they must all survive). */
type Acked = Map<number, string>;

/** Runs ops on a journal opened over `storage` until the end or the power cut. */
async function session(w: World, storage: Storage, ops: readonly Op[], extra = {}): Promise<Journal | null> {
  let j: Journal;
  try {
    j = await openJournal(journalOptions(w, storage, extra));
  } catch (err) {
    if (err instanceof PowerLost || (storage instanceof CrashingStorage && storage.dead)) return null;
    throw err;
  }
  for (const o of ops) {
    try {
      if (o.op === 'append') await j.append(o.type, o.data as never);
      else if (o.op === 'advance') await w.clock.runFor(o.ms);
      else if (o.op === 'flush') await j.flush();
      else if (o.op === 'checkpoint') await j.checkpoint();
      else await j.close();
    } catch (err) {
      if (storage instanceof CrashingStorage && storage.dead) break;
      throw err;
    }
    if (storage instanceof CrashingStorage && storage.dead) break;
  }
  return j;
}

/** Adds the records that `j` reported durable (as stored just before the cut) to `acked`. */
function noteAcked(acked: Acked, j: Journal | null, files: Map<string, Uint8Array>): void {
  if (!j) return;
  const { records } = readJournal([...files].filter(([p]) => p.startsWith('journal/')).map(([name, bytes]) => ({ name, bytes })));
  for (const r of records) if (r.seq <= j.durableSeq) acked.set(r.seq, r.hash);
}

/** Torn bytes the next open must cut: the bad tail of every journal file. */
function tornBytes(files: JournalFileInput[]): number {
  let n = 0;
  for (const f of files) {
    const s = scanFrames(f.bytes);
    if (s.end.kind === 'torn') n += s.end.bytes;
  }
  return n;
}

/** What each cut found on the card: file bytes and how much of each file was synced. */
interface CutState {
  before: Map<string, Uint8Array>;
  syncedAtCut: Map<string, number>;
}

interface Outcome {
  files: JournalFileInput[];
  acked: Acked;
  cuts: CutState[];
  truncations: Array<{ file: string; from: number; to: number }>;
}

/** Final checks shared by every power-cut test. */
function expectSound(o: Outcome): void {
  const { report, records } = readJournal(o.files, pinned);
  expect(report.problems).toEqual([]);
  expect(report.status).toBe('valid');
  // No acknowledged entry is ever lost (same seq, same bytes).
  const bySeq = new Map(records.map((r) => [r.seq, r.hash]));
  for (const [seq, hash] of o.acked) expect(bySeq.get(seq), `acknowledged seq ${seq}`).toBe(hash);
  // Earlier records are never damaged: every synced byte is unchanged.
  const final = new Map(o.files.map((f) => [f.name, f.bytes]));
  for (const cut of o.cuts) {
    for (const [file, synced] of cut.syncedAtCut) {
      expect(final.get(file)?.slice(0, synced), file).toEqual(cut.before.get(file)!.slice(0, synced));
    }
  }
  // Every cut is declared by a durable recovery entry, and every declared cut was made.
  const declared = records
    .filter((r) => r.type === 'recovery')
    .flatMap((r) => (r.data.cuts as Array<{ file: string; offset: number; bytes: number }> | undefined) ?? [])
    .map((c) => `${c.file}@${c.offset}+${c.bytes}`)
    .sort();
  const made = o.truncations.map((t) => `${t.file}@${t.to}+${t.from - t.to}`).sort();
  expect(made).toEqual(declared);
}

interface Probe extends CutState {
  acked: Acked;
}

/** Runs `ops` and cuts the power at sync `atSync` keeping every unsynced byte; null if there is no such sync. */
async function probeCut(ops: readonly Op[], atSync: number, extra = {}): Promise<Probe | null> {
  const w = makeWorld();
  const crash = new CrashingStorage(w.storage, { atSync, policy: (f) => ({ keep: f.size - f.syncedSize }) });
  const j = await session(w, crash, ops, extra);
  if (!crash.dead) return null;
  const acked: Acked = new Map();
  noteAcked(acked, j, crash.beforeCut!);
  return { before: crash.beforeCut!, syncedAtCut: crash.syncedAtCut, acked };
}

/** The files as a cut keeping `keep` unsynced bytes then `garbage` random bytes would leave them. */
function tornImages(p: CutState, keep: number, garbage: number): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  for (const [name, bytes] of p.before) {
    const synced = p.syncedAtCut.get(name);
    if (synced === undefined) {
      out.set(name, bytes);
      continue;
    }
    const k = Math.min(keep, bytes.length - synced);
    const g = Math.min(garbage, bytes.length - synced - k);
    const img = new Uint8Array(synced + k + g);
    img.set(bytes.subarray(0, synced + k));
    img.set(new SeededRandom(keep * 31 + garbage).bytes(g), synced + k);
    out.set(name, img);
  }
  return out;
}

/** Reopens after the cut(s), checks the recovery account, writes a little, closes, and checks everything. */
async function recoverAndCheck(w: World, o: Omit<Outcome, 'files'>, expectedDropped: number | null, storage?: Storage): Promise<void> {
  const log = new CrashingStorage(w.storage);
  const j = await openJournal(journalOptions(w, storage ?? log));
  if (expectedDropped !== null) expect(j.recovery?.droppedBytes ?? 0).toBe(expectedDropped);
  await j.append('power-on', { firmware: '0.1.0', bootCount: 4, reason: 'recovered' });
  await j.close();
  expectSound({ ...o, files: snapshotFiles(w.storage), truncations: [...o.truncations, ...log.truncations] });
}

/** Cut once at sync `atSync` with `policy` (replaying the ops), reopen (perhaps cutting again during recovery), finish, check. */
async function cutAndRecover(opts: {
  ops: readonly Op[];
  atSync: number;
  policy: TearPolicy;
  second?: { atSync?: number; atTruncate?: number; policy?: TearPolicy };
  extra?: object;
}): Promise<void> {
  const w = makeWorld();
  const acked: Acked = new Map();
  const truncations: Outcome['truncations'] = [];
  const crash = new CrashingStorage(w.storage, { atSync: opts.atSync, policy: opts.policy });
  const j = await session(w, crash, opts.ops, opts.extra);
  if (!crash.dead) crash.cut(); // the cut comes after the last operation instead
  noteAcked(acked, j, crash.beforeCut!);
  const cuts: CutState[] = [{ before: crash.beforeCut!, syncedAtCut: crash.syncedAtCut }];
  const expected = tornBytes(snapshotFiles(w.storage));

  if (opts.second) {
    const again = new CrashingStorage(w.storage, { policy: () => ({ keep: 0 }), ...opts.second });
    const j2 = await session(w, again, []);
    truncations.push(...again.truncations);
    if (!again.dead) again.cut();
    noteAcked(acked, j2, again.beforeCut!);
    cuts.push({ before: again.beforeCut!, syncedAtCut: again.syncedAtCut });
  }
  await recoverAndCheck(w, { acked, cuts, truncations }, opts.second ? null : expected);
}

describe('power cuts (SimStorage)', () => {
  it('loses nothing acknowledged for a cut at every byte of every write of a shift (exhaustive)', async () => {
    let cases = 0;
    let bytes = 0;
    for (let s = 1; ; s++) {
      const probe = await probeCut(SHIFT, s);
      if (!probe) break;
      const [[file, synced]] = [...probe.syncedAtCut];
      const unsynced = probe.before.get(file)!.length - synced;
      bytes += unsynced;
      for (let keep = 0; keep <= unsynced; keep++) {
        // Garbage to the full length (size reached the disk, data did not) for the multi-record write.
        for (const garbage of new Set(s === 3 ? [0, unsynced - keep] : [0])) {
          const w = makeWorld();
          for (const [name, img] of tornImages(probe, keep, garbage)) await w.storage.writeAtomic(name, img);
          await recoverAndCheck(w, { ...probe, cuts: [probe], truncations: [] }, tornBytes(snapshotFiles(w.storage)));
          cases += 1;
        }
      }
    }
    expect(bytes).toBeGreaterThan(1000);
    expect(cases).toBeGreaterThan(bytes);
  });

  it('a second cut during recovery (at its sync, at every byte) neither loses the account of a cut nor leaves one undone', async () => {
    // First cut: in the middle of the multi-record write, so recovery has a torn tail to cut.
    for (const firstKeep of [1, 200]) {
      const policy: TearPolicy = () => ({ keep: firstKeep, garbage: 5 });
      const w = makeWorld();
      const probe = new CrashingStorage(w.storage, { atSync: 3, policy });
      await session(w, probe, SHIFT);
      let recoveryWrite = -1;
      const p2 = new CrashingStorage(w.storage, { atSync: 1, policy: (f) => ((recoveryWrite = f.size - f.syncedSize), { keep: 0 }) });
      await session(w, p2, []);
      expect(recoveryWrite).toBeGreaterThan(100);
      for (let keep = 0; keep <= recoveryWrite; keep += keep < 40 ? 1 : 7) {
        for (const garbage of [0, 3]) {
          await cutAndRecover({ ops: SHIFT, atSync: 3, policy, second: { atSync: 1, policy: () => ({ keep: Math.min(keep, recoveryWrite), garbage }) } });
        }
      }
      // The recovery entry is durable but the power fails before (or between) the cuts it declares.
      await cutAndRecover({ ops: SHIFT, atSync: 3, policy, second: { atTruncate: 1 } });
    }
  });

  it('recovers from a cut while a new file was being started (after a clean close)', async () => {
    const ops: Op[] = [security('power-on', { firmware: '1', bootCount: 1, reason: 'cold' }), { op: 'close' }];
    for (let keep = 0; keep < 240; keep += 3) {
      const w2 = makeWorld();
      await session(w2, w2.storage, ops);
      const crash = new CrashingStorage(w2.storage, { atSync: 1, policy: () => ({ keep, garbage: keep % 2 ? 4 : 0 }) });
      expect(await session(w2, crash, [])).toBeNull(); // the open itself lost power
      const log = new CrashingStorage(w2.storage);
      const j = await openJournal(journalOptions(w2, log));
      await j.close();
      const { report } = readJournal(snapshotFiles(w2.storage), pinned);
      expect(report.status, `keep ${keep}`).toBe('valid');
    }
  });

  it('random shifts with random cuts (fast-check)', async () => {
    const entry = fc.oneof(
      fc.record({ segment: fc.nat(100), note: fc.string({ maxLength: 200 }) }).map(({ segment, note }) => routine(segment, note)),
      fc.constantFrom<Op>(
        security('card-inserted', { cid: null }),
        security('seal-opened', { duringDuty: true }),
        security('pause-start', { reason: 'meal', maxMinutes: 45, by: { name: 'Омаров Д.Е.', keyId: 'k', counter: 1 } }),
        security('duty-end', { recordedMs: 5, pausedMs: 0 }),
        { op: 'flush' },
        { op: 'checkpoint' },
      ),
      fc.integer({ min: 0, max: 700 }).map((ms): Op => ({ op: 'advance', ms })),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(entry, { minLength: 1, maxLength: 30 }),
        fc.integer({ min: 1, max: 20 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.nat(300),
        fc.option(fc.record({ atSync: fc.integer({ min: 1, max: 2 }), keep: fc.nat(400), garbage: fc.nat(20) }), { nil: undefined }),
        fc.constantFrom({}, { checkpointEveryRecords: 3 }, { maxFileBytes: 4096 }),
        async (ops, atSync, keepFraction, garbage, second, extra) => {
          const policy: TearPolicy = (f) => {
            const u = f.size - f.syncedSize;
            const keep = Math.floor(u * keepFraction);
            return { keep, garbage: Math.min(garbage, u - keep) };
          };
          await cutAndRecover({
            ops,
            atSync,
            policy,
            extra,
            second: second ? { atSync: second.atSync, policy: () => ({ keep: second.keep, garbage: second.garbage }) } : undefined,
          });
        },
      ),
      { numRuns: 150, seed: 3 },
    );
  });
});

describe('power cuts (real files, FsStorage)', () => {
  it('recovers every torn state of a multi-record write from files on disk', async () => {
    // A small multi-record write: two routine entries and a security-relevant one in one sync.
    const ops: Op[] = [security('power-on', { firmware: '1', bootCount: 1, reason: 'cold' }), routine(1), routine(2), security('duty-start', {}), { op: 'close' }];
    const probe = (await probeCut(ops, 3))!;
    const [[file, synced]] = [...probe.syncedAtCut];
    const unsynced = probe.before.get(file)!.length - synced;
    expect(unsynced).toBeGreaterThan(300);
    const root = await mkdtemp(path.join(tmpdir(), 'dozor-journal-cut-'));
    try {
      for (let keep = 0; keep <= unsynced; keep++) {
        for (const garbage of keep % 16 === 0 ? [0, unsynced - keep] : [0]) {
          // The torn image is written to real files; recovery runs on them through FsStorage.
          const dir = path.join(root, `k${keep}-g${garbage}`);
          await mkdir(path.join(dir, 'journal'), { recursive: true });
          const images = tornImages(probe, keep, garbage);
          for (const [name, img] of images) await writeFile(path.join(dir, name), img);
          const expected = tornBytes([...images].map(([name, bytes]) => ({ name, bytes })));
          const fs = new FsStorage({ name: 'disk', root: dir });
          const w = makeWorld();
          const j = await openJournal(journalOptions(w, fs));
          expect(j.recovery?.droppedBytes ?? 0).toBe(expected);
          await j.append('power-on', { firmware: '1', bootCount: 2, reason: 'recovered' });
          await j.close();
          await fs.close();

          const files: JournalFileInput[] = [];
          for (const f of ['journal/00000000.djl', 'journal/00000001.djl']) files.push({ name: f, bytes: new Uint8Array(await readFile(path.join(dir, f))) });
          const { report, records } = readJournal(files, pinned);
          expect(report.status, `keep ${keep} garbage ${garbage}`).toBe('valid');
          const bySeq = new Map(records.map((r) => [r.seq, r.hash]));
          for (const [seq, hash] of probe.acked) expect(bySeq.get(seq)).toBe(hash);
          expect(files[0].bytes.slice(0, synced)).toEqual(probe.before.get(file)!.slice(0, synced));
          expect(files[0].bytes.length).toBe(images.get(file)!.length - expected);
          await rm(dir, { recursive: true, force: true });
        }
      }
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
