/**
 * The processing centre's records (a small receiver for tests and demos): SQLite via
 * better-sqlite3. Every submitted item is stored once under its id; a repeated id (a resend after
 * a lost acknowledgement) is acknowledged again but never stored twice. A violation whose image
 * does not match its own SHA-256 is refused (not acknowledged), so the device keeps it.
 */
import Database from 'better-sqlite3';
import { sha256Hex } from '../../protocol/crypto.ts';
import type { WireItem } from '../../firmware/radar/uplink-interim.ts';

export interface StoredViolation {
  id: string;
  device: string;
  eventAt: number;
  receivedAt: number;
  lane: number;
  direction: string;
  measuredKmh: number;
  limitKmh: number;
  metadata: Record<string, unknown>;
  image: Uint8Array;
}

export interface SubmitResult {
  /** Ids the device may forget: stored now or before. */
  acked: string[];
  stored: number;
  duplicates: number;
  refused: Array<{ id: string; reason: string }>;
}

export class CentreStore {
  private readonly db: Database.Database;

  constructor(path = ':memory:', private readonly now: () => number = () => Date.now()) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS items (
        id TEXT PRIMARY KEY, device TEXT NOT NULL, kind TEXT NOT NULL,
        event_at INTEGER NOT NULL, received_at INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS violations (
        id TEXT PRIMARY KEY REFERENCES items(id), device TEXT NOT NULL, event_at INTEGER NOT NULL,
        received_at INTEGER NOT NULL, lane INTEGER, direction TEXT, measured_kmh REAL, limit_kmh REAL,
        metadata TEXT NOT NULL, image BLOB NOT NULL, image_sha256 TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS vehicles (
        device TEXT NOT NULL, shift_id TEXT NOT NULL, seq INTEGER NOT NULL, wall INTEGER NOT NULL,
        lane INTEGER, direction TEXT, speed_kmh REAL, quality INTEGER, item_id TEXT NOT NULL,
        PRIMARY KEY (device, shift_id, seq));
    `);
  }

  submit(device: string, items: readonly WireItem[]): SubmitResult {
    const res: SubmitResult = { acked: [], stored: 0, duplicates: 0, refused: [] };
    const insertItem = this.db.prepare('INSERT OR IGNORE INTO items (id, device, kind, event_at, received_at) VALUES (?, ?, ?, ?, ?)');
    const insertViolation = this.db.prepare(
      'INSERT INTO violations (id, device, event_at, received_at, lane, direction, measured_kmh, limit_kmh, metadata, image, image_sha256) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    const insertVehicle = this.db.prepare('INSERT OR IGNORE INTO vehicles (device, shift_id, seq, wall, lane, direction, speed_kmh, quality, item_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
    const tx = this.db.transaction(() => {
      const receivedAt = this.now();
      for (const item of items) {
        const problem = checkItem(item);
        if (problem) {
          res.refused.push({ id: String(item?.id), reason: problem });
          continue;
        }
        const inserted = insertItem.run(item.id, device, item.kind, item.at, receivedAt).changes === 1;
        res.acked.push(item.id);
        if (!inserted) {
          res.duplicates += 1;
          continue;
        }
        res.stored += 1;
        if (item.kind === 'violation') {
          const { violation: m, image } = item.body as { violation: Record<string, unknown>; image: Uint8Array };
          insertViolation.run(item.id, device, item.at, receivedAt, m.lane, m.direction, m.measuredKmh, m.limitKmh, JSON.stringify(m), Buffer.from(image), sha256Hex(image));
        } else if (item.kind === 'vehicles') {
          const body = item.body as { shiftId: string; records: number[][] };
          for (const [seq, wall, lane, dir, speed10, , , quality] of body.records) {
            insertVehicle.run(device, body.shiftId, seq, wall, lane, dir === 0 ? 'inbound' : 'outbound', speed10 / 10, quality, item.id);
          }
        }
      }
    });
    tx();
    return res;
  }

  violations(): StoredViolation[] {
    const rows = this.db.prepare('SELECT * FROM violations ORDER BY event_at, id').all() as Array<Record<string, unknown>>;
    return rows.map((r) => ({
      id: r.id as string,
      device: r.device as string,
      eventAt: r.event_at as number,
      receivedAt: r.received_at as number,
      lane: r.lane as number,
      direction: r.direction as string,
      measuredKmh: r.measured_kmh as number,
      limitKmh: r.limit_kmh as number,
      metadata: JSON.parse(r.metadata as string) as Record<string, unknown>,
      image: new Uint8Array(r.image as Buffer),
    }));
  }

  counts(): { items: number; violations: number; vehicles: number } {
    const one = (sql: string) => (this.db.prepare(sql).get() as { n: number }).n;
    return { items: one('SELECT COUNT(*) AS n FROM items'), violations: one('SELECT COUNT(*) AS n FROM violations'), vehicles: one('SELECT COUNT(*) AS n FROM vehicles') };
  }

  vehicleSeqs(device: string, shiftId: string): number[] {
    return (this.db.prepare('SELECT seq FROM vehicles WHERE device = ? AND shift_id = ? ORDER BY seq').all(device, shiftId) as Array<{ seq: number }>).map((r) => r.seq);
  }

  close(): void {
    this.db.close();
  }
}

function checkItem(item: WireItem): string | null {
  if (!item || typeof item.id !== 'string' || item.id.length === 0 || item.id.length > 200) return 'bad id';
  if (typeof item.at !== 'number' || !Number.isFinite(item.at)) return 'bad event time';
  if (item.kind === 'violation') {
    const b = item.body as { violation?: { image?: { sha256?: unknown } }; image?: unknown };
    if (!b || !(b.image instanceof Uint8Array) || !b.violation) return 'violation without image or metadata';
    if (b.violation.image?.sha256 !== sha256Hex(b.image)) return 'image does not match its SHA-256';
    return null;
  }
  if (item.kind === 'vehicles') {
    const b = item.body as { shiftId?: unknown; records?: unknown };
    if (typeof b?.shiftId !== 'string' || !Array.isArray(b.records)) return 'vehicle batch without shift or records';
    return null;
  }
  if (item.kind === 'alert') return null;
  return `unknown kind ${String(item.kind)}`;
}
