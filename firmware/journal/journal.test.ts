import { describe, expect, it, vi } from 'vitest';
import { DeviceClosedError, InvalidOptionsError } from '../../hal/errors.ts';
import { AuthorizationError } from '../../protocol/authorization.ts';
import { SimStorage } from '../../sim/storage.ts';
import { SeededRandom } from '../../sim/random.ts';
import {
  CrashingStorage,
  DEVICE,
  START,
  correctionAuth,
  deviceKey,
  dutyOfficerKey,
  journalOptions,
  makeWorld,
  responsibleKey,
  snapshotFiles,
  trusted,
  writeShift,
} from '../../test/helpers/journal.ts';
import { ENTRY_SCHEMAS, SECURITY_RELEVANT } from './entries.ts';
import { JournalCorrectionError, JournalEntryError, JournalStorageError } from './errors.ts';
import { CHECKPOINT, FILE_HEADER, FILE_NAME_RE } from './format.ts';
import { Journal, openJournal } from './journal.ts';
import { readJournal, verifyJournal } from './reader.ts';
import { readJournalFromStorage } from './storage-reader.ts';

const pinned = { publicKey: deviceKey.publicKey };

describe('journal writer', () => {
  it('R-LOG-1: records every entry with a consecutive seq, device wall time and monotonic time, and verifies as valid', async () => {
    const w = makeWorld();
    const j = await openJournal(journalOptions(w));
    await w.clock.runFor(5_000);
    w.clock.setWallTime(START + 60_000); // the device clock may differ from the monotonic time
    const { seq } = await j.append('power-on', { firmware: '0.1.0', bootCount: 1, reason: 'cold' });
    await j.close();
    const { report, records } = readJournal(snapshotFiles(w.storage), pinned);
    expect(report.status).toBe('valid');
    expect(records.map((r) => r.seq)).toEqual([0, 1, 2]);
    expect(records.map((r) => r.type)).toEqual([FILE_HEADER, 'power-on', CHECKPOINT]);
    const rec = records[seq];
    expect(rec.mono).toBe(5_000);
    expect(rec.wall).toBe(START + 60_000);
    expect(rec.data).toEqual({ firmware: '0.1.0', bootCount: 1, reason: 'cold' });
  });

  it('R-LOG-1: a whole shift (issue, duty, segments, pause, marker, return, offload, correction) verifies', async () => {
    const w = makeWorld();
    const j = await openJournal(journalOptions(w));
    await writeShift(j, w.clock);
    await j.close();
    const { report, records } = readJournal(snapshotFiles(w.storage), { ...pinned, trusted });
    expect(report.problems).toEqual([]);
    expect(report.status).toBe('valid');
    expect(report.unsealedRecords).toBe(0);
    const types = new Set(records.map((r) => r.type));
    for (const t of ['issue', 'duty-start', 'segment-closed', 'pause-start', 'pause-end', 'marker', 'day-night', 'battery-alert', 'duty-end', 'return', 'offload-receipt', 'correction', 'power-off']) {
      expect(types.has(t)).toBe(true);
    }
  });

  it('produces byte-identical files for the same inputs (deterministic under virtual time)', async () => {
    const a = makeWorld(1);
    const b = makeWorld(2);
    for (const w of [a, b]) {
      const j = await openJournal(journalOptions(w));
      await writeShift(j, w.clock);
      await j.close();
    }
    expect(snapshotFiles(a.storage)).toEqual(snapshotFiles(b.storage));
  });

  describe('validation on write', () => {
    it('refuses an entry that does not match its schema, writes nothing and does not consume a seq', async () => {
      const w = makeWorld();
      const j = await openJournal(journalOptions(w));
      const bad: Array<[string, unknown]> = [
        ['power-on', { firmware: '1', bootCount: -1, reason: 'cold' }],
        ['power-on', { firmware: '1', bootCount: 1, reason: 'cold', extra: true }],
        ['issue', { inventoryNumber: 'X', plannedShiftHours: 8, batteryHours: 9, by: { name: 'a', keyId: 'b', counter: 1, role: 'x' } }],
        ['segment-closed', { segment: 1 }],
        ['no-such-type', {}],
        ['marker', null],
      ];
      for (const [type, data] of bad) {
        await expect(j.append(type as 'marker', data as never)).rejects.toBeInstanceOf(JournalEntryError);
      }
      const before = j.lastSeq;
      const { seq } = await j.append('marker', { segment: 0, offsetMs: 1, wall: START });
      expect(seq).toBe(before + 1);
      await j.close();
      expect(verifyJournal(snapshotFiles(w.storage), pinned).status).toBe('valid');
    });

    it('names the offending field in the error', async () => {
      const w = makeWorld();
      const j = await openJournal(journalOptions(w));
      await expect(j.append('issue', { inventoryNumber: 'X', plannedShiftHours: 8, batteryHours: 9, by: { name: 'a', keyId: 'b', counter: 1, role: 'x' } } as never)).rejects.toThrow(
        /by\.role: unknown field/,
      );
      await expect(j.append('battery-swap', { slot: 2, event: 'removed' } as never)).rejects.toThrow(/slot/);
    });

    it('refuses recovery entries from callers (only the journal writes them)', async () => {
      const j = await openJournal(journalOptions(makeWorld()));
      await expect(j.append('recovery', { droppedBytes: 0, atOffset: 0, lastSeq: 0 })).rejects.toBeInstanceOf(JournalEntryError);
    });

    it('refuses an entry that encodes to more than 64 KiB', async () => {
      const j = await openJournal(journalOptions(makeWorld()));
      await expect(j.append('fault', { device: 'x', state: 'raised', detail: 'y'.repeat(70_000) })).rejects.toThrow(/over the 65536-byte limit/);
      await expect(j.append('fault', { device: 'x', state: 'raised', detail: 'ok' })).resolves.toEqual({ seq: 1 });
    });
  });

  it('R-LOG-5: offers no way to edit, delete or rewrite an entry', () => {
    const api = Object.getOwnPropertyNames(Journal.prototype);
    for (const name of api) expect(name).not.toMatch(/edit|delete|remove|update|rewrite|truncate|replace|set/i);
    expect(api).toEqual(expect.arrayContaining(['append', 'correct', 'checkpoint', 'flush', 'close']));
  });

  describe('durability', () => {
    it('syncs a security-relevant entry before acknowledging it: a power cut right after loses nothing', async () => {
      const w = makeWorld();
      const j = await openJournal(journalOptions(w));
      const { seq } = await j.append('seal-opened', { duringDuty: true });
      expect(j.durableSeq).toBeGreaterThanOrEqual(seq);
      w.storage.powerCut(() => ({ keep: 0 })); // every unsynced byte lost
      const j2 = await openJournal(journalOptions(w));
      await j2.close();
      const { records, report } = readJournal(snapshotFiles(w.storage), pinned);
      expect(report.status).toBe('valid');
      expect(records.find((r) => r.seq === seq)?.type).toBe('seal-opened');
    });

    it('every security-relevant entry type is synced before append resolves', async () => {
      const w = makeWorld();
      const j = await openJournal(journalOptions(w));
      const samples = securitySamples();
      for (const type of SECURITY_RELEVANT) {
        if (type === 'recovery' || type === 'correction') continue;
        const { seq } = await j.append(type, samples[type] as never);
        expect(j.durableSeq, type).toBeGreaterThanOrEqual(seq);
      }
    });

    it('group-commits routine entries: unsynced for at most 250 ms of (virtual) time, one sync for many', async () => {
      const w = makeWorld();
      const j = await openJournal(journalOptions(w));
      const syncs = w.storage.stats.syncs;
      const seqs: number[] = [];
      for (let i = 0; i < 20; i++) seqs.push((await j.append('day-night', { mode: i % 2 ? 'day' : 'night', lux: i, irLight: i % 2 === 0 })).seq);
      expect(j.durableSeq).toBeLessThan(seqs[0]);
      await w.clock.runFor(249);
      expect(j.durableSeq).toBeLessThan(seqs[0]);
      await w.clock.runFor(1);
      expect(j.durableSeq).toBe(seqs[seqs.length - 1]);
      expect(w.storage.stats.syncs - syncs).toBe(1);
      w.storage.powerCut(() => ({ keep: 0 }));
      await (await openJournal(journalOptions(w))).close();
      const { records } = readJournal(snapshotFiles(w.storage), pinned);
      expect(records.filter((r) => r.type === 'day-night')).toHaveLength(20);
    });

    it('the group-commit window can be shortened but not lengthened past 250 ms', async () => {
      const w = makeWorld();
      const j = await openJournal(journalOptions(w, w.storage, { groupCommitMs: 50 }));
      const { seq } = await j.append('marker', { segment: 0, offsetMs: 0, wall: START });
      await w.clock.runFor(50);
      expect(j.durableSeq).toBe(seq);
      expect(() => new Journal(journalOptions(w, w.storage, { groupCommitMs: 251 }))).toThrow(InvalidOptionsError);
    });

    it('a security-relevant entry also makes the routine entries before it durable', async () => {
      const w = makeWorld();
      const j = await openJournal(journalOptions(w));
      const { seq: routine } = await j.append('marker', { segment: 0, offsetMs: 0, wall: START });
      await j.append('card-inserted', { cid: null });
      expect(j.durableSeq).toBeGreaterThan(routine);
    });

    it('concurrent security-relevant appends share syncs (group commit)', async () => {
      const w = makeWorld();
      const j = await openJournal(journalOptions(w));
      const syncs = w.storage.stats.syncs;
      const results = await Promise.all(Array.from({ length: 50 }, (_, i) => j.append('card-removed', { cid: null, duringDuty: i % 2 === 0 })));
      expect(results.map((r) => r.seq)).toEqual(Array.from({ length: 50 }, (_, i) => results[0].seq + i));
      expect(w.storage.stats.syncs - syncs).toBeLessThanOrEqual(2);
    });

    it('flush() resolves once everything written so far is durable', async () => {
      const w = makeWorld();
      const j = await openJournal(journalOptions(w));
      const { seq } = await j.append('marker', { segment: 0, offsetMs: 0, wall: START });
      await j.flush();
      expect(j.durableSeq).toBeGreaterThanOrEqual(seq);
    });
  });

  describe('checkpoints', () => {
    it('signs a checkpoint every N records', async () => {
      const w = makeWorld();
      const j = await openJournal(journalOptions(w, w.storage, { checkpointEveryRecords: 5 }));
      for (let i = 0; i < 12; i++) await j.append('marker', { segment: 0, offsetMs: i, wall: START });
      await j.close();
      const { records, report } = readJournal(snapshotFiles(w.storage), pinned);
      expect(report.status).toBe('valid');
      const reasons = records.filter((r) => r.type === CHECKPOINT).map((r) => r.data.reason);
      expect(reasons).toEqual(['count', 'count', 'close']);
    });

    it('signs a checkpoint T after the first record it would cover, on the injected clock, and not while idle', async () => {
      const w = makeWorld();
      const j = await openJournal(journalOptions(w, w.storage, { checkpointIntervalMs: 60_000 }));
      await j.append('marker', { segment: 0, offsetMs: 0, wall: START });
      await w.clock.runFor(59_999);
      expect(j.lastCheckpoint).toBeNull();
      await w.clock.runFor(1);
      expect(j.lastCheckpoint?.reason).toBe('interval');
      const seqAfter = j.lastSeq;
      await w.clock.runFor(600_000); // nothing new: no more checkpoints
      expect(j.lastSeq).toBe(seqAfter);
      await j.close();
      expect(verifyJournal(snapshotFiles(w.storage), pinned).status).toBe('valid');
    });

    it('seals the shift: a signed checkpoint follows duty-end and return', async () => {
      const w = makeWorld();
      const j = await openJournal(journalOptions(w));
      const { seq: end } = await j.append('duty-end', { recordedMs: 1, pausedMs: 0 });
      expect(j.lastCheckpoint).toMatchObject({ seq: end + 1, reason: 'shift-end' });
      const { seq: ret } = await j.append('return', { by: { name: 'Сериков А.Б.', keyId: responsibleKey.keyId, counter: 1 } });
      expect(j.lastCheckpoint).toMatchObject({ seq: ret + 1, reason: 'shift-end' });
      expect(j.durableSeq).toBe(ret + 1);
    });

    it('checkpoint() returns a signed checkpoint the dock can keep; verify then detects removal of what it sealed', async () => {
      const w = makeWorld();
      let j = await openJournal(journalOptions(w));
      await j.append('power-on', { firmware: '1', bootCount: 1, reason: 'cold' });
      const cp = await j.checkpoint();
      expect(await j.checkpoint()).toEqual(cp); // nothing new: the same checkpoint, no new record
      await j.close();
      const files = snapshotFiles(w.storage);
      expect(verifyJournal(files, { ...pinned, knownCheckpoint: cp }).status).toBe('valid');
      // A later, whole file is dropped: undetectable from the files alone…
      j = await openJournal(journalOptions(w));
      await j.append('power-off', { reason: 'user' });
      const cp2 = await j.checkpoint();
      await j.close();
      const all = snapshotFiles(w.storage);
      expect(verifyJournal(all.slice(0, 1), pinned).status).toBe('valid');
      // …but not against the checkpoint the dock kept.
      const r = verifyJournal(all.slice(0, 1), { ...pinned, knownCheckpoint: cp2 });
      expect(r.status).toBe('invalid');
      expect(r.firstProblem?.code).toBe('known-checkpoint');
      // A forged checkpoint is refused.
      expect(verifyJournal(all, { ...pinned, knownCheckpoint: { ...cp2, head: cp.head } }).firstProblem?.code).toBe('known-checkpoint');
    });
  });

  describe('files', () => {
    it('starts a new file on each open, chained to the last; a clean reopen writes no recovery entry', async () => {
      const w = makeWorld();
      for (let i = 0; i < 3; i++) {
        const j = await openJournal(journalOptions(w));
        expect(j.recovery).toBeNull();
        await j.append('power-on', { firmware: '1', bootCount: i, reason: 'cold' });
        await j.close();
      }
      const files = snapshotFiles(w.storage);
      expect(files.map((f) => f.name)).toEqual(['journal/00000000.djl', 'journal/00000001.djl', 'journal/00000002.djl']);
      const { report, records } = readJournal(files, pinned);
      expect(report.status).toBe('valid');
      expect(records.some((r) => r.type === 'recovery')).toBe(false);
      expect(records.map((r) => r.seq)).toEqual(records.map((_r, i) => i));
    });

    it('rotates to a new file past maxFileBytes, closing the full one with a signed checkpoint', async () => {
      const w = makeWorld();
      const j = await openJournal(journalOptions(w, w.storage, { maxFileBytes: 4096 }));
      for (let i = 0; i < 100; i++) await j.append('marker', { segment: i, offsetMs: i, wall: START, note: 'x'.repeat(20) });
      await j.close();
      const files = snapshotFiles(w.storage);
      expect(files.length).toBeGreaterThan(3);
      for (const f of files.slice(0, -1)) expect(f.bytes.length).toBeLessThan(4096 + 512);
      const { report, records } = readJournal(files, pinned);
      expect(report.status).toBe('valid');
      expect(records.filter((r) => r.type === CHECKPOINT && r.data.reason === 'rotate')).toHaveLength(files.length - 1);
    });

    it('keeps files under its own folder with names NNNNNNNN.djl', async () => {
      const w = makeWorld();
      const j = await openJournal(journalOptions(w, w.storage, { dir: 'sys/log' }));
      await j.close();
      const paths = (await w.storage.list()).map((f) => f.path);
      expect(paths).toEqual(['sys/log/00000000.djl']);
      expect(FILE_NAME_RE.test('00000000.djl')).toBe(true);
      expect((await readJournalFromStorage(w.storage, { dir: 'sys/log', ...pinned })).report.status).toBe('valid');
    });
  });

  describe('recovery on open', () => {
    it('records an unclean shutdown (power lost between writes) with nothing cut', async () => {
      const w = makeWorld();
      const j = await openJournal(journalOptions(w));
      const { seq } = await j.append('duty-start', {});
      w.storage.powerCut(() => ({ keep: 0 }));
      const j2 = await openJournal(journalOptions(w));
      expect(j2.recovery).toMatchObject({ cause: 'unclean-shutdown', droppedBytes: 0, lastSeq: seq, cuts: [] });
      await j2.close();
      const { report, records } = readJournal(snapshotFiles(w.storage), pinned);
      expect(report.status).toBe('valid');
      expect(records.find((r) => r.type === 'recovery')?.data).toMatchObject({ cause: 'unclean-shutdown', lastSeq: seq, file: 'journal/00000000.djl' });
    });

    it('cuts a torn tail, says how many bytes, and keeps every earlier byte', async () => {
      const w = makeWorld();
      // Power fails during the group commit of two routine entries: 30 bytes of the write reach
      // the card, then 7 bytes of garbage (the file size got ahead of the data).
      const crash = new CrashingStorage(w.storage, { atSync: 3, policy: () => ({ keep: 30, garbage: 7 }) });
      const j = await openJournal(journalOptions(w, crash));
      await j.append('duty-start', {});
      const durable = w.storage.snapshot().get('journal/00000000.djl')!;
      await j.append('marker', { segment: 0, offsetMs: 0, wall: START });
      await j.append('day-night', { mode: 'night', lux: 1, irLight: true });
      await w.clock.runFor(250);
      expect(j.failure).toBeInstanceOf(JournalStorageError);
      expect(w.storage.snapshot().get('journal/00000000.djl')!.length).toBe(durable.length + 37);

      const j2 = await openJournal(journalOptions(w));
      expect(j2.recovery).toMatchObject({
        cause: 'torn-tail',
        droppedBytes: 37,
        atOffset: durable.length,
        cuts: [{ file: 'journal/00000000.djl', offset: durable.length, bytes: 37 }],
      });
      await j2.close();
      expect(w.storage.snapshot().get('journal/00000000.djl')).toEqual(durable);
      expect(verifyJournal(snapshotFiles(w.storage), pinned).status).toBe('valid');
    });

    it('never cuts mid-file damage: keeps the damaged file untouched, continues in a new file, and says so', async () => {
      const w = makeWorld();
      const j = await openJournal(journalOptions(w));
      await writeShift(j, w.clock, { correct: false });
      // Power lost (no close), then a bit rots in the middle of the synced file.
      w.storage.powerCut(() => ({ keep: 0 }));
      const original = w.storage.snapshot().get('journal/00000000.djl')!;
      const damaged = original.slice();
      damaged[600] ^= 0x10;
      await w.storage.writeAtomic('journal/00000000.djl', damaged);
      const j2 = await openJournal(journalOptions(w));
      expect(j2.recovery?.cause).toBe('corruption');
      expect(j2.recovery?.droppedBytes).toBe(0);
      await j2.append('power-on', { firmware: '1', bootCount: 2, reason: 'recovered' });
      await j2.close();
      expect(w.storage.snapshot().get('journal/00000000.djl')).toEqual(damaged);
      const { report, records } = readJournal(snapshotFiles(w.storage), pinned);
      expect(report.status).toBe('invalid');
      expect(report.firstProblem).toMatchObject({ code: 'corrupt-frame', file: 'journal/00000000.djl' });
      expect(report.firstProblem!.offset).toBeLessThanOrEqual(600);
      // The damage is the only problem: the new file continues the chain from the last record that survived.
      expect(report.problems.map((p) => p.code)).toEqual(['corrupt-frame']);
      expect(records[records.length - 1].type).toBe(CHECKPOINT);
    });

    it('first use on an empty storage writes a header at seq 0 with the all-zero prev hash', async () => {
      const w = makeWorld();
      const j = await openJournal(journalOptions(w));
      expect(j.head.seq).toBe(0);
      const { records } = readJournal(snapshotFiles(w.storage));
      expect(records[0]).toMatchObject({ seq: 0, type: FILE_HEADER, prev: '0'.repeat(64) });
      expect(records[0].data).toMatchObject({ device: DEVICE, keyId: deviceKey.keyId, file: 0, format: 'dozor-journal', version: 1 });
    });
  });

  describe('storage failures', () => {
    it('a full storage rejects a security-relevant append with a typed error, stops the journal, and loses nothing acknowledged', async () => {
      const w = makeWorld();
      const small = new SimStorage({ name: 'tiny', capacityBytes: 2_000, random: new SeededRandom(3) });
      await small.writeAtomic('ballast.bin', new Uint8Array(1_000));
      const onError = vi.fn();
      const j = await openJournal(journalOptions(w, small, { onError }));
      const acked: number[] = [];
      let failure: unknown = null;
      for (let i = 0; i < 20 && !failure; i++) {
        try {
          acked.push((await j.append('card-removed', { cid: null, duringDuty: false })).seq);
        } catch (err) {
          failure = err;
        }
      }
      expect(failure).toBeInstanceOf(JournalStorageError);
      expect(onError).toHaveBeenCalledTimes(1);
      await expect(j.append('marker', { segment: 0, offsetMs: 0, wall: START })).rejects.toBeInstanceOf(JournalStorageError);
      await j.close();
      await small.remove('ballast.bin');
      const j2 = await openJournal(journalOptions(w, small));
      expect(j2.recovery?.cause).toBe('unclean-shutdown');
      await j2.close();
      const { report, records } = readJournal(snapshotFiles(small), pinned);
      expect(report.status).toBe('valid');
      for (const s of acked) expect(records.some((r) => r.seq === s && r.type === 'card-removed')).toBe(true);
    });
  });

  describe('corrections (R-LOG-5)', () => {
    it('appends a correction referencing an earlier entry, authorised by a responsible person; the original stays', async () => {
      const w = makeWorld();
      const j = await openJournal(journalOptions(w));
      const { seq: wrong } = await j.append('issue', {
        inventoryNumber: 'ВЖ-0042',
        officer: 'Ивано И.И.',
        plannedShiftHours: 8,
        batteryHours: 9,
        by: { name: 'Омаров Д.Е.', keyId: dutyOfficerKey.keyId, counter: 1 },
      });
      const { seq } = await j.correct(correctionAuth(wrong, 'фамилия: Иванов', 5));
      expect(j.durableSeq).toBeGreaterThanOrEqual(seq);
      await j.close();
      const { report, records } = readJournal(snapshotFiles(w.storage), { ...pinned, trusted });
      expect(report.status).toBe('valid');
      expect(records.find((r) => r.seq === wrong)?.data.officer).toBe('Ивано И.И.');
      const c = records.find((r) => r.seq === seq)!;
      expect(c.type).toBe('correction');
      expect(c.data).toMatchObject({ corrects: wrong, note: 'фамилия: Иванов', by: { name: 'Сериков А.Б.', keyId: responsibleKey.keyId, counter: 5 } });
    });

    it('refuses a correction through append()', async () => {
      const j = await openJournal(journalOptions(makeWorld()));
      await expect(j.append('correction', { corrects: 0, note: 'x', by: { name: 'a', keyId: 'b', counter: 1 } })).rejects.toThrow(/correct\(\)/);
    });

    it('refuses authorisations from the wrong role, replayed, for another device or another action', async () => {
      const w = makeWorld();
      const j = await openJournal(journalOptions(w));
      const { seq } = await j.append('power-on', { firmware: '1', bootCount: 1, reason: 'cold' });
      await expect(j.correct(correctionAuth(seq, 'x', 1, dutyOfficerKey, 'Омаров Д.Е.'))).rejects.toMatchObject({ reason: 'role-not-allowed' });
      await expect(j.correct(correctionAuth(seq, 'x', 1, responsibleKey, 'Сериков А.Б.', 'BC-999'))).rejects.toMatchObject({ reason: 'wrong-device' });
      await j.correct(correctionAuth(seq, 'x', 2));
      await expect(j.correct(correctionAuth(seq, 'again', 2))).rejects.toBeInstanceOf(AuthorizationError);
      const forged = correctionAuth(seq, 'x', 3);
      forged.signature[0] ^= 1;
      await expect(j.correct(forged)).rejects.toMatchObject({ reason: 'bad-signature' });
    });

    it('refuses to correct a record that does not exist yet or is not an entry, without using up the authorisation', async () => {
      const w = makeWorld();
      const j = await openJournal(journalOptions(w));
      await expect(j.correct(correctionAuth(99, 'x', 1))).rejects.toBeInstanceOf(JournalCorrectionError);
      await expect(j.correct(correctionAuth(0, 'header', 1))).rejects.toThrow(/file-header record/);
      const { seq } = await j.append('power-on', { firmware: '1', bootCount: 1, reason: 'cold' });
      await expect(j.correct(correctionAuth(seq, 'ok', 1))).resolves.toMatchObject({ seq: seq + 1 });
    });

    it('corrects an entry written in an earlier file, and refuses a checkpoint in an earlier file', async () => {
      const w = makeWorld();
      let j = await openJournal(journalOptions(w));
      const { seq } = await j.append('power-on', { firmware: '1', bootCount: 1, reason: 'cold' });
      await j.close();
      const closing = j.lastSeq;
      j = await openJournal(journalOptions(w));
      await expect(j.correct(correctionAuth(closing, 'x', 1))).rejects.toThrow(/checkpoint record/);
      await expect(j.correct(correctionAuth(seq, 'bootCount 2', 1))).resolves.toBeDefined();
      await j.close();
      expect(verifyJournal(snapshotFiles(w.storage), { ...pinned, trusted }).status).toBe('valid');
    });

    it('needs a correction authority', async () => {
      const w = makeWorld();
      const j = await openJournal({ storage: w.storage, clock: w.clock, deviceKey, device: DEVICE });
      await expect(j.correct(correctionAuth(0, 'x', 1))).rejects.toBeInstanceOf(JournalCorrectionError);
    });
  });

  describe('options and lifecycle', () => {
    it('validates options before touching storage', () => {
      const w = makeWorld();
      const touched = vi.spyOn(w.storage, 'list');
      const bad = [
        { device: 'has space' },
        { device: '' },
        { dir: '/abs' },
        { dir: 'a/../b' },
        { groupCommitMs: 0.5 * 1000 },
        { checkpointEveryRecords: 0 },
        { checkpointIntervalMs: 0 },
        { maxFileBytes: 100 },
        { deviceKey: {} as never },
        { storage: undefined as never },
        { clock: undefined as never },
      ];
      for (const b of bad) expect(() => new Journal({ ...journalOptions(w), ...b }), JSON.stringify(b)).toThrow(InvalidOptionsError);
      expect(touched).not.toHaveBeenCalled();
    });

    it('close() is idempotent and later appends are refused with DeviceClosedError', async () => {
      const w = makeWorld();
      const j = await openJournal(journalOptions(w));
      await Promise.all([j.close(), j.close()]);
      await j.close();
      await expect(j.append('marker', { segment: 0, offsetMs: 0, wall: START })).rejects.toBeInstanceOf(DeviceClosedError);
      const { records } = readJournal(snapshotFiles(w.storage));
      expect(records.filter((r) => r.type === CHECKPOINT)).toHaveLength(1);
    });

    it('every entry type in the vocabulary can be written and read back valid', async () => {
      const w = makeWorld();
      const j = await openJournal(journalOptions(w));
      const samples = { ...securitySamples(), ...routineSamples() };
      for (const type of Object.keys(ENTRY_SCHEMAS)) {
        if (type === 'recovery' || type === 'correction') continue;
        expect(samples[type], `sample for ${type}`).toBeDefined();
        await j.append(type as 'marker', samples[type] as never);
      }
      await j.close();
      const { report, records } = readJournal(snapshotFiles(w.storage), pinned);
      expect(report.problems).toEqual([]);
      for (const r of records) if (samples[r.type]) expect(r.data).toEqual(samples[r.type]);
    });
  });
});

const by = { name: 'Сериков А.Б.', keyId: responsibleKey.keyId, counter: 1 };
const h = 'ab'.repeat(32);

export function securitySamples(): Record<string, unknown> {
  return {
    'power-on': { firmware: '0.1.0', bootCount: 1, reason: 'cold' },
    'power-off': { reason: 'user' },
    'shift-state': { from: 'issued', to: 'on-duty', event: 'start-duty' },
    'action-refused': { action: 'stop-recording', reason: 'forbidden while on duty', state: 'on-duty' },
    'segment-recovered': { segment: 7, camera: 'main', path: 'video/main/00000007.h264', droppedBytes: 120, keptBytes: 40960 },
    issue: { inventoryNumber: 'ВЖ-1', officer: 'Иванов И.И.', vehicle: { boardNumber: '1', plate: '2', trip: '3' }, plannedShiftHours: 8, batteryHours: 9, by },
    'issue-refused': { reason: 'battery', plannedShiftHours: 8, batteryHours: 2 },
    return: { by, note: 'ok' },
    'duty-start': { officer: 'Иванов И.И.' },
    'duty-end': { recordedMs: 1000, pausedMs: 0 },
    'pause-start': { reason: 'rest', maxMinutes: 15, by },
    'pause-end': { pausedMs: 1000, cause: 'expired' },
    'time-set': { oldTime: START, newTime: START + 5000, source: 'authorised', by },
    'clock-untrusted': { reason: 'oscillator-stopped', rtcTime: 0 },
    'card-inserted': { cid: '0123456789abcdef0123456789abcdef' },
    'card-registered': { cid: '0123456789abcdef0123456789abcdef', inventoryNumber: 'SD-1', by },
    'card-refused': { cid: null, reason: 'unregistered' },
    'card-removed': { cid: null, duringDuty: true },
    'seal-opened': { duringDuty: false },
    'seal-resealed': { by },
    'offload-receipt': { path: 'video/1.h264', sha256: h, bytes: 10, server: 's', storedAt: START },
    'storage-reclaimed': { path: 'video/1.h264', sha256: h, bytes: 10 },
    'segment-closed': {
      segment: 1,
      path: 'video/1.h264',
      camera: 'front',
      startWall: START,
      endWall: START + 1,
      startMono: 0,
      endMono: 1,
      durationMs: 1,
      frames: 1,
      bytes: 1,
      sha256: h,
      prevSha256: h,
    },
  };
}

function routineSamples(): Record<string, unknown> {
  return {
    'recording-started': { segment: 1 },
    'ir-lights': { enabled: false },
    'log-recovered': { log: 'vehicle-log', droppedBytes: 17, recoveredRecords: 1200 },
    'recording-refused': { reason: 'no card' },
    'recording-stopped': { reason: 'duty end' },
    playback: { segment: 1, path: 'video/1.h264', fromMs: 0, toMs: 10 },
    marker: { segment: 1, offsetMs: 5, wall: START, note: 'n' },
    'day-night': { mode: 'day', lux: 120.5, irLight: false },
    'battery-alert': { level: 'low', remainingMin: 30, slot: 1 },
    'battery-swap': { slot: 0, event: 'switched-to', socPercent: 88 },
    'time-drift': { driftMs: -250, reference: 'dock' },
    condensation: { state: 'risk', lensC: 2.5, dewPointC: 4, airC: 20, humidity: 80 },
    'storage-alert': { level: 'low', freeBytes: 1e9, freeHours: 1.5 },
    fault: { device: 'camera', state: 'raised', detail: 'no frames' },
    'alert-sent': { alert: 'battery', queuedAt: START, channel: 'uplink' },
    'certificate-expired': { certificate: 'C-1', expiredOn: '2026-01-01' },
    'violation-captured': { id: 'V1', speedKmh: 93.5, limitKmh: 60, still: 'stills/1.jpg' },
  };
}
