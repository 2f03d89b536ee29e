/**
 * The evidence store on the sealed card (R-REC-6, R-CARD-4, R-OFF-2): an authenticated index of
 * every evidence file (path, size, SHA-256, kind, times), receipts from the storage server, and
 * the one and only deletion path on the device.
 *
 * - `remove` refuses (`DeletionRefusedError`) any file without a server receipt for its exact
 *   hash, and re-hashes the bytes on the card before deleting, so what goes is exactly what the
 *   server confirmed.
 * - A receipt is accepted only when path, size and SHA-256 equal the index entry; it is
 *   journalled ('offload-receipt') before it takes effect.
 * - `reclaim(minFreeBytes)` frees space only when needed, oldest receipted file first, and
 *   journals every file ('storage-reclaimed') before removing it.
 * - Offload: `pending()`, `read(path, offset, length)`, `acceptReceipt(receipt)` — the shape the
 *   dock session needs, so an `OffloadSource` adapter is a one-liner per method.
 *
 * The index is `dozor/evidence-index.log` on the card (format in index-log.ts), so a card taken
 * out of a vehicle recorder still says what it holds and what was already offloaded.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Clock } from '../../hal/clock.ts';
import { DeletionRefusedError, StorageFullError } from '../../hal/errors.ts';
import { isValidStoragePath, type AppendFile, type SpaceInfo, type Storage } from '../../hal/storage.ts';
import { CARD_RESERVED_PREFIX } from '../../protocol/card-token.ts';
import type { EvidenceVolume } from '../card/evidence-volume.ts';
import type { JournalWriter } from '../journal/entries.ts';
import { EvidenceError, ReceiptMismatchError } from './errors.ts';
import { IndexLogCodec } from './index-log.ts';
import { EVIDENCE_KINDS, type EvidenceFile, type EvidenceReceipt, type NewEvidence } from './types.ts';

export const EVIDENCE_INDEX_PATH = `${CARD_RESERVED_PREFIX}evidence-index.log`;
/** Space held back so a receipt can still be indexed on a full card (else nothing could ever be reclaimed). */
export const INDEX_RESERVE_PATH = `${CARD_RESERVED_PREFIX}index-reserve.bin`;

export interface EvidenceStoreOptions {
  /** Readiness of the card (the card guard): the store changes the card only while 'ready'. */
  volume: Pick<EvidenceVolume, 'readiness'>;
  /** The card's own storage (the slot's): only this store ever removes files from it. */
  card: Storage;
  journal: JournalWriter;
  clock: Clock;
  /** Secret that authenticates index lines (`deriveEvidenceIndexKey(deviceKey)`), ≥ 32 bytes. */
  indexKey: Uint8Array;
  /** Bytes kept in reserve for index lines on a full card (default 64 KiB). */
  indexReserveBytes?: number;
  /** Read size when hashing a file before removal (default 1 MiB). */
  hashChunkBytes?: number;
}

export interface EvidenceLoadReport {
  /** Indexed files on the card (not yet reclaimed). */
  files: number;
  awaitingOffload: number;
  /** Files on the card the index does not know: never deletable (see `adopt`). */
  unindexed: string[];
  /** Indexed files that are not on the card any more (journalled as a fault). */
  missing: string[];
  /** Torn tail cut from the index after a power cut. */
  tornBytes: number;
  /** Index lines that failed their MAC or schema: kept aside under `keptAs`, never trusted. */
  untrusted: { offset: number; reason: string; keptAs: string } | null;
}

export interface ReclaimReport {
  reclaimed: Array<{ path: string; bytes: number; sha256: string }>;
  freeBytes: number;
  /** False when even every receipted file would not free enough. */
  satisfied: boolean;
}

const hex64 = z.string().regex(/^[0-9a-f]{64}$/);
const wall = z.number().finite();
const recordSchema = z.discriminatedUnion('t', [
  z.object({
    t: z.literal('add'),
    path: z.string(),
    size: z.number().int().nonnegative(),
    sha256: hex64,
    kind: z.enum(EVIDENCE_KINDS as [string, ...string[]]),
    startWall: wall,
    endWall: wall,
    addedAt: wall,
  }),
  z.object({
    t: z.literal('receipt'),
    path: z.string(),
    size: z.number().int().nonnegative(),
    sha256: hex64,
    server: z.string().min(1),
    storedAt: wall,
    acceptedAt: wall,
  }),
  z.object({ t: z.literal('reclaimed'), path: z.string(), size: z.number().int().nonnegative(), sha256: hex64, at: wall }),
]);
type IndexRecord = z.infer<typeof recordSchema>;

const receiptSchema = z.object({
  path: z.string().min(1),
  size: z.number().int().nonnegative(),
  sha256: hex64,
  server: z.string().min(1),
  storedAt: wall,
});

interface Entry extends EvidenceFile {
  seq: number;
}

interface Loaded {
  live: Map<string, Entry>;
  /** Receipted entries by age (index order): the reclaim order. */
  reclaimable: Entry[];
  writer: AppendFile;
  lastMac: string;
  nextSeq: number;
}

export class EvidenceStore {
  private readonly codec: IndexLogCodec;
  private readonly reserveBytes: number;
  private readonly chunk: number;
  private state: Loaded | null = null;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: EvidenceStoreOptions) {
    if (!options?.volume || !options.card || !options.journal || !options.clock) {
      throw new EvidenceError('bad-input', 'volume, card, journal and clock are required');
    }
    this.codec = new IndexLogCodec(options.indexKey);
    this.reserveBytes = options.indexReserveBytes ?? 64 * 1024;
    this.chunk = options.hashChunkBytes ?? 1 << 20;
  }

  /** True while a card's index is loaded. */
  get loaded(): boolean {
    return this.state !== null;
  }

  /** Loads (or reloads) the index of the card now in the slot. Called by the card guard once the card is verified. */
  load(): Promise<EvidenceLoadReport> {
    return this.serial(() => this.loadNow());
  }

  /** Forgets the card (it was pulled). Safe to call at any time. */
  async unload(): Promise<void> {
    const s = this.state;
    this.state = null;
    await s?.writer.close().catch(() => undefined);
  }

  /** True when the card file at `path` may not be overwritten, truncated or renamed: the device's own files and indexed evidence. */
  isProtected(path: string): boolean {
    if (path.startsWith(CARD_RESERVED_PREFIX)) return true;
    return this.state === null || this.state.live.has(path);
  }

  /** Indexes a closed, durable file the recorder wrote; its size is checked on the card. Idempotent for the same hash. */
  add(file: NewEvidence): Promise<EvidenceFile> {
    return this.serial(async () => {
      const s = this.mutable();
      checkNew(file);
      const existing = s.live.get(file.path);
      if (existing) {
        if (existing.sha256 === file.sha256 && existing.size === file.size) return view(existing);
        throw new EvidenceError('already-indexed', `${file.path} is already indexed with another hash`);
      }
      const st = await this.options.card.stat(file.path);
      if (!st) throw new EvidenceError('file-mismatch', `${file.path} is not on the card`);
      if (st.size !== file.size) throw new EvidenceError('file-mismatch', `${file.path} holds ${st.size} bytes, ${file.size} declared`);
      return view(await this.indexAdd(s, file));
    });
  }

  /** Hashes a file already on the card and indexes it (crash leftovers, files the index does not know). */
  adopt(file: Omit<NewEvidence, 'sha256' | 'size'>): Promise<EvidenceFile> {
    return this.serial(async () => {
      const s = this.mutable();
      if (s.live.has(file.path)) throw new EvidenceError('already-indexed', `${file.path} is already indexed`);
      const st = await this.options.card.stat(file.path);
      if (!st) throw new EvidenceError('file-mismatch', `${file.path} is not on the card`);
      const full: NewEvidence = { ...file, size: st.size, sha256: await this.hashFile(file.path, st.size) };
      checkNew(full);
      return view(await this.indexAdd(s, full));
    });
  }

  /** Every indexed file still on the card, oldest first. */
  async files(): Promise<EvidenceFile[]> {
    return [...this.readable().live.values()].map(view);
  }

  /** Files awaiting offload (no receipt yet), oldest first. */
  async pending(): Promise<EvidenceFile[]> {
    return [...this.readable().live.values()].filter((e) => e.receipt === null).map(view);
  }

  /** Reads a byte range of an indexed file, for the offload. */
  async read(path: string, offset: number, length: number): Promise<Uint8Array> {
    const e = this.readable().live.get(path);
    if (!e) throw new EvidenceError('not-indexed', `${path} is not an indexed evidence file`);
    if (!Number.isSafeInteger(offset) || offset < 0 || offset > e.size || !Number.isSafeInteger(length) || length < 0) {
      throw new EvidenceError('bad-input', `bad range ${offset}+${length} for ${path} (${e.size} bytes)`);
    }
    return this.options.card.read(path, offset, Math.min(length, e.size - offset));
  }

  /**
   * Accepts a receipt the protocol layer has verified. Refused with `ReceiptMismatchError` unless
   * path, size and SHA-256 equal the index entry. Journalled ('offload-receipt') before it counts.
   */
  acceptReceipt(receipt: EvidenceReceipt): Promise<'accepted' | 'duplicate'> {
    return this.serial(async () => {
      const parsed = receiptSchema.safeParse(receipt);
      if (!parsed.success) throw new ReceiptMismatchError(String(receipt?.path), 'malformed receipt');
      const r = parsed.data;
      const s = this.mutable();
      const e = s.live.get(r.path);
      if (!e) throw new ReceiptMismatchError(r.path, 'no indexed evidence file at that path');
      if (e.sha256 !== r.sha256) throw new ReceiptMismatchError(r.path, `hash ${r.sha256} differs from the indexed ${e.sha256}`);
      if (e.size !== r.size) throw new ReceiptMismatchError(r.path, `size ${r.size} differs from the indexed ${e.size}`);
      if (e.receipt) return 'duplicate';
      const acceptedAt = this.options.clock.wallTime();
      await this.options.journal.append('offload-receipt', { path: r.path, sha256: r.sha256, bytes: r.size, server: r.server, storedAt: r.storedAt });
      await this.appendRecord(s, { t: 'receipt', ...r, acceptedAt });
      e.receipt = { ...r, acceptedAt };
      insertBySeq(s.reclaimable, e);
      return 'accepted';
    });
  }

  /**
   * Removes one evidence file. Refused with `DeletionRefusedError` unless a receipt for its exact
   * hash was accepted and the bytes on the card still hash to it. Journalled before removal.
   */
  remove(path: string): Promise<void> {
    return this.serial(async () => {
      const s = this.mutable();
      if (path.startsWith(CARD_RESERVED_PREFIX)) throw new DeletionRefusedError(path, "the device's own file, not evidence");
      const e = s.live.get(path);
      if (!e) throw new DeletionRefusedError(path, 'not in the evidence index, so no server receipt can exist for it');
      if (!e.receipt) throw new DeletionRefusedError(path, `no server receipt for sha256 ${e.sha256}`);
      await this.reclaimEntry(s, e);
    });
  }

  /** Frees space only when needed: removes receipted files, oldest first, until `minFreeBytes` are free. */
  reclaim(minFreeBytes: number): Promise<ReclaimReport> {
    return this.serial(async () => {
      if (!Number.isSafeInteger(minFreeBytes) || minFreeBytes < 0) throw new EvidenceError('bad-input', `minFreeBytes must be a non-negative integer`);
      const s = this.mutable();
      const reclaimed: ReclaimReport['reclaimed'] = [];
      let free = (await this.options.card.space()).freeBytes;
      while (free < minFreeBytes && s.reclaimable.length > 0) {
        const e = s.reclaimable[0];
        try {
          await this.reclaimEntry(s, e);
        } catch (err) {
          if (!(err instanceof DeletionRefusedError)) throw err;
          // Its bytes no longer match the receipt: it stays, and this reclaim moves on to the next file.
          s.reclaimable.shift();
          continue;
        }
        reclaimed.push({ path: e.path, bytes: e.size, sha256: e.sha256 });
        free = (await this.options.card.space()).freeBytes;
      }
      if (reclaimed.length > 0) await this.restoreReserve();
      free = (await this.options.card.space()).freeBytes;
      return { reclaimed, freeBytes: free, satisfied: free >= minFreeBytes };
    });
  }

  space(): Promise<SpaceInfo> {
    return this.options.card.space();
  }

  // ---- internals ----

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  private readable(): Loaded {
    if (!this.state) throw new EvidenceError('not-ready', 'no registered card is loaded');
    return this.state;
  }

  private mutable(): Loaded {
    const s = this.readable();
    const r = this.options.volume.readiness();
    if (r !== 'ready') throw new EvidenceError('not-ready', `card is ${r}`);
    return s;
  }

  private async loadNow(): Promise<EvidenceLoadReport> {
    await this.unload();
    const card = this.options.card;
    let bytes: Uint8Array = new Uint8Array(0);
    if (await card.stat(EVIDENCE_INDEX_PATH)) bytes = await card.read(EVIDENCE_INDEX_PATH);
    const parsed = this.codec.parse(bytes, (v) => recordSchema.parse(v));
    let untrusted: EvidenceLoadReport['untrusted'] = null;
    if (parsed.bad) {
      // Keep the whole file aside as found, and continue from the verified prefix only.
      const keptAs = `${CARD_RESERVED_PREFIX}evidence-index.untrusted-${this.options.clock.wallTime()}.log`;
      await card.writeAtomic(keptAs, bytes);
      await card.writeAtomic(EVIDENCE_INDEX_PATH, bytes.subarray(0, parsed.goodBytes));
      untrusted = { ...parsed.bad, keptAs };
      await this.options.journal.append('fault', {
        device: 'evidence index',
        state: 'raised',
        detail: `index line at byte ${parsed.bad.offset} untrusted (${parsed.bad.reason}); kept as ${keptAs}`,
      });
    } else if (parsed.tornBytes > 0) {
      await card.truncate(EVIDENCE_INDEX_PATH, parsed.goodBytes);
    }

    const live = new Map<string, Entry>();
    let seq = 0;
    for (const r of parsed.records) applyRecord(live, r, seq++);
    const reclaimable = [...live.values()].filter((e) => e.receipt !== null);

    const writer = await card.openAppend(EVIDENCE_INDEX_PATH);
    this.state = { live, reclaimable, writer, lastMac: parsed.lastMac, nextSeq: seq };

    const onCard = await card.list();
    const present = new Set(onCard.map((f) => f.path));
    const missing = [...live.keys()].filter((p) => !present.has(p));
    const unindexed = onCard.map((f) => f.path).filter((p) => !p.startsWith(CARD_RESERVED_PREFIX) && !live.has(p));
    if (missing.length > 0) {
      await this.options.journal.append('fault', {
        device: 'evidence store',
        state: 'raised',
        detail: `${missing.length} indexed evidence file(s) missing from the card: ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''}`,
      });
    }
    await this.restoreReserve();
    return {
      files: live.size,
      awaitingOffload: [...live.values()].filter((e) => e.receipt === null).length,
      unindexed,
      missing,
      tornBytes: parsed.tornBytes,
      untrusted,
    };
  }

  private async indexAdd(s: Loaded, file: NewEvidence): Promise<Entry> {
    const addedAt = this.options.clock.wallTime();
    const record: IndexRecord = { t: 'add', ...file, addedAt };
    await this.appendRecord(s, record);
    const e: Entry = { ...file, addedAt, receipt: null, seq: s.nextSeq++ };
    s.live.set(file.path, e);
    return e;
  }

  private async reclaimEntry(s: Loaded, e: Entry): Promise<void> {
    const card = this.options.card;
    const st = await card.stat(e.path);
    if (st) {
      if (st.size !== e.size) throw new DeletionRefusedError(e.path, `holds ${st.size} bytes, the receipt is for ${e.size}`);
      const actual = await this.hashFile(e.path, st.size);
      if (actual !== e.receipt!.sha256) {
        // Evidence changed on the card after it was indexed: a fault to report, and a file to keep.
        await this.options.journal.append('fault', { device: 'evidence store', state: 'raised', detail: `${e.path} no longer matches its receipted hash; kept` });
        throw new DeletionRefusedError(e.path, `bytes on the card hash to ${actual}, the receipt is for ${e.receipt!.sha256}`);
      }
      await this.options.journal.append('storage-reclaimed', { path: e.path, sha256: e.sha256, bytes: e.size });
      await card.remove(e.path);
    } else {
      // Gone already: a power cut after the removal (journalled then) or someone else (a fault).
      await this.options.journal.append('fault', { device: 'evidence store', state: 'raised', detail: `receipted file ${e.path} was already gone before its reclaim` });
    }
    await this.appendRecord(s, { t: 'reclaimed', path: e.path, size: e.size, sha256: e.sha256, at: this.options.clock.wallTime() });
    s.live.delete(e.path);
    const i = s.reclaimable.indexOf(e);
    if (i >= 0) s.reclaimable.splice(i, 1);
  }

  private async appendRecord(s: Loaded, record: IndexRecord): Promise<void> {
    const { line, mac } = this.codec.encode(record, s.lastMac);
    try {
      await s.writer.append(line);
    } catch (err) {
      if (!(err instanceof StorageFullError)) throw err;
      // The card is full: give up the reserve so the index (and so any reclaim) can go on.
      const reserve = await this.options.card.stat(INDEX_RESERVE_PATH);
      if (!reserve || reserve.size === 0) throw err;
      await this.options.card.truncate(INDEX_RESERVE_PATH, 0);
      await s.writer.append(line);
    }
    await s.writer.sync();
    s.lastMac = mac;
  }

  /** Best effort: (re)creates the reserve file when there is room. */
  private async restoreReserve(): Promise<void> {
    const card = this.options.card;
    try {
      const st = await card.stat(INDEX_RESERVE_PATH);
      if (st && st.size >= this.reserveBytes) return;
      if ((await card.space()).freeBytes < this.reserveBytes * 2) return;
      await card.writeAtomic(INDEX_RESERVE_PATH, new Uint8Array(this.reserveBytes));
    } catch {
      // A missing reserve only matters on a full card, where the append retry reports it.
    }
  }

  private async hashFile(path: string, size: number): Promise<string> {
    const h = createHash('sha256');
    for (let off = 0; off < size; off += this.chunk) h.update(await this.options.card.read(path, off, Math.min(this.chunk, size - off)));
    return h.digest('hex');
  }
}

function applyRecord(live: Map<string, Entry>, r: IndexRecord, seq: number): void {
  switch (r.t) {
    case 'add':
      live.set(r.path, { path: r.path, size: r.size, sha256: r.sha256, kind: r.kind as EvidenceFile['kind'], startWall: r.startWall, endWall: r.endWall, addedAt: r.addedAt, receipt: null, seq });
      break;
    case 'receipt': {
      const e = live.get(r.path);
      // Lines are authenticated, so a mismatch cannot come from outside; ignore rather than trust it.
      if (e && e.sha256 === r.sha256 && e.size === r.size) {
        e.receipt = { path: r.path, size: r.size, sha256: r.sha256, server: r.server, storedAt: r.storedAt, acceptedAt: r.acceptedAt };
      }
      break;
    }
    case 'reclaimed': {
      const e = live.get(r.path);
      if (e && e.sha256 === r.sha256) live.delete(r.path);
      break;
    }
  }
}

function insertBySeq(list: Entry[], e: Entry): void {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid].seq < e.seq) lo = mid + 1;
    else hi = mid;
  }
  list.splice(lo, 0, e);
}

function view(e: Entry): EvidenceFile {
  return { path: e.path, size: e.size, sha256: e.sha256, kind: e.kind, startWall: e.startWall, endWall: e.endWall, addedAt: e.addedAt, receipt: e.receipt ? { ...e.receipt } : null };
}

function checkNew(f: NewEvidence): void {
  if (!f || typeof f.path !== 'string' || !isValidStoragePath(f.path)) throw new EvidenceError('bad-input', `invalid path ${JSON.stringify(f?.path)}`);
  if (f.path.startsWith(CARD_RESERVED_PREFIX)) throw new EvidenceError('reserved-path', `${f.path} is reserved for the device's own files`);
  if (!Number.isSafeInteger(f.size) || f.size < 0) throw new EvidenceError('bad-input', `size must be a non-negative integer`);
  if (typeof f.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(f.sha256)) throw new EvidenceError('bad-input', 'sha256 must be 64 lower-case hex digits');
  if (!EVIDENCE_KINDS.includes(f.kind)) throw new EvidenceError('bad-input', `kind must be one of ${EVIDENCE_KINDS.join(', ')}`);
  if (!Number.isFinite(f.startWall) || !Number.isFinite(f.endWall) || f.endWall < f.startWall) {
    throw new EvidenceError('bad-input', 'startWall/endWall must be finite with startWall ≤ endWall');
  }
}
