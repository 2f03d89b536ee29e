/**
 * The shift journal's writer (R-LOG-1, R-LOG-5): append-only, hash-chained, signed, power-loss
 * safe. Open it with `openJournal({ storage, clock, deviceKey, device })`.
 *
 * Durability: security-relevant entries (SECURITY_RELEVANT) are synced before `append`
 * resolves; routine entries resolve once queued and are written and synced by a group commit
 * at most `groupCommitMs` (≤ 250 ms, on the injected clock) later, or earlier with the next
 * security-relevant entry. Concurrent commits share one sync.
 *
 * Files: each open starts a new file `<dir>/NNNNNNNN.djl` whose header record continues the
 * chain of the previous file; a file ends with a closing checkpoint (`close()`, or rotation at
 * `maxFileBytes`). Recovery on open (docs/journal-format.md §6) writes its recovery entry
 * first, syncs it, and only then cuts torn bytes, so a second power cut during recovery can
 * neither lose the account of a cut nor leave a cut undone.
 */
import { check } from '../../hal/device.ts';
import { DeviceClosedError, InvalidOptionsError } from '../../hal/errors.ts';
import { isValidStoragePath, type AppendFile, type Storage } from '../../hal/storage.ts';
import type { Clock, TimerHandle } from '../../hal/clock.ts';
import { decodeAuthorizationBody, type SignedAuthorization } from '../../protocol/authorization.ts';
import type { AuthorizationGate } from '../auth/authorization-gate.ts';
import { toHex, type Ed25519PrivateKey } from '../../protocol/crypto.ts';
import { SECURITY_RELEVANT, type EntryData, type EntryType, type JournalWriter } from './entries.ts';
import { JournalCorrectionError, JournalEntryError, JournalStorageError } from './errors.ts';
import {
  CHECKPOINT,
  CLOSING_REASONS,
  DEVICE_ID_RE,
  FILE_HEADER,
  FILE_NAME_RE,
  FORMAT_NAME,
  FORMAT_VERSION,
  GENESIS_HASH,
  MAX_ENTRY_PAYLOAD_BYTES,
  checkpointMessage,
  decodePayload,
  encodeFrame,
  encodePayload,
  journalFileName,
  recordHash,
  type CheckpointReason,
  type RecordPayload,
  type SignedCheckpoint,
} from './format.ts';
import { scanFrames, type ScanResult } from './scan.ts';
import { checkEntry, checkServiceAppend } from './validate.ts';

export const DEFAULT_GROUP_COMMIT_MS = 250;
export const DEFAULT_CHECKPOINT_EVERY_RECORDS = 256;
export const DEFAULT_CHECKPOINT_INTERVAL_MS = 5 * 60_000;
export const DEFAULT_MAX_FILE_BYTES = 8 * 1024 * 1024;

/** Who may authorise corrections on this device (R-LOG-5): provisioned keys and the persisted replay guard. */
/** Who may correct the journal: the device's authorisation gate (one replay-counter store per device). */
export interface CorrectionAuthority {
  gate: AuthorizationGate;
}

export interface OpenJournalOptions {
  /** Where the journal lives (the device's internal storage, not the removable evidence card). */
  storage: Storage;
  clock: Clock;
  /** The device's Ed25519 key: signs checkpoints; its public key is written into every file header. */
  deviceKey: Ed25519PrivateKey;
  /** Device serial number (printable ASCII, no spaces): named in headers and signed checkpoints. */
  device: string;
  /** Folder inside the storage (default "journal"). */
  dir?: string;
  /** Longest time a routine entry stays unsynced (default and maximum 250 ms). */
  groupCommitMs?: number;
  /** A checkpoint after this many records (default 256)… */
  checkpointEveryRecords?: number;
  /** …or this long after the first record it does not yet cover (default 5 min), whichever comes first. */
  checkpointIntervalMs?: number;
  /** A file is closed and a new one started once it grows past this (default 8 MiB). */
  maxFileBytes?: number;
  /** Needed for `correct()`. */
  corrections?: CorrectionAuthority;
  /** Called once if storage fails under the journal (after which appends are refused). */
  onError?: (error: JournalStorageError) => void;
}

export interface RecoveryCut {
  file: string;
  offset: number;
  bytes: number;
}

/** What recovery found and did on open (also written as the `recovery` entry, seq `seq`). */
export interface RecoveryReport {
  seq: number;
  cause: 'torn-tail' | 'unclean-shutdown' | 'corruption';
  /** The file the previous session ended in. */
  file: string | null;
  atOffset: number;
  droppedBytes: number;
  lastSeq: number;
  cuts: RecoveryCut[];
  corruptBytes: number;
}

interface Segment {
  path: string;
  chunks: Uint8Array[];
  bytes: number;
  lastSeq: number;
}

interface Waiter {
  seq: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

interface LastRecord {
  payload: RecordPayload;
  hash: Uint8Array;
  isLastFrame: boolean;
}

/** Opens (and recovers) the journal in `options.storage`; resolves once the new file's header is durable. */
export async function openJournal(options: OpenJournalOptions): Promise<Journal> {
  const journal = new Journal(options);
  await journal.start();
  return journal;
}

export class Journal implements JournalWriter {
  readonly device: string;
  readonly dir: string;
  readonly publicKey: Uint8Array;
  readonly keyId: string;
  private readonly storage: Storage;
  private readonly clock: Clock;
  private readonly key: Ed25519PrivateKey;
  private readonly groupCommitMs: number;
  private readonly checkpointEvery: number;
  private readonly checkpointIntervalMs: number;
  private readonly maxFileBytes: number;
  private readonly authority: CorrectionAuthority | undefined;
  private readonly onError: ((error: JournalStorageError) => void) | undefined;

  private nextSeq = 0;
  private headHash: Uint8Array = GENESIS_HASH;
  private lastMono = 0;
  private fileIndex = 0;
  private filePath = '';
  private fileBytes = 0;
  private sinceCheckpoint = 0;
  private sessionFirstSeq = 0;
  /** Headers and checkpoints of this session (corrections may not reference them). */
  private readonly structuralSeqs = new Map<number, string>();
  private segments: Segment[] = [];
  private handle: AppendFile | null = null;
  private durable = -1;
  private waiters: Waiter[] = [];
  private pumping = false;
  private groupTimer: TimerHandle | null = null;
  private checkpointTimer: TimerHandle | null = null;
  private failed: JournalStorageError | null = null;
  private closing: Promise<void> | null = null;
  private started = false;
  private recoveryReport: RecoveryReport | null = null;
  private latestCheckpoint: SignedCheckpoint | null = null;

  /** Use `openJournal`: the constructor only validates options. */
  constructor(options: OpenJournalOptions) {
    if (options === null || typeof options !== 'object') throw new InvalidOptionsError('journal: options object required');
    const o = options;
    if (!o.storage || typeof o.storage.openAppend !== 'function') throw new InvalidOptionsError('journal: storage (a Storage) is required');
    if (!o.clock || typeof o.clock.monotonic !== 'function' || typeof o.clock.setTimeout !== 'function') {
      throw new InvalidOptionsError('journal: clock (a Clock) is required');
    }
    if (!o.deviceKey || typeof o.deviceKey.sign !== 'function' || !(o.deviceKey.publicKey instanceof Uint8Array) || o.deviceKey.publicKey.length !== 32) {
      throw new InvalidOptionsError('journal: deviceKey (an Ed25519PrivateKey) is required');
    }
    if (typeof o.device !== 'string' || !DEVICE_ID_RE.test(o.device)) {
      throw new InvalidOptionsError('journal: device must be 1–64 printable ASCII characters without spaces');
    }
    const dir = o.dir ?? 'journal';
    if (!isValidStoragePath(dir)) throw new InvalidOptionsError(`journal: dir ${JSON.stringify(dir)} is not a valid storage path`);
    this.groupCommitMs = check.number(o.groupCommitMs ?? DEFAULT_GROUP_COMMIT_MS, 'journal: groupCommitMs', 0, DEFAULT_GROUP_COMMIT_MS);
    this.checkpointEvery = check.int(o.checkpointEveryRecords ?? DEFAULT_CHECKPOINT_EVERY_RECORDS, 'journal: checkpointEveryRecords', 1, 1_000_000);
    this.checkpointIntervalMs = check.number(o.checkpointIntervalMs ?? DEFAULT_CHECKPOINT_INTERVAL_MS, 'journal: checkpointIntervalMs', 1);
    this.maxFileBytes = check.int(o.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES, 'journal: maxFileBytes', 4096, 2 ** 31);
    if (o.corrections && typeof o.corrections.gate?.authorize !== 'function') {
      throw new InvalidOptionsError('journal: corrections needs the device authorisation gate');
    }
    if (o.onError !== undefined && typeof o.onError !== 'function') throw new InvalidOptionsError('journal: onError must be a function');
    this.storage = o.storage;
    this.clock = o.clock;
    this.key = o.deviceKey;
    this.device = o.device;
    this.dir = dir;
    this.publicKey = o.deviceKey.publicKey;
    this.keyId = o.deviceKey.keyId;
    this.authority = o.corrections;
    this.onError = o.onError;
  }

  // ---- public API ----

  /** Sequence number of the newest record (including checkpoints and headers). */
  get lastSeq(): number {
    return this.nextSeq - 1;
  }

  /** Hex SHA-256 of the newest record: the chain head. */
  get head(): { seq: number; hash: string } {
    return { seq: this.nextSeq - 1, hash: toHex(this.headHash) };
  }

  /** Every record up to this seq is synced to storage. */
  get durableSeq(): number {
    return this.durable;
  }

  /** Storage path of the file being written. */
  get currentFile(): string {
    return this.filePath;
  }

  /** What recovery found on open, or null after a clean shutdown (or on first use). */
  get recovery(): RecoveryReport | null {
    return this.recoveryReport;
  }

  /** The newest signed checkpoint, for the dock/server to keep. */
  get lastCheckpoint(): SignedCheckpoint | null {
    return this.latestCheckpoint;
  }

  /** The storage failure that stopped the journal, if any. */
  get failure(): JournalStorageError | null {
    return this.failed;
  }

  /**
   * Appends an entry. Security-relevant entries resolve once synced; routine ones once queued
   * for the group commit. A `duty-end` or `return` entry is followed by a signed shift-end
   * checkpoint. `recovery` and `correction` entries are refused here: the journal writes the
   * first itself, and the second needs `correct()` with a signed authorisation.
   */
  async append<T extends EntryType>(type: T, data: EntryData<T>): Promise<{ seq: number }> {
    this.assertWritable();
    const seq = this.writeEntry(type, checkServiceAppend(type, data) as Record<string, unknown>);
    if (SECURITY_RELEVANT.has(type)) {
      if (type === 'duty-end' || type === 'return') this.writeCheckpoint('shift-end');
      await this.durableUpTo(this.lastSeq);
    } else {
      this.armGroupCommit();
    }
    return { seq };
  }

  /**
   * Records a correction (R-LOG-5): a new entry referencing an earlier one, never an edit. The
   * authorisation must be a 'journal-correction' signed by a responsible person for this device,
   * with params `{ corrects: <seq>, note: <text> }`; the entry stores exactly those, the signer,
   * and the signed authorisation itself. Resolves once durable.
   */
  async correct(authorization: SignedAuthorization): Promise<{ seq: number }> {
    this.assertWritable();
    if (!this.authority) throw new JournalCorrectionError('this journal was opened without a correction authority (trusted keys)');
    const params = decodeAuthorizationBody(authorization.body).params as { corrects?: unknown; note?: unknown };
    const corrects = params.corrects;
    const note = params.note;
    if (typeof corrects !== 'number' || !Number.isSafeInteger(corrects) || corrects < 0) {
      throw new JournalCorrectionError('params.corrects must be the sequence number of the corrected entry');
    }
    if (typeof note !== 'string' || note.trim().length === 0) throw new JournalCorrectionError('params.note must say what is corrected');
    if (corrects > this.lastSeq) throw new JournalCorrectionError(`seq ${corrects} does not exist yet (last is ${this.lastSeq})`);
    const target = await this.typeOfSeq(corrects);
    if (target === FILE_HEADER || target === CHECKPOINT) throw new JournalCorrectionError(`seq ${corrects} is a ${target} record, not an entry`);
    this.assertWritable();
    // Only now consume the authorisation's counter: a refused reference leaves it usable.
    const body = await this.authority.gate.authorize(authorization, 'journal-correction');
    this.assertWritable();
    const data = {
      corrects,
      note,
      by: { name: body.signer, keyId: body.keyId, counter: body.counter },
      authorization: { body: toHex(authorization.body), signature: toHex(authorization.signature) },
    };
    const checked = checkEntry('correction', data);
    if (!checked.ok) throw new JournalEntryError('correction', checked.reason);
    const seq = this.writeEntry('correction', checked.data);
    await this.durableUpTo(this.lastSeq);
    return { seq };
  }

  /**
   * Writes a signed checkpoint now (e.g. before a dock sync) and resolves with it once durable.
   * If the newest record already is a checkpoint, returns that one instead of writing another.
   */
  async checkpoint(): Promise<SignedCheckpoint> {
    this.assertWritable();
    const cp = this.sinceCheckpoint === 0 && this.latestCheckpoint?.seq === this.lastSeq ? this.latestCheckpoint : this.writeCheckpoint('request');
    await this.durableUpTo(this.lastSeq);
    return cp;
  }

  /** Resolves once every record written so far is synced. */
  flush(): Promise<void> {
    if (this.failed) return Promise.reject(this.failed);
    return this.durableUpTo(this.lastSeq);
  }

  /**
   * Writes the closing checkpoint, syncs, and releases the file. Idempotent. Rejects with the
   * storage failure if the final sync failed (the next open records the unclean end).
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  // ---- opening and recovery ----

  /** @internal called once by openJournal. */
  async start(): Promise<void> {
    if (this.started) throw new JournalStorageError('journal already started');
    this.started = true;
    const prefix = `${this.dir}/`;
    const files = (await this.storage.list(prefix))
      .filter((f) => FILE_NAME_RE.test(f.path.slice(prefix.length)))
      .sort((a, b) => (a.path < b.path ? -1 : 1));

    const cuts: RecoveryCut[] = [];
    let corruption: { file: string; offset: number; bytes: number } | null = null;
    let from: { file: string; seq: number; hash: Uint8Array; closed: boolean; end: number } | null = null;
    let unfinishedCuts: RecoveryCut[] = [];

    // Walk back from the newest file. A file holding an entry belongs to a session that got its
    // own recovery entry durable (it is always the first entry), so nothing older needs looking
    // at; files without entries (a session that lost power while starting) do not stop the walk.
    for (let i = files.length - 1; i >= 0; i--) {
      const path = files[i].path;
      const bytes = await this.storage.read(path);
      if (bytes.length === 0) continue;
      const scan = scanFrames(bytes);
      const last = lastDecodable(scan);
      if (!last) {
        if (scan.frames.length === 0) cuts.unshift({ file: path, offset: 0, bytes: bytes.length });
        else corruption ??= { file: path, offset: 0, bytes: bytes.length };
        continue;
      }
      if (scan.end.kind === 'torn') cuts.unshift({ file: path, offset: scan.validEnd, bytes: bytes.length - scan.validEnd });
      else if (scan.end.kind === 'corrupt') corruption ??= { file: path, offset: scan.end.offset, bytes: scan.end.bytes };
      const entry = firstEntry(scan);
      if (!from) {
        const closed =
          scan.end.kind === 'clean' && last.isLastFrame && last.payload.type === CHECKPOINT && CLOSING_REASONS.has(String(last.payload.data.reason));
        from = { file: path, seq: last.payload.seq, hash: last.hash, closed, end: scan.end.kind === 'clean' ? bytes.length : scan.validEnd };
        unfinishedCuts = await this.unfinishedCuts(entry);
      }
      if (entry) break;
    }

    // Cuts declared by an earlier recovery whose power was cut before it could make them.
    for (const cut of unfinishedCuts) await this.storage.truncate(cut.file, cut.offset);

    const lastIndex = files.length > 0 ? Number(FILE_NAME_RE.exec(files[files.length - 1].path.slice(prefix.length))![1]) : -1;
    this.fileIndex = lastIndex + 1;
    this.filePath = prefix + journalFileName(this.fileIndex);
    if (from) {
      this.nextSeq = from.seq + 1;
      this.headHash = from.hash;
    }
    this.sessionFirstSeq = this.nextSeq;
    this.lastMono = Math.max(0, Math.floor(this.clock.monotonic()));
    this.writeHeader();

    const unclean = from !== null && !from.closed;
    if (cuts.length > 0 || corruption || unclean) {
      const dropped = cuts.reduce((n, c) => n + c.bytes, 0);
      const mainCut = cuts.find((c) => c.file === from?.file);
      const cause: RecoveryReport['cause'] = corruption ? 'corruption' : dropped > 0 ? 'torn-tail' : 'unclean-shutdown';
      const report: Omit<RecoveryReport, 'seq'> = {
        cause,
        file: from?.file ?? corruption?.file ?? cuts[0]?.file ?? null,
        atOffset: corruption?.offset ?? mainCut?.offset ?? from?.end ?? 0,
        droppedBytes: dropped,
        lastSeq: from ? from.seq : -1,
        cuts,
        corruptBytes: corruption?.bytes ?? 0,
      };
      const data: Record<string, unknown> = {
        droppedBytes: report.droppedBytes,
        atOffset: report.atOffset,
        lastSeq: report.lastSeq,
        cause,
        ...(report.file !== null ? { file: report.file } : {}),
        ...(from ? { lastHash: toHex(from.hash) } : {}),
        ...(cuts.length > 0 ? { cuts } : {}),
        ...(corruption ? { corruptBytes: corruption.bytes } : {}),
      };
      const checked = checkEntry('recovery', data);
      if (!checked.ok) throw new JournalStorageError(`recovery entry invalid: ${checked.reason}`);
      const seq = this.writeEntry('recovery', checked.data);
      this.recoveryReport = { seq, ...report };
    }
    // Durable account first, then the cuts it describes.
    await this.durableUpTo(this.lastSeq);
    for (const cut of cuts) await this.storage.truncate(cut.file, cut.offset);
  }

  /** Cuts declared by a recovery entry (the first entry of its file) that are not yet made. */
  private async unfinishedCuts(entry: RecordPayload | null): Promise<RecoveryCut[]> {
    if (!entry || entry.type !== 'recovery' || !Array.isArray(entry.data.cuts)) return [];
    const out: RecoveryCut[] = [];
    for (const c of entry.data.cuts as RecoveryCut[]) {
      const st = await this.storage.stat(c.file);
      if (st && st.size === c.offset + c.bytes) out.push(c);
    }
    return out;
  }

  /** Type of an earlier record: from memory for this session, else by scanning the file that holds it. */
  private async typeOfSeq(seq: number): Promise<string | null> {
    if (seq >= this.sessionFirstSeq) return this.structuralSeqs.get(seq) ?? 'entry';
    const prefix = `${this.dir}/`;
    const files = (await this.storage.list(prefix)).filter((f) => FILE_NAME_RE.test(f.path.slice(prefix.length)) && f.path !== this.filePath);
    for (let i = files.length - 1; i >= 0; i--) {
      const bytes = await this.storage.read(files[i].path);
      const scan = scanFrames(bytes);
      let first: RecordPayload | null = null;
      for (const f of scan.frames) {
        try {
          const r = decodePayload(f.payload);
          first ??= r;
          if (r.seq === seq) return r.type;
        } catch {
          // undecodable frames are reported by verify; skip them here
        }
      }
      if (first && first.seq < seq) return null;
    }
    return null;
  }

  // ---- writing ----

  private assertWritable(): void {
    if (this.closing) throw new DeviceClosedError('journal');
    if (this.failed) throw this.failed;
    if (!this.started) throw new JournalStorageError('journal not opened: use openJournal()');
  }

  private writeHeader(): void {
    const seq = this.writeRecord(FILE_HEADER, {
      format: FORMAT_NAME,
      version: FORMAT_VERSION,
      device: this.device,
      keyId: this.keyId,
      publicKey: this.publicKey,
      file: this.fileIndex,
    });
    this.structuralSeqs.set(seq, FILE_HEADER);
    this.countForCheckpoint();
  }

  private writeEntry(type: string, data: Record<string, unknown>): number {
    if (this.fileBytes >= this.maxFileBytes) this.rotate();
    const seq = this.writeRecord(type, data);
    this.countForCheckpoint();
    return seq;
  }

  private countForCheckpoint(): void {
    this.sinceCheckpoint += 1;
    if (this.sinceCheckpoint >= this.checkpointEvery) {
      this.writeCheckpoint('count');
      this.armGroupCommit();
    } else if (!this.checkpointTimer?.active) {
      this.checkpointTimer = this.clock.setTimeout(() => this.onCheckpointTimer(), this.checkpointIntervalMs);
    }
  }

  private onCheckpointTimer(): void {
    this.checkpointTimer = null;
    if (this.closing || this.failed || this.sinceCheckpoint === 0) return;
    this.writeCheckpoint('interval');
    this.armGroupCommit();
  }

  private rotate(): void {
    this.writeCheckpoint('rotate');
    this.fileIndex += 1;
    this.filePath = `${this.dir}/${journalFileName(this.fileIndex)}`;
    this.fileBytes = 0;
    this.writeHeader();
  }

  private writeCheckpoint(reason: CheckpointReason): SignedCheckpoint {
    const seq = this.nextSeq;
    const { wall, mono } = this.now();
    const head = this.headHash;
    const signature = this.key.sign(checkpointMessage({ device: this.device, seq, head, wall, mono, reason }));
    this.writeRecord(CHECKPOINT, { reason, keyId: this.keyId, signature }, { wall, mono });
    this.structuralSeqs.set(seq, CHECKPOINT);
    this.sinceCheckpoint = 0;
    this.checkpointTimer?.cancel();
    this.checkpointTimer = null;
    const cp: SignedCheckpoint = { device: this.device, keyId: this.keyId, seq, head: toHex(head), wall, mono, reason, signature: toHex(signature) };
    this.latestCheckpoint = cp;
    return cp;
  }

  private now(): { wall: number; mono: number } {
    const mono = Math.max(this.lastMono, Math.floor(this.clock.monotonic()));
    return { wall: Math.floor(this.clock.wallTime()), mono };
  }

  /** Encodes one record at the chain head and queues it; nothing can fail after the size check. */
  private writeRecord(type: string, data: Record<string, unknown>, time = this.now()): number {
    const seq = this.nextSeq;
    const payload = encodePayload({ seq, wall: time.wall, mono: time.mono, type, data, prev: this.headHash });
    if (payload.length > MAX_ENTRY_PAYLOAD_BYTES) {
      throw new JournalEntryError(type, `encoded entry is ${payload.length} bytes, over the ${MAX_ENTRY_PAYLOAD_BYTES}-byte limit`);
    }
    const frame = encodeFrame(payload);
    this.nextSeq = seq + 1;
    this.headHash = recordHash(payload);
    this.lastMono = time.mono;
    this.fileBytes += frame.length;
    const tail = this.segments[this.segments.length - 1];
    if (tail && tail.path === this.filePath) {
      tail.chunks.push(frame);
      tail.bytes += frame.length;
      tail.lastSeq = seq;
    } else {
      this.segments.push({ path: this.filePath, chunks: [frame], bytes: frame.length, lastSeq: seq });
    }
    return seq;
  }

  // ---- committing ----

  private armGroupCommit(): void {
    if (this.groupTimer?.active || this.segments.length === 0) return;
    this.groupTimer = this.clock.setTimeout(() => {
      this.groupTimer = null;
      this.durableUpTo(this.lastSeq).catch(() => undefined); // reported through onError / failure
    }, this.groupCommitMs);
  }

  private durableUpTo(seq: number): Promise<void> {
    if (this.failed) return Promise.reject(this.failed);
    if (this.durable >= seq) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.waiters.push({ seq, resolve, reject });
      if (!this.pumping) {
        this.pumping = true;
        void this.pump();
      }
    });
  }

  /** Writes and syncs everything queued, in order, until nothing is left; one sync per round. */
  private async pump(): Promise<void> {
    try {
      while (this.segments.length > 0) {
        const batch = this.segments;
        this.segments = [];
        this.groupTimer?.cancel();
        this.groupTimer = null;
        for (const seg of batch) {
          if (!this.handle || this.handle.path !== seg.path) {
            if (this.handle) {
              await this.handle.sync();
              await this.handle.close();
              this.handle = null;
            }
            this.handle = await this.storage.openAppend(seg.path);
          }
          await this.handle.append(seg.chunks.length === 1 ? seg.chunks[0] : concat(seg.chunks, seg.bytes));
        }
        await this.handle!.sync();
        this.durable = batch[batch.length - 1].lastSeq;
        const ready = this.waiters.filter((w) => w.seq <= this.durable);
        this.waiters = this.waiters.filter((w) => w.seq > this.durable);
        for (const w of ready) w.resolve();
      }
    } catch (err) {
      this.fail(err);
    } finally {
      this.pumping = false;
    }
  }

  private fail(err: unknown): void {
    if (this.failed) return;
    const failure =
      err instanceof JournalStorageError ? err : new JournalStorageError(err instanceof Error ? err.message : String(err), { cause: err });
    this.failed = failure;
    this.segments = [];
    this.groupTimer?.cancel();
    this.checkpointTimer?.cancel();
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w.reject(failure);
    this.onError?.(failure);
  }

  private async shutdown(): Promise<void> {
    let failure: Error | null = this.failed;
    if (!failure && this.started) {
      try {
        this.writeCheckpoint('close');
        await this.durableUpTo(this.lastSeq);
      } catch (err) {
        failure = err as Error;
      }
    }
    this.groupTimer?.cancel();
    this.checkpointTimer?.cancel();
    const h = this.handle;
    this.handle = null;
    if (h) await h.close().catch(() => undefined);
    if (failure && failure !== this.failed) throw failure;
  }
}

/** The first record of a file that is an entry (not a header or checkpoint), if any. */
function firstEntry(scan: ScanResult): RecordPayload | null {
  for (const f of scan.frames) {
    let r: RecordPayload;
    try {
      r = decodePayload(f.payload);
    } catch {
      continue;
    }
    if (r.type !== FILE_HEADER && r.type !== CHECKPOINT) return r;
  }
  return null;
}

function lastDecodable(scan: ScanResult): LastRecord | null {
  for (let i = scan.frames.length - 1; i >= 0; i--) {
    try {
      const payload = decodePayload(scan.frames[i].payload);
      return { payload, hash: recordHash(scan.frames[i].payload), isLastFrame: i === scan.frames.length - 1 };
    } catch {
      // keep looking backwards; verify reports the undecodable frame
    }
  }
  return null;
}

function concat(chunks: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
