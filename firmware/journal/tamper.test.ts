/**
 * Tamper evidence (R-LOG-5; issue #3 acceptance): any single mutation of a journal file is
 * detected by verify and the first bad record is named; a clean tail truncation is reported as
 * truncation. Then the attacks a mutation property cannot express: rewriting with recomputed
 * CRCs, rewriting the whole chain, re-signing with another key, appending after the end.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { Ed25519PrivateKey, deriveTestSeed, keyIdOf, toHex } from '../../protocol/crypto.ts';
import { DEVICE, deviceKey, journalOptions, makeWorld, otherDeviceKey, sampleJournalFiles, snapshotFiles, writeShift } from '../../test/helpers/journal.ts';
import { CHECKPOINT, FILE_HEADER, checkpointMessage, decodePayload, encodeFrame, encodePayload, recordHash, type RecordPayload } from './format.ts';
import { openJournal } from './journal.ts';
import { readJournal, verifyJournal, type JournalFileInput, type VerifyReport } from './reader.ts';
import { scanFrames } from './scan.ts';

const pinned = { publicKey: deviceKey.publicKey };

let journal: Uint8Array; // one closed file with several checkpoints
let frames: Array<{ offset: number; size: number }>;
let foreign: Uint8Array[]; // frames of another journal of the same device
let otherDevice: Uint8Array[]; // frames of another device's journal

async function oneFile(seed: number, key = deviceKey, device = DEVICE, segments = 6): Promise<Uint8Array> {
  const w = makeWorld(seed);
  const j = await openJournal({ ...journalOptions(w), deviceKey: key, device, checkpointEveryRecords: 8, checkpointIntervalMs: 3_600_000 });
  await writeShift(j, w.clock, { segments, correct: device === DEVICE });
  await j.close();
  const files = snapshotFiles(w.storage);
  expect(files).toHaveLength(1);
  return files[0].bytes;
}

function framesOf(bytes: Uint8Array): Uint8Array[] {
  return scanFrames(bytes).frames.map((f) => bytes.slice(f.offset, f.offset + f.size));
}

const verify = (bytes: Uint8Array): VerifyReport => verifyJournal([{ name: 'j.djl', bytes }], pinned);

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Index of the frame holding byte `at` (the frame starting there for an offset on a boundary). */
function frameAt(at: number): number {
  return frames.findIndex((f) => at >= f.offset && at < f.offset + f.size);
}

beforeAll(async () => {
  journal = await oneFile(1);
  frames = scanFrames(journal).frames.map((f) => ({ offset: f.offset, size: f.size }));
  foreign = framesOf(await oneFile(1, deviceKey, DEVICE, 5));
  otherDevice = framesOf(await oneFile(1, otherDeviceKey, 'BC-000999'));
});

describe('tamper evidence', () => {
  it('the untouched journal is valid', () => {
    const r = verify(journal);
    expect(r.status).toBe('valid');
    expect(r.checkpoints).toBeGreaterThan(3);
    expect(frames.length).toBeGreaterThan(30);
  });

  it('acceptance: any single mutation is detected and the first bad record named; a clean tail truncation is reported as truncation', () => {
    const n = () => frames.length;
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
      fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
      fc.record({ kind: fc.constant('drop-record' as const), i: fc.nat() }),
      fc.record({ kind: fc.constant('swap' as const), i: fc.nat(), j: fc.nat() }),
      fc.record({ kind: fc.constant('splice' as const), i: fc.nat(), j: fc.nat(), replace: fc.boolean(), fromOtherDevice: fc.boolean() }),
      fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
    );
    fc.assert(
      fc.property(mutation, (m) => {
        const len = journal.length;
        const F = n();
        const last = F - 1;
        let bytes: Uint8Array;
        let expectOffset: number;
        let lastTouched: boolean;
        switch (m.kind) {
          case 'flip': {
            const at = m.at % len;
            bytes = journal.slice();
            bytes[at] ^= 1 << m.bit;
            expectOffset = frames[frameAt(at)].offset;
            lastTouched = frameAt(at) === last;
            break;
          }
          case 'insert': {
            const at = m.at % (len + 1);
            bytes = concat(journal.subarray(0, at), Uint8Array.of(m.byte), journal.subarray(at));
            expectOffset = at === len ? len : frames[frameAt(at)].offset;
            lastTouched = at === len || frameAt(at) === last;
            break;
          }
          case 'delete': {
            const at = m.at % len;
            bytes = concat(journal.subarray(0, at), journal.subarray(at + 1));
            expectOffset = frames[frameAt(at)].offset;
            lastTouched = frameAt(at) === last;
            break;
          }
          case 'drop-record': {
            const i = m.i % F;
            const f = frames[i];
            bytes = concat(journal.subarray(0, f.offset), journal.subarray(f.offset + f.size));
            expectOffset = f.offset;
            lastTouched = i === last;
            break;
          }
          case 'swap': {
            const i = m.i % F;
            let j = m.j % F;
            if (j === i) j = (i + 1) % F;
            const [a, b] = i < j ? [i, j] : [j, i];
            const parts = framesOf(journal);
            [parts[a], parts[b]] = [parts[b], parts[a]];
            bytes = concat(...parts);
            expectOffset = frames[a].offset;
            lastTouched = false;
            break;
          }
          case 'splice': {
            const src = m.fromOtherDevice ? otherDevice : foreign;
            const piece = src[m.j % src.length];
            const parts = framesOf(journal);
            const i = m.replace ? m.i % F : m.i % (F + 1);
            if (m.replace) parts[i] = piece;
            else parts.splice(i, 0, piece);
            bytes = concat(...parts);
            // A spliced frame identical to the one already there (same device, same moment) changes
            // nothing until the first frame that differs.
            const original = framesOf(journal);
            let k = 0;
            while (k < original.length && k < parts.length && parts[k].length === original[k].length && parts[k].every((b, x) => b === original[k][x])) k++;
            expectOffset = k < F ? frames[k].offset : len;
            lastTouched = false;
            break;
          }
          case 'truncate': {
            const at = m.at % len;
            bytes = journal.slice(0, at);
            const r = verify(bytes);
            expect(r.status).toBe('truncated');
            const onBoundary = frames.some((f) => f.offset === at);
            if (at === 0) expect(r.firstProblem?.code).toBe('empty');
            else if (onBoundary) expect(r.firstProblem).toMatchObject({ code: 'unsealed-end', offset: at });
            else expect(r.firstProblem).toMatchObject({ code: 'torn-tail', offset: frames[frameAt(at)].offset });
            return;
          }
        }
        const r = verify(bytes);
        expect(r.status).not.toBe('valid');
        // Damage to anything but the final record can only be tampering, never a torn write.
        if (!lastTouched) expect(r.status).toBe('invalid');
        expect(r.firstProblem!.offset).toBe(expectOffset);
      }),
      { numRuns: 400, seed: 7 },
    );
  });

  it('names a reordered pair by the first out-of-place record and its seq', () => {
    const parts = framesOf(journal);
    [parts[5], parts[6]] = [parts[6], parts[5]];
    const r = verify(concat(...parts));
    expect(r.firstProblem).toMatchObject({ code: 'seq', offset: frames[5].offset, seq: 6 });
    expect(r.firstProblem!.message).toBe('expected seq 5, found 6');
  });

  describe('an attacker who recomputes CRCs (knows the format, not the key)', () => {
    function rewrite(edit: (recs: RecordPayload[]) => void, opts: { rechain: boolean; key?: Ed25519PrivateKey }): Uint8Array {
      const recs = framesOf(journal).map((f) => decodePayload(f.subarray(16)));
      edit(recs);
      const out: Uint8Array[] = [];
      let prev = recs[0].prev;
      for (const r of recs) {
        if (opts.rechain) r.prev = prev;
        if (opts.key && r.type === FILE_HEADER) r.data = { ...r.data, publicKey: opts.key.publicKey, keyId: opts.key.keyId };
        if (opts.key && r.type === CHECKPOINT) {
          const sig = opts.key.sign(checkpointMessage({ device: DEVICE, seq: r.seq, head: r.prev, wall: r.wall, mono: r.mono, reason: String(r.data.reason) }));
          r.data = { ...r.data, keyId: opts.key.keyId, signature: sig };
        }
        const payload = encodePayload(r);
        prev = recordHash(payload);
        out.push(encodeFrame(payload));
      }
      return concat(...out);
    }
    const officer = (recs: RecordPayload[]) => {
      const issue = recs.find((r) => r.type === 'issue')!;
      issue.data = { ...issue.data, officer: 'Петров П.П.' };
      return issue.seq;
    };

    it('an edited entry with a valid CRC breaks the chain at the next record', () => {
      let seq = -1;
      const r = verify(rewrite((recs) => (seq = officer(recs)), { rechain: false }));
      expect(r.status).toBe('invalid');
      expect(r.firstProblem).toMatchObject({ code: 'chain', seq: seq + 1 });
    });

    it('a rewritten chain fails at the next signed checkpoint', () => {
      let seq = -1;
      const r = verify(rewrite((recs) => (seq = officer(recs)), { rechain: true }));
      expect(r.status).toBe('invalid');
      expect(r.firstProblem!.code).toBe('signature');
      expect(r.firstProblem!.seq).toBeGreaterThan(seq);
    });

    it('re-signing everything with another key passes only the self-consistency check; the pinned device key catches it', () => {
      const forger = new Ed25519PrivateKey(deriveTestSeed('forger'));
      const forged = rewrite(officer, { rechain: true, key: forger });
      const self = verifyJournal([{ name: 'j.djl', bytes: forged }]);
      expect(self.status).toBe('valid');
      expect(self.keySource).toBe('journal');
      expect(self.keyId).toBe(keyIdOf(forger.publicKey));
      const r = verify(forged);
      expect(r.status).toBe('invalid');
      expect(r.firstProblem).toMatchObject({ code: 'key', seq: 0, offset: 0 });
    });

    it('records appended after the closing checkpoint are refused', () => {
      const recs = framesOf(journal).map((f) => decodePayload(f.subarray(16)));
      const last = recs[recs.length - 1];
      const extra: RecordPayload = { seq: last.seq + 1, wall: last.wall + 1, mono: last.mono + 1, type: 'marker', data: { segment: 0, offsetMs: 0, wall: 0 }, prev: recordHash(encodePayload(last)) };
      const r = verify(concat(journal, encodeFrame(encodePayload(extra))));
      expect(r.status).toBe('invalid');
      expect(r.firstProblem).toMatchObject({ code: 'after-close', seq: last.seq + 1, offset: journal.length });
    });

    it('dropping the closing checkpoint to append unsigned entries leaves them unsealed: reported as truncation with the count', () => {
      const parts = framesOf(journal);
      const recs = parts.map((f) => decodePayload(f.subarray(16)));
      const kept = recs.slice(0, -1);
      const last = kept[kept.length - 1];
      const extra: RecordPayload = { seq: last.seq + 1, wall: last.wall + 1, mono: last.mono + 1, type: 'marker', data: { segment: 0, offsetMs: 0, wall: 0 }, prev: recordHash(encodePayload(last)) };
      const r = verify(concat(...parts.slice(0, -1), encodeFrame(encodePayload(extra))));
      expect(r.status).toBe('truncated');
      expect(r.firstProblem!.code).toBe('unsealed-end');
      expect(r.unsealedRecords).toBeGreaterThanOrEqual(1);
    });

    it('an entry that fails its schema is refused on read even with valid CRC, chain and signatures', () => {
      const forger = deviceKey; // even the device's own key cannot make a malformed entry acceptable
      const r = verify(
        rewrite(
          (recs) => {
            const m = recs.find((x) => x.type === 'marker')!;
            m.data = { ...m.data, segment: -1 };
          },
          { rechain: true, key: forger },
        ),
      );
      expect(r.status).toBe('invalid');
      expect(r.firstProblem).toMatchObject({ code: 'schema' });
      expect(r.firstProblem!.message).toMatch(/segment/);
    });
  });

  describe('across files', () => {
    let files: JournalFileInput[];
    beforeAll(async () => {
      const w = makeWorld();
      for (let i = 0; i < 3; i++) {
        const j = await openJournal(journalOptions(w));
        await j.append('power-on', { firmware: '1', bootCount: i, reason: 'cold' });
        await j.close();
      }
      files = snapshotFiles(w.storage);
      expect(verifyJournal(files, pinned).status).toBe('valid');
    });

    it('a missing middle file breaks the chain at the next file header', () => {
      const r = verifyJournal([files[0], files[2]], pinned);
      expect(r.status).toBe('invalid');
      expect(r.firstProblem).toMatchObject({ file: files[2].name, offset: 0, code: 'seq' });
      expect(r.problems.map((p) => p.code)).toContain('chain');
    });

    it('files given out of order are refused', () => {
      const r = verifyJournal([files[1], files[0], files[2]], pinned);
      expect(r.status).toBe('invalid');
    });

    it('a file from another device is refused', async () => {
      const other = await oneFile(2, otherDeviceKey, 'BC-000999');
      const r = verifyJournal([...files, { name: 'journal/00000003.djl', bytes: other }], pinned);
      expect(r.status).toBe('invalid');
      expect(r.problems.map((p) => p.code)).toEqual(expect.arrayContaining(['device', 'key']));
    });

    it('a later file alone verifies, noting that it is anchored to earlier files', () => {
      const r = verifyJournal([files[2]], pinned);
      expect(r.status).toBe('valid');
      expect(r.notes.join(' ')).toMatch(/starts at seq/);
    });

    it('reads the whole journal and reports its head hash', () => {
      const { report, records } = readJournal(files, pinned);
      expect(report.head).toEqual({ seq: records[records.length - 1].seq, hash: records[records.length - 1].hash });
      expect(toHex(recordHash(scanFrames(files[2].bytes).frames.at(-1)!.payload))).toBe(report.head!.hash);
    });

    it('sample journals of a full shift verify', async () => {
      const { files: shift } = await sampleJournalFiles(5);
      expect(verifyJournal(shift, pinned).status).toBe('valid');
    });
  });
});
