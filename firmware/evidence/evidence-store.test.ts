import { beforeEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { makeCardWorld, type CardWorld } from '../../test/card/helpers.ts';
import type { CardGuard } from '../card/card-guard.ts';
import { EvidenceStore, EVIDENCE_INDEX_PATH, INDEX_RESERVE_PATH } from './evidence-store.ts';
import { EvidenceError, ReceiptMismatchError } from './errors.ts';
import type { EvidenceFile, EvidenceReceipt } from './types.ts';
import { deriveEvidenceIndexKey } from './index-key.ts';
import { DeletionRefusedError } from '../../hal/errors.ts';
import { sha256Hex, Ed25519PrivateKey, deriveTestSeed } from '../../protocol/crypto.ts';
import { SimStorage } from '../../sim/storage.ts';
import { SeededRandom } from '../../sim/random.ts';
import { VirtualClock } from '../../sim/virtual-clock.ts';
import { MemoryJournal } from '../../test/card/helpers.ts';
import type { CardReadiness } from '../card/evidence-volume.ts';

const enc = new TextEncoder();

async function setup(seed: number, capacityBytes = 4 << 20): Promise<{ w: CardWorld; guard: CardGuard }> {
  const w = await makeCardWorld(seed);
  const guard = await w.startGuard();
  const card = w.newCard('evidence card', capacityBytes);
  w.slot.insert(card);
  await guard.settled();
  await guard.registerCard(w.authorize('register-card', { cid: (await w.slot.status()).cid!, inventoryNumber: 'INV-SD-0100' }));
  w.journal.entries.length = 0;
  return { w, guard };
}

/** The recorder's part: write a file through the guarded storage, then index it. */
async function record(w: CardWorld, guard: CardGuard, n: number, size = 1000): Promise<EvidenceFile> {
  const path = `video/${String(n).padStart(6, '0')}.h264`;
  const data = new Uint8Array(size).map((_, i) => (i * 31 + n) & 0xff);
  const f = await guard.storage.openAppend(path);
  await f.append(data);
  await f.sync();
  await f.close();
  const start = w.clock.wallTime();
  return guard.evidence.add({ path, size, sha256: sha256Hex(data), kind: 'video', startWall: start, endWall: start + 60_000 });
}

function receiptFor(f: EvidenceFile, over: Partial<EvidenceReceipt> = {}): EvidenceReceipt {
  return { path: f.path, size: f.size, sha256: f.sha256, server: 'storage-1', storedAt: Date.UTC(2025, 0, 6, 12), ...over };
}

describe('evidence store: no deletion without a receipt (R-REC-6, R-CARD-4, R-OFF-2)', () => {
  let w: CardWorld;
  let guard: CardGuard;
  let file: EvidenceFile;
  beforeEach(async () => {
    ({ w, guard } = await setup(21));
    file = await record(w, guard, 1);
  });

  it('R-REC-6: refuses to delete a file that has no server receipt', async () => {
    await expect(guard.evidence.remove(file.path)).rejects.toBeInstanceOf(DeletionRefusedError);
    await expect(guard.evidence.remove(file.path)).rejects.toThrow(/no server receipt for sha256/);
    expect(await w.slot.storage.stat(file.path)).not.toBeNull();
    expect(w.journal.of('storage-reclaimed')).toEqual([]);
  });

  it('R-OFF-2: refuses a receipt for a different hash, and deletion stays refused', async () => {
    const other = sha256Hex(enc.encode('something else'));
    await expect(guard.evidence.acceptReceipt(receiptFor(file, { sha256: other }))).rejects.toBeInstanceOf(ReceiptMismatchError);
    await expect(guard.evidence.remove(file.path)).rejects.toBeInstanceOf(DeletionRefusedError);
    expect(w.journal.of('offload-receipt')).toEqual([]);
    expect((await guard.evidence.pending()).map((f) => f.path)).toEqual([file.path]);
  });

  it('R-OFF-2: refuses a receipt for another size, an unknown path, or a malformed one', async () => {
    await expect(guard.evidence.acceptReceipt(receiptFor(file, { size: file.size + 1 }))).rejects.toThrow(/size/);
    await expect(guard.evidence.acceptReceipt(receiptFor(file, { path: 'video/999999.h264' }))).rejects.toThrow(/no indexed evidence file/);
    await expect(guard.evidence.acceptReceipt({ ...receiptFor(file), sha256: 'ABC' })).rejects.toBeInstanceOf(ReceiptMismatchError);
    await expect(guard.evidence.acceptReceipt(null as never)).rejects.toBeInstanceOf(ReceiptMismatchError);
  });

  it('R-CARD-4: after a receipt for the exact hash the file may be deleted; both steps are journalled', async () => {
    expect(await guard.evidence.acceptReceipt(receiptFor(file))).toBe('accepted');
    expect(w.journal.of('offload-receipt')).toEqual([
      expect.objectContaining({ path: file.path, sha256: file.sha256, bytes: file.size, server: 'storage-1', storedAt: Date.UTC(2025, 0, 6, 12) }),
    ]);
    expect(await guard.evidence.pending()).toEqual([]);
    await guard.evidence.remove(file.path);
    expect(await w.slot.storage.stat(file.path)).toBeNull();
    expect(w.journal.types()).toEqual(['offload-receipt', 'storage-reclaimed']);
    expect(w.journal.of('storage-reclaimed')[0]).toMatchObject({ path: file.path, sha256: file.sha256, bytes: file.size });
    expect(await guard.evidence.files()).toEqual([]);
  });

  it('a repeated receipt is a duplicate and journalled once', async () => {
    await guard.evidence.acceptReceipt(receiptFor(file));
    expect(await guard.evidence.acceptReceipt(receiptFor(file))).toBe('duplicate');
    expect(w.journal.of('offload-receipt')).toHaveLength(1);
  });

  it('R-REC-6: refuses to delete a receipted file whose bytes on the card changed since, and journals a fault', async () => {
    await guard.evidence.acceptReceipt(receiptFor(file));
    const data = await w.slot.storage.read(file.path);
    data[10] ^= 0xff;
    await w.slot.storage.writeAtomic(file.path, data); // someone with a card reader
    await expect(guard.evidence.remove(file.path)).rejects.toThrow(/hash to/);
    expect(await w.slot.storage.stat(file.path)).not.toBeNull();
    expect(w.journal.of('fault')[0].detail).toContain(file.path);
    expect(w.journal.of('storage-reclaimed')).toEqual([]);
  });

  it('refuses to delete files that are not indexed and the device own files', async () => {
    await guard.storage.writeAtomic('notes.txt', enc.encode('x'));
    await expect(guard.evidence.remove('notes.txt')).rejects.toThrow(/not in the evidence index/);
    await expect(guard.evidence.remove(EVIDENCE_INDEX_PATH)).rejects.toBeInstanceOf(DeletionRefusedError);
    await expect(guard.evidence.remove('dozor/registration.token')).rejects.toBeInstanceOf(DeletionRefusedError);
  });

  it('refuses changes while the card is not ready (pulled)', async () => {
    w.slot.remove();
    await guard.settled();
    await expect(guard.evidence.remove(file.path)).rejects.toMatchObject({ reason: 'not-ready' });
    await expect(guard.evidence.acceptReceipt(receiptFor(file))).rejects.toMatchObject({ reason: 'not-ready' });
    await expect(guard.evidence.pending()).rejects.toBeInstanceOf(EvidenceError);
  });
});

describe('evidence store: reclaim only when needed, oldest first (R-CARD-4)', () => {
  it('reclaims nothing while there is room, then exactly the oldest receipted files needed, each journalled', async () => {
    const { w, guard } = await setup(22, 64 * 1024);
    const files: EvidenceFile[] = [];
    for (let n = 1; n <= 6; n++) files.push(await record(w, guard, n, 8000));
    // Receipts arrive out of order; file 2 never gets one.
    for (const i of [3, 0, 4, 5]) await guard.evidence.acceptReceipt(receiptFor(files[i]));
    const free = (await guard.evidence.space()).freeBytes;

    const none = await guard.evidence.reclaim(free);
    expect(none).toMatchObject({ reclaimed: [], satisfied: true });
    expect(w.journal.of('storage-reclaimed')).toEqual([]);

    const some = await guard.evidence.reclaim(free + 12_000);
    expect(some.reclaimed.map((r) => r.path)).toEqual([files[0].path, files[3].path]);
    expect(some.satisfied).toBe(true);
    expect(w.journal.of('storage-reclaimed').map((e) => e.path)).toEqual([files[0].path, files[3].path]);

    const all = await guard.evidence.reclaim(64 * 1024);
    expect(all.reclaimed.map((r) => r.path)).toEqual([files[4].path, files[5].path]);
    expect(all.satisfied).toBe(false);
    expect((await guard.evidence.files()).map((f) => f.path)).toEqual([files[1].path, files[2].path]);
    for (const f of [files[1], files[2]]) expect(await w.slot.storage.stat(f.path)).not.toBeNull();
  });

  it('R-CARD-4: on a full card a receipt is still indexed (the reserve), so space can be reclaimed', async () => {
    const { w, guard } = await setup(23, 48 * 1024);
    const f1 = await record(w, guard, 1, 20_000);
    expect(await w.slot.storage.stat(INDEX_RESERVE_PATH)).toMatchObject({ size: 4096 });
    // Fill the card to the last byte with a file the recorder is still writing.
    const filler = await guard.storage.openAppend('video/000002.h264');
    const free = (await guard.evidence.space()).freeBytes;
    await filler.append(new Uint8Array(free));
    await filler.sync();
    expect((await guard.evidence.space()).freeBytes).toBe(0);

    expect(await guard.evidence.acceptReceipt(receiptFor(f1))).toBe('accepted');
    const r = await guard.evidence.reclaim(10_000);
    expect(r.reclaimed.map((x) => x.path)).toEqual([f1.path]);
    expect(r.satisfied).toBe(true);
  });
});

describe('evidence store: the index on the card', () => {
  it('survives a reload: files, receipts and reclaims are as they were', async () => {
    const { w, guard } = await setup(24);
    const a = await record(w, guard, 1);
    const b = await record(w, guard, 2);
    const c = await record(w, guard, 3);
    await guard.evidence.acceptReceipt(receiptFor(a));
    await guard.evidence.acceptReceipt(receiptFor(b));
    await guard.evidence.remove(a.path);
    const card = w.slot.remove()!;
    await guard.settled();
    w.slot.insert(card);
    await guard.settled();
    expect(guard.readiness()).toBe('ready');
    expect((await guard.evidence.files()).map((f) => [f.path, f.receipt !== null])).toEqual([
      [b.path, true],
      [c.path, false],
    ]);
    expect((await guard.evidence.pending()).map((f) => f.path)).toEqual([c.path]);
    await guard.evidence.remove(b.path);
  });

  it('R-OFF-2: a power cut at any point after an operation returned loses nothing it acknowledged', async () => {
    for (let seed = 40; seed < 46; seed++) {
      const { w, guard } = await setup(seed);
      const a = await record(w, guard, 1);
      const b = await record(w, guard, 2);
      await guard.evidence.acceptReceipt(receiptFor(a));
      // Power fails: unsynced bytes anywhere may be torn (random per seed); the device restarts.
      const card = w.slot.card!;
      card.storage.powerCut();
      w.internal.powerCut();
      await guard.close();
      w.slot.remove();
      const restarted = await w.startGuard();
      w.slot.insert(card);
      await restarted.settled();
      expect(restarted.readiness()).toBe('ready');
      expect((await restarted.evidence.files()).map((f) => [f.path, f.receipt?.sha256 ?? null])).toEqual([
        [a.path, a.sha256],
        [b.path, null],
      ]);
      await restarted.evidence.remove(a.path);
      await expect(restarted.evidence.remove(b.path)).rejects.toBeInstanceOf(DeletionRefusedError);
    }
  });

  it('R-REC-6: a receipt line forged into the index with a card reader is not trusted', async () => {
    const { w, guard } = await setup(25);
    const f = await record(w, guard, 1);
    const card = w.slot.remove()!;
    await guard.settled();
    // Append a receipt line with a made-up MAC, as an attacker without the device key must.
    card.storage.setAvailable(true);
    const index = await card.storage.read(EVIDENCE_INDEX_PATH);
    const forged = `${JSON.stringify({ t: 'receipt', path: f.path, size: f.size, sha256: f.sha256, server: 'x', storedAt: 0, acceptedAt: 0 })}\t${'0'.repeat(32)}\n`;
    await card.storage.writeAtomic(EVIDENCE_INDEX_PATH, new Uint8Array([...index, ...enc.encode(forged)]));
    card.storage.setAvailable(false);
    w.slot.insert(card);
    await guard.settled();
    expect(guard.readiness()).toBe('ready');
    await expect(guard.evidence.remove(f.path)).rejects.toBeInstanceOf(DeletionRefusedError);
    expect(w.journal.of('fault')[0].detail).toMatch(/untrusted \(MAC does not verify/);
    const kept = (await w.slot.storage.list('dozor/')).map((x) => x.path);
    expect(kept.some((p) => p.includes('evidence-index.untrusted-'))).toBe(true);
  });

  it("an index written by another device's key is not trusted: its files are unindexed, never deletable", async () => {
    const { w, guard } = await setup(26);
    const f = await record(w, guard, 1);
    await guard.evidence.acceptReceipt(receiptFor(f));
    const otherStore = new EvidenceStore({
      volume: { readiness: () => 'ready' },
      card: w.slot.storage,
      journal: new MemoryJournal(w.clock),
      clock: w.clock,
      indexKey: deriveEvidenceIndexKey(new Ed25519PrivateKey(deriveTestSeed('device BC-0002'))),
    });
    const report = await otherStore.load();
    expect(report.untrusted).not.toBeNull();
    expect(report.unindexed).toContain(f.path);
    await expect(otherStore.remove(f.path)).rejects.toBeInstanceOf(DeletionRefusedError);
  });

  it('cuts a torn tail left by a power cut and keeps every complete line', async () => {
    const { w, guard } = await setup(27);
    const a = await record(w, guard, 1);
    const card = w.slot.remove()!;
    await guard.settled();
    card.storage.setAvailable(true);
    const f = await card.storage.openAppend(EVIDENCE_INDEX_PATH);
    await f.append(enc.encode('{"t":"add","path":"video/0000'));
    await f.close();
    card.storage.setAvailable(false);
    w.slot.insert(card);
    await guard.settled();
    expect(guard.readiness()).toBe('ready');
    expect((await guard.evidence.files()).map((x) => x.path)).toEqual([a.path]);
    expect(w.journal.of('fault')).toEqual([]);
    await record(w, guard, 2);
  });

  it('reports files on the card the index does not know, and adopts them by hashing', async () => {
    const { w, guard } = await setup(28);
    await guard.storage.writeAtomic('video/000009.h264', enc.encode('left over from a crash'));
    w.slot.insert(w.slot.remove()!);
    const report = await guard.evidence.load();
    expect(report.unindexed).toEqual(['video/000009.h264']);
    const adopted = await guard.evidence.adopt({ path: 'video/000009.h264', kind: 'video', startWall: 1, endWall: 2 });
    expect(adopted.sha256).toBe(sha256Hex(enc.encode('left over from a crash')));
    expect((await guard.evidence.pending()).map((f) => f.path)).toEqual(['video/000009.h264']);
  });

  it('journals a fault when indexed evidence is missing from the card', async () => {
    const { w, guard } = await setup(29);
    const f = await record(w, guard, 1);
    await w.slot.storage.remove(f.path); // behind the device's back
    const report = await guard.evidence.load();
    expect(report.missing).toEqual([f.path]);
    expect(w.journal.of('fault')[0].detail).toContain(f.path);
  });
});

describe('evidence store: indexing and offload reads', () => {
  let w: CardWorld;
  let guard: CardGuard;
  beforeEach(async () => {
    ({ w, guard } = await setup(30));
  });

  it('checks what the recorder declares against the card', async () => {
    const f = await record(w, guard, 1, 500);
    expect(await guard.evidence.add({ ...f })).toMatchObject({ path: f.path }); // idempotent
    await expect(guard.evidence.add({ ...f, sha256: sha256Hex(enc.encode('x')) })).rejects.toMatchObject({ reason: 'already-indexed' });
    await expect(guard.evidence.add({ ...f, path: 'video/000002.h264' })).rejects.toMatchObject({ reason: 'file-mismatch' });
    await guard.storage.writeAtomic('video/000003.h264', enc.encode('abc'));
    await expect(guard.evidence.add({ ...f, path: 'video/000003.h264' })).rejects.toMatchObject({ reason: 'file-mismatch' });
    await expect(guard.evidence.add({ ...f, path: 'dozor/x' })).rejects.toMatchObject({ reason: 'reserved-path' });
    await expect(guard.evidence.add({ ...f, path: '../x' })).rejects.toMatchObject({ reason: 'bad-input' });
    await expect(guard.evidence.add({ ...f, kind: 'movie' as never })).rejects.toMatchObject({ reason: 'bad-input' });
    await expect(guard.evidence.add({ ...f, endWall: f.startWall - 1 })).rejects.toMatchObject({ reason: 'bad-input' });
  });

  it('R-OFF-1: reads byte ranges of indexed files for the offload, clamped to the file', async () => {
    const f = await record(w, guard, 1, 3000);
    const whole = await w.slot.storage.read(f.path);
    expect(await guard.evidence.read(f.path, 1000, 500)).toEqual(whole.subarray(1000, 1500));
    expect((await guard.evidence.read(f.path, 2900, 500)).length).toBe(100);
    expect((await guard.evidence.read(f.path, 3000, 10)).length).toBe(0);
    await expect(guard.evidence.read(f.path, 3001, 1)).rejects.toMatchObject({ reason: 'bad-input' });
    await expect(guard.evidence.read('dozor/registration.token', 0, 10)).rejects.toMatchObject({ reason: 'not-indexed' });
  });
});

describe('evidence store: invariant under any sequence of operations (R-REC-6, property)', () => {
  it('a file leaves the card only after an accepted receipt for its exact hash, and every removal is journalled after it', async () => {
    type Op = { kind: 'add' | 'receipt' | 'bad-receipt' | 'remove' | 'reclaim'; n: number };
    const opArb: fc.Arbitrary<Op> = fc.record({ kind: fc.constantFrom('add', 'receipt', 'bad-receipt', 'remove', 'reclaim'), n: fc.integer({ min: 0, max: 7 }) });
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 40 }), async (ops) => {
        const clock = new VirtualClock({ startEpochMs: 0 });
        const card = new SimStorage({ name: 'card', capacityBytes: 40_000, random: new SeededRandom(1) });
        const journal = new MemoryJournal(clock);
        let readiness: CardReadiness = 'ready';
        const store = new EvidenceStore({ volume: { readiness: () => readiness }, card, journal, clock, indexKey: new Uint8Array(32).fill(7), indexReserveBytes: 1024 });
        await store.load();
        const hashes = new Map<string, string>();
        for (const op of ops) {
          const path = `v/${op.n}`;
          try {
            if (op.kind === 'add') {
              const data = new Uint8Array(3000 + op.n).fill(op.n);
              if (!(await card.stat(path))) await card.writeAtomic(path, data);
              const bytes = await card.read(path);
              hashes.set(path, sha256Hex(bytes));
              await store.add({ path, size: bytes.length, sha256: sha256Hex(bytes), kind: 'video', startWall: 0, endWall: 0 });
            } else if (op.kind === 'receipt' || op.kind === 'bad-receipt') {
              const st = await card.stat(path);
              const sha = op.kind === 'receipt' ? hashes.get(path) ?? '0'.repeat(64) : sha256Hex(enc.encode(`wrong ${op.n}`));
              await store.acceptReceipt({ path, size: st?.size ?? 0, sha256: sha, server: 's', storedAt: 0 });
            } else if (op.kind === 'remove') {
              await store.remove(path);
            } else {
              await store.reclaim(20_000 + op.n * 1000);
            }
          } catch (err) {
            if (!(err instanceof DeletionRefusedError || err instanceof ReceiptMismatchError || err instanceof EvidenceError)) throw err;
          }
          readiness = 'ready';
        }
        // Every removal was preceded by an accepted receipt for the same path and hash.
        const receipted = new Set<string>();
        for (const e of journal.entries) {
          const d = e.data as { path: string; sha256: string };
          if (e.type === 'offload-receipt') receipted.add(`${d.path} ${d.sha256}`);
          if (e.type === 'storage-reclaimed') expect(receipted.has(`${d.path} ${d.sha256}`)).toBe(true);
        }
        // Every indexed file without a reclaim entry is still on the card.
        const reclaimed = new Set(journal.of('storage-reclaimed').map((e) => e.path));
        for (const path of hashes.keys()) if (!reclaimed.has(path)) expect(await card.stat(path)).not.toBeNull();
      }),
      { numRuns: 60 },
    );
  });
});
