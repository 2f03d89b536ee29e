/**
 * The dock's evidence store: content-addressed files (`objects/ab/abcdef…`, named by SHA-256)
 * and an SQLite index (better-sqlite3, WAL, synchronous FULL) of what each copy is — which
 * device, inventory numbers, original path, recorded start/end, kind, when it was received and
 * the signed receipt the device got for it. Partial transfers live in `partial/DEVICE/SHA.part`
 * until verified, so an interrupted offload resumes where it stopped.
 *
 * A copy is durable before its receipt is signed (R-OFF-2): the file is fsynced, renamed into
 * place, its directory fsynced, and the index row committed.
 *
 * Schema version 1 (`meta.schema_version`); the evidence-store issue (#10) builds retention and
 * access control on these tables.
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream, promises as fsp } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { DozorError, InvalidOptionsError } from '../../hal/errors.ts';
import { toHex } from '../../protocol/crypto.ts';
import type { TransferSink } from '../../protocol/offload.ts';

export const SCHEMA_VERSION = 1;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
-- One row per distinct content (a file in objects/).
CREATE TABLE IF NOT EXISTS objects (
  sha256    TEXT PRIMARY KEY CHECK (length(sha256) = 64),
  size      INTEGER NOT NULL CHECK (size >= 0),
  stored_at INTEGER NOT NULL
);
-- Devices seen by this dock.
CREATE TABLE IF NOT EXISTS devices (
  serial            TEXT PRIMARY KEY,
  kind              TEXT NOT NULL,
  model             TEXT,
  firmware          TEXT,
  inventory_number  TEXT,
  first_seen        INTEGER NOT NULL,
  last_seen         INTEGER NOT NULL,
  last_status       TEXT,
  last_offload_complete INTEGER
);
-- One row per evidence file received from a device (R-CARD-1: inventory numbers travel with it).
CREATE TABLE IF NOT EXISTS items (
  id               INTEGER PRIMARY KEY AUTOINCREMENT,
  sha256           TEXT NOT NULL REFERENCES objects(sha256),
  size             INTEGER NOT NULL,
  device           TEXT NOT NULL REFERENCES devices(serial),
  device_inventory TEXT,
  card_inventory   TEXT,
  card_cid         TEXT,
  original_path    TEXT NOT NULL,
  kind             TEXT NOT NULL,
  recorded_start   INTEGER,
  recorded_end     INTEGER,
  received_at      INTEGER NOT NULL,
  receipt_body     BLOB,
  receipt_sig      BLOB,
  receipt_acked_at INTEGER,
  UNIQUE (device, original_path, sha256)
);
CREATE INDEX IF NOT EXISTS items_by_device ON items (device, received_at);
-- The issue/return journal (R-LOG-2, MVD App. 2): No, inventory number, holder, issue and
-- return with the signed authorisations, offload time, note.
CREATE TABLE IF NOT EXISTS issue_journal (
  no               INTEGER PRIMARY KEY AUTOINCREMENT,
  device           TEXT NOT NULL,
  inventory_number TEXT NOT NULL,
  holder           TEXT,
  planned_hours    REAL,
  battery_hours    REAL,
  issued_at        INTEGER NOT NULL,
  issued_by        TEXT NOT NULL,
  issue_key        TEXT NOT NULL,
  issue_auth       BLOB NOT NULL,
  issue_sig        BLOB NOT NULL,
  returned_at      INTEGER,
  returned_by      TEXT,
  return_key       TEXT,
  return_auth      BLOB,
  return_sig       BLOB,
  offloaded_at     INTEGER,
  note             TEXT
);
-- Everything else the dock did or refused (time syncs, refusals, alerts, forwarded commands).
CREATE TABLE IF NOT EXISTS dock_events (
  id     INTEGER PRIMARY KEY AUTOINCREMENT,
  at     INTEGER NOT NULL,
  device TEXT,
  kind   TEXT NOT NULL,
  detail TEXT NOT NULL
);
`;

export class EvidenceStoreError extends DozorError {}

export interface DeviceRecord {
  serial: string;
  kind: string;
  model?: string;
  firmware?: string;
  inventoryNumber?: string;
}

export interface ItemRecord {
  sha256: string;
  size: number;
  device: string;
  deviceInventory?: string;
  cardInventory?: string;
  cardCid?: string;
  originalPath: string;
  kind: string;
  recordedStart?: number;
  recordedEnd?: number;
  receivedAt: number;
}

export interface StoredItem extends ItemRecord {
  id: number;
  receiptBody: Uint8Array | null;
  receiptSig: Uint8Array | null;
  receiptAckedAt: number | null;
}

export interface IssueRow {
  no: number;
  device: string;
  inventoryNumber: string;
  holder: string | null;
  plannedHours: number | null;
  batteryHours: number | null;
  issuedAt: number;
  issuedBy: string;
  returnedAt: number | null;
  returnedBy: string | null;
  offloadedAt: number | null;
  note: string | null;
}

export class EvidenceStore {
  readonly dir: string;
  readonly db: Database.Database;
  private readonly objectsDir: string;
  private readonly partialDir: string;
  private closed = false;

  private constructor(dir: string, db: Database.Database) {
    this.dir = dir;
    this.db = db;
    this.objectsDir = path.join(dir, 'objects');
    this.partialDir = path.join(dir, 'partial');
  }

  /** Opens (creating if needed) the store in `dir`. */
  static async open(dir: string): Promise<EvidenceStore> {
    if (typeof dir !== 'string' || dir.length === 0) throw new InvalidOptionsError('evidence store: folder required');
    const root = path.resolve(dir);
    await fsp.mkdir(path.join(root, 'objects'), { recursive: true });
    await fsp.mkdir(path.join(root, 'partial'), { recursive: true });
    const db = new Database(path.join(root, 'index.sqlite'));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    db.exec(SCHEMA);
    const v = db.prepare('SELECT value FROM meta WHERE key = ?').get('schema_version') as { value: string } | undefined;
    if (!v) db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)').run('schema_version', String(SCHEMA_VERSION));
    else if (Number(v.value) !== SCHEMA_VERSION) {
      db.close();
      throw new EvidenceStoreError('ESCHEMA', `${root}: index schema ${v.value}, this dock knows ${SCHEMA_VERSION}`);
    }
    return new EvidenceStore(root, db);
  }

  objectPath(sha256: string): string {
    return path.join(this.objectsDir, sha256.slice(0, 2), sha256);
  }

  hasObject(sha256: string): boolean {
    return this.db.prepare('SELECT 1 FROM objects WHERE sha256 = ?').get(sha256) !== undefined;
  }

  private partialPath(device: string, sha256: string): string {
    return path.join(this.partialDir, safeName(device), `${sha256}.part`);
  }

  /** Removes a leftover partial copy of content the store already holds. */
  async dropPartial(device: string, sha256: string): Promise<void> {
    await fsp.rm(this.partialPath(device, sha256), { force: true });
  }

  /** A sink for one file's bytes; resumes from a verified partial copy of an earlier session. */
  async openPartial(device: string, sha256: string): Promise<DiskSink> {
    const dir = path.join(this.partialDir, safeName(device));
    await fsp.mkdir(dir, { recursive: true });
    const sink = new DiskSink(this.partialPath(device, sha256));
    await sink.open();
    return sink;
  }

  /**
   * Moves a verified partial copy into the content-addressed store and indexes the item, all
   * durably. Returns the item id. Safe to call when the object already exists (dedupe).
   */
  async commit(item: ItemRecord, sink?: DiskSink, receipt?: { body: Uint8Array; signature: Uint8Array }): Promise<number> {
    const target = this.objectPath(item.sha256);
    if (sink) {
      await sink.sync();
      await sink.close();
      await fsp.mkdir(path.dirname(target), { recursive: true });
      if (this.hasObject(item.sha256)) await fsp.rm(sink.file, { force: true });
      else {
        await fsp.rename(sink.file, target);
        // Only the new name must survive a power cut; a partial that reappears is found as a
        // duplicate on the next docking and removed then.
        await fsyncDir(path.dirname(target));
      }
    } else if (!this.hasObject(item.sha256)) {
      throw new EvidenceStoreError('ENOOBJECT', `no object ${item.sha256} to index`);
    }
    const tx = this.db.transaction((): number => {
      this.db.prepare('INSERT OR IGNORE INTO objects (sha256, size, stored_at) VALUES (?, ?, ?)').run(item.sha256, item.size, item.receivedAt);
      this.db
        .prepare('INSERT OR IGNORE INTO devices (serial, kind, first_seen, last_seen) VALUES (?, ?, ?, ?)')
        .run(item.device, 'unknown', item.receivedAt, item.receivedAt);
      this.db
        .prepare(
          `INSERT OR IGNORE INTO items (sha256, size, device, device_inventory, card_inventory, card_cid, original_path, kind, recorded_start, recorded_end, received_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          item.sha256,
          item.size,
          item.device,
          item.deviceInventory ?? null,
          item.cardInventory ?? null,
          item.cardCid ?? null,
          item.originalPath,
          item.kind,
          item.recordedStart ?? null,
          item.recordedEnd ?? null,
          item.receivedAt,
        );
      const row = this.db.prepare('SELECT id FROM items WHERE device = ? AND original_path = ? AND sha256 = ?').get(item.device, item.originalPath, item.sha256) as { id: number };
      if (receipt) this.db.prepare('UPDATE items SET receipt_body = ?, receipt_sig = ? WHERE id = ?').run(Buffer.from(receipt.body), Buffer.from(receipt.signature), row.id);
      return row.id;
    });
    return tx();
  }

  /** Keeps the signed receipt with its item. */
  recordReceipt(itemId: number, body: Uint8Array, signature: Uint8Array): void {
    this.db.prepare('UPDATE items SET receipt_body = ?, receipt_sig = ? WHERE id = ?').run(Buffer.from(body), Buffer.from(signature), itemId);
  }

  /** The device confirmed it holds these items' receipts. */
  receiptsAcked(itemIds: readonly number[], at: number): void {
    if (itemIds.length === 0) return;
    const stmt = this.db.prepare('UPDATE items SET receipt_acked_at = ? WHERE id = ?');
    this.db.transaction(() => {
      for (const id of itemIds) stmt.run(at, id);
    })();
  }

  items(device?: string): StoredItem[] {
    const rows = (
      device
        ? this.db.prepare('SELECT * FROM items WHERE device = ? ORDER BY id').all(device)
        : this.db.prepare('SELECT * FROM items ORDER BY id').all()
    ) as Array<Record<string, unknown>>;
    return rows.map((r) => ({
      id: r.id as number,
      sha256: r.sha256 as string,
      size: r.size as number,
      device: r.device as string,
      deviceInventory: (r.device_inventory as string | null) ?? undefined,
      cardInventory: (r.card_inventory as string | null) ?? undefined,
      cardCid: (r.card_cid as string | null) ?? undefined,
      originalPath: r.original_path as string,
      kind: r.kind as string,
      recordedStart: (r.recorded_start as number | null) ?? undefined,
      recordedEnd: (r.recorded_end as number | null) ?? undefined,
      receivedAt: r.received_at as number,
      receiptBody: r.receipt_body ? new Uint8Array(r.receipt_body as Buffer) : null,
      receiptSig: r.receipt_sig ? new Uint8Array(r.receipt_sig as Buffer) : null,
      receiptAckedAt: (r.receipt_acked_at as number | null) ?? null,
    }));
  }

  // ---- devices ----

  upsertDevice(d: DeviceRecord, at: number, status?: unknown): void {
    this.db
      .prepare(
        `INSERT INTO devices (serial, kind, model, firmware, inventory_number, first_seen, last_seen, last_status)
         VALUES (@serial, @kind, @model, @firmware, @inv, @at, @at, @status)
         ON CONFLICT(serial) DO UPDATE SET kind = @kind, model = @model, firmware = @firmware, inventory_number = @inv, last_seen = @at,
           last_status = COALESCE(@status, last_status)`,
      )
      .run({ serial: d.serial, kind: d.kind, model: d.model ?? null, firmware: d.firmware ?? null, inv: d.inventoryNumber ?? null, at, status: status === undefined ? null : JSON.stringify(status) });
  }

  deviceStatus(serial: string, status: unknown, at: number): void {
    this.db.prepare('UPDATE devices SET last_status = ?, last_seen = ? WHERE serial = ?').run(JSON.stringify(status), at, serial);
  }

  // ---- issue / return journal (R-LOG-2) ----

  recordIssue(r: {
    device: string;
    inventoryNumber: string;
    holder?: string;
    plannedHours: number;
    batteryHours: number;
    at: number;
    by: string;
    keyId: string;
    auth: Uint8Array;
    sig: Uint8Array;
    note?: string;
  }): number {
    const info = this.db
      .prepare(
        `INSERT INTO issue_journal (device, inventory_number, holder, planned_hours, battery_hours, issued_at, issued_by, issue_key, issue_auth, issue_sig, note)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(r.device, r.inventoryNumber, r.holder ?? null, r.plannedHours, r.batteryHours, r.at, r.by, r.keyId, Buffer.from(r.auth), Buffer.from(r.sig), r.note ?? null);
    return Number(info.lastInsertRowid);
  }

  /** Records the return on the device's open issue row; returns its number, or null if none is open. */
  recordReturn(r: { device: string; at: number; by: string; keyId: string; auth: Uint8Array; sig: Uint8Array; note?: string }): number | null {
    const open = this.db.prepare('SELECT no FROM issue_journal WHERE device = ? AND returned_at IS NULL ORDER BY no DESC LIMIT 1').get(r.device) as { no: number } | undefined;
    if (!open) return null;
    this.db
      .prepare('UPDATE issue_journal SET returned_at = ?, returned_by = ?, return_key = ?, return_auth = ?, return_sig = ?, note = COALESCE(?, note) WHERE no = ?')
      .run(r.at, r.by, r.keyId, Buffer.from(r.auth), Buffer.from(r.sig), r.note ?? null, open.no);
    return open.no;
  }

  /**
   * The device has nothing left to offload (as of `at`): fill the offload time of its returned
   * rows that lack one, and remember it for a return recorded later.
   */
  offloadComplete(device: string, at: number): void {
    this.db.prepare('UPDATE devices SET last_offload_complete = ? WHERE serial = ?').run(at, device);
    this.db.prepare('UPDATE issue_journal SET offloaded_at = ? WHERE device = ? AND returned_at IS NOT NULL AND offloaded_at IS NULL').run(at, device);
  }

  /** After a return: if the device was already fully offloaded since its issue, that is the offload time. */
  fillOffloadFromLast(device: string): void {
    const d = this.db.prepare('SELECT last_offload_complete AS t FROM devices WHERE serial = ?').get(device) as { t: number | null } | undefined;
    if (!d?.t) return;
    this.db
      .prepare('UPDATE issue_journal SET offloaded_at = ? WHERE device = ? AND returned_at IS NOT NULL AND offloaded_at IS NULL AND issued_at <= ?')
      .run(d.t, device, d.t);
  }

  issueJournal(device?: string): IssueRow[] {
    const rows = (
      device
        ? this.db.prepare('SELECT * FROM issue_journal WHERE device = ? ORDER BY no').all(device)
        : this.db.prepare('SELECT * FROM issue_journal ORDER BY no').all()
    ) as Array<Record<string, unknown>>;
    return rows.map((r) => ({
      no: r.no as number,
      device: r.device as string,
      inventoryNumber: r.inventory_number as string,
      holder: r.holder as string | null,
      plannedHours: r.planned_hours as number | null,
      batteryHours: r.battery_hours as number | null,
      issuedAt: r.issued_at as number,
      issuedBy: r.issued_by as string,
      returnedAt: r.returned_at as number | null,
      returnedBy: r.returned_by as string | null,
      offloadedAt: r.offloaded_at as number | null,
      note: r.note as string | null,
    }));
  }

  // ---- events ----

  event(at: number, device: string | null, kind: string, detail: Record<string, unknown>): void {
    this.db.prepare('INSERT INTO dock_events (at, device, kind, detail) VALUES (?, ?, ?, ?)').run(at, device, kind, JSON.stringify(detail, (_k, v) => (v instanceof Uint8Array ? toHex(v) : v)));
  }

  events(device?: string): Array<{ at: number; device: string | null; kind: string; detail: Record<string, unknown> }> {
    const rows = (
      device ? this.db.prepare('SELECT * FROM dock_events WHERE device = ? ORDER BY id').all(device) : this.db.prepare('SELECT * FROM dock_events ORDER BY id').all()
    ) as Array<{ at: number; device: string | null; kind: string; detail: string }>;
    return rows.map((r) => ({ ...r, detail: JSON.parse(r.detail) as Record<string, unknown> }));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }
}

/**
 * A partial copy on disk: bytes are appended and hashed as they arrive; reopening re-hashes the
 * bytes already there so the final SHA-256 covers the whole file.
 */
export class DiskSink implements TransferSink {
  private handle: fsp.FileHandle | null = null;
  private hash: Hash = createHash('sha256');
  private held = 0;
  /** Verified chunks not written yet: flushed as one writev per MiB (fewer syscalls). */
  private queued: Uint8Array[] = [];
  private queuedBytes = 0;

  constructor(readonly file: string) {}

  get length(): number {
    return this.held;
  }

  /** @internal opens the file and re-hashes what an earlier session left. */
  async open(): Promise<void> {
    this.handle = await fsp.open(this.file, 'a');
    const size = (await this.handle.stat()).size;
    if (size > 0) {
      await new Promise<void>((resolve, reject) => {
        createReadStream(this.file, { start: 0, end: size - 1, highWaterMark: 1 << 20 })
          .on('data', (c) => this.hash.update(c as Buffer))
          .on('end', () => resolve())
          .on('error', reject);
      });
    }
    this.held = size;
  }

  async append(data: Uint8Array): Promise<void> {
    if (!this.handle) throw new EvidenceStoreError('ECLOSED', `${this.file} is closed`);
    this.hash.update(data);
    this.held += data.length;
    this.queued.push(data);
    this.queuedBytes += data.length;
    if (this.queuedBytes >= 1 << 20) await this.flush();
  }

  private async flush(): Promise<void> {
    if (!this.handle || this.queued.length === 0) return;
    let parts = this.queued;
    this.queued = [];
    this.queuedBytes = 0;
    while (parts.length > 0) {
      const { bytesWritten } = await this.handle.writev(parts);
      let left = bytesWritten;
      while (parts.length > 0 && left >= parts[0].length) left -= parts.shift()!.length;
      if (left > 0) parts[0] = parts[0].subarray(left);
      parts = parts.slice();
    }
  }

  /** SHA-256 and length of everything held (durability comes with `sync`, at commit). */
  async finish(): Promise<{ sha256: Uint8Array; size: number }> {
    return { sha256: new Uint8Array(this.hash.copy().digest()), size: this.held };
  }

  /** Writes what is queued and makes the held bytes durable. */
  async sync(): Promise<void> {
    await this.flush();
    if (this.handle) await this.handle.datasync();
  }

  async discard(): Promise<void> {
    this.queued = [];
    this.queuedBytes = 0;
    await this.close();
    await fsp.rm(this.file, { force: true });
    this.hash = createHash('sha256');
    this.held = 0;
    this.handle = await fsp.open(this.file, 'a');
  }

  /** Writes what is queued and closes the file (kept: a later session resumes from it). */
  async close(): Promise<void> {
    await this.flush();
    const h = this.handle;
    this.handle = null;
    await h?.close();
  }
}

async function fsyncDir(dir: string): Promise<void> {
  const h = await fsp.open(dir, 'r');
  try {
    await h.sync();
  } finally {
    await h.close();
  }
}

function safeName(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]/g, '_');
}
