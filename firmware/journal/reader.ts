/**
 * Reader and verifier. Works on bytes (no filesystem), so the firmware, the dock, the CLI and
 * other tools share one implementation. It checks, in file order: framing and CRCs, the
 * sequence, the hash chain (within and across files), file headers and the device key, every
 * checkpoint signature, every entry against its schema, corrections, and how each file ends;
 * and names the first bad record.
 *
 * Verdicts:
 * - `valid`: everything checks and the journal ends with a closing checkpoint.
 * - `truncated`: everything present checks, but the journal ends early — at a record boundary
 *   without its closing checkpoint (a clean tail truncation, or power lost and not yet reopened),
 *   or in a partial record (a torn write, or a cut inside a record).
 * - `invalid`: anything else (damage, edits, deletions, reordering, foreign records, bad
 *   signatures, schema violations).
 */
import { ReplayGuard, decodeAuthorizationBody, verifyAuthorization, type TrustedKey } from '../../protocol/authorization.ts';
import { fromHex, keyIdOf, toHex, verifyEd25519 } from '../../protocol/crypto.ts';
import {
  CHECKPOINT,
  CLOSING_REASONS,
  FILE_HEADER,
  GENESIS_HASH,
  PayloadError,
  checkCheckpointData,
  checkFileHeader,
  checkpointMessage,
  decodePayload,
  recordHash,
  type SignedCheckpoint,
} from './format.ts';
import { describeFault, scanFrames, type BadRegion } from './scan.ts';
import { checkEntry } from './validate.ts';

export interface JournalFileInput {
  /** File name (or storage path) used in reports; files are verified in the order given. */
  name: string;
  bytes: Uint8Array;
}

export interface JournalRecord {
  file: string;
  offset: number;
  /** Frame size in bytes. */
  size: number;
  seq: number;
  wall: number;
  mono: number;
  type: string;
  data: Record<string, unknown>;
  /** Hex SHA-256 of the previous record. */
  prev: string;
  /** Hex SHA-256 of this record's payload. */
  hash: string;
}

export type ProblemCode =
  | 'torn-tail'
  | 'unsealed-end'
  | 'empty'
  | 'corrupt-frame'
  | 'bad-record'
  | 'missing-header'
  | 'bad-header'
  | 'misplaced-header'
  | 'after-close'
  | 'file-order'
  | 'device'
  | 'key'
  | 'seq'
  | 'chain'
  | 'mono'
  | 'signature'
  | 'schema'
  | 'correction'
  | 'unexplained-end'
  | 'known-checkpoint';

/** Problems that only say the journal ends early; everything else makes it invalid. */
export const TRUNCATION_PROBLEMS: ReadonlySet<ProblemCode> = new Set<ProblemCode>(['torn-tail', 'unsealed-end', 'empty']);

export interface Problem {
  code: ProblemCode;
  file: string;
  /** Byte offset in `file` of the bad record (or of the bad bytes). */
  offset: number;
  /** Sequence number of the bad record, when it could be read. */
  seq?: number;
  message: string;
}

export type FileEnd = 'closed' | 'unsealed' | 'torn' | 'damaged' | 'empty';

export interface FileSummary {
  name: string;
  bytes: number;
  records: number;
  firstSeq: number | null;
  lastSeq: number | null;
  end: FileEnd;
}

export type JournalStatus = 'valid' | 'truncated' | 'invalid';

export interface VerifyReport {
  status: JournalStatus;
  /** The earliest problem in file order: names the first bad record. */
  firstProblem: Problem | null;
  problems: Problem[];
  /** Observations that are not problems (empty files, a journal that starts after seq 0, …). */
  notes: string[];
  files: FileSummary[];
  device: string | null;
  keyId: string | null;
  /** Where the key that checked the signatures came from: pinned by the caller, or the journal's own header. */
  keySource: 'pinned' | 'journal' | null;
  records: number;
  entries: number;
  checkpoints: number;
  firstSeq: number | null;
  lastSeq: number | null;
  head: { seq: number; hash: string } | null;
  lastCheckpoint: { seq: number; reason: string; wall: number } | null;
  /** Records after the last valid checkpoint (not covered by any signature). */
  unsealedRecords: number;
}

export interface ReadOptions {
  /** The device's Ed25519 public key, from provisioning. Without it the header's key is used (self-consistency only). */
  publicKey?: Uint8Array;
  /** A checkpoint received earlier (e.g. by the dock): the journal must still contain what it sealed. */
  knownCheckpoint?: SignedCheckpoint;
  /** Keys of responsible persons: when given, the authorisation of every correction is checked in full. */
  trusted?: readonly TrustedKey[];
}

export interface ReadResult {
  report: VerifyReport;
  /** Every record that could be decoded, in file order. */
  records: JournalRecord[];
}

interface Position {
  fileIdx: number;
}

interface PendingEnd {
  file: string;
  fileIdx: number;
  offset: number;
  lastSeq: number;
  end: FileEnd;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function verifyJournal(files: readonly JournalFileInput[], options: ReadOptions = {}): VerifyReport {
  return readJournal(files, options).report;
}

export function readJournal(files: readonly JournalFileInput[], options: ReadOptions = {}): ReadResult {
  const problems: Array<Problem & Position> = [];
  const notes: string[] = [];
  const records: JournalRecord[] = [];
  const summaries: FileSummary[] = [];
  const typeBySeq = new Map<number, string>();
  const correctionGuard = new ReplayGuard();

  let key: Uint8Array | null = options.publicKey ?? null;
  let journalKeySource: VerifyReport['keySource'] = key ? 'pinned' : null;
  let device: string | null = null;
  let lastFileIndex: number | null = null;
  let expectSeq: number | null = null;
  let expectPrev: Uint8Array | null = null;
  let firstRecordSeen = false;
  /** Files that ended without a closing checkpoint: the next entry anywhere after them must be a recovery entry. */
  let pendingEnds: PendingEnd[] = [];
  /**
   * Bytes at the end of a file that are not a complete record. At the journal's tail they are a
   * torn write (truncation); once entries follow them, a recovery entry must declare cutting them.
   */
  const tornRegions: Array<{ file: string; fileIdx: number; offset: number; bytes: number; fault: string; recordsBefore: number }> = [];
  const declaredCuts = new Set<string>();
  let checkpoints = 0;
  let entries = 0;
  let lastCheckpoint: VerifyReport['lastCheckpoint'] = null;
  let lastValidCheckpointIdx = -1;

  const add = (fileIdx: number, p: Problem) => problems.push({ ...p, fileIdx });

  files.forEach((file, fileIdx) => {
    const name = file.name;
    const bytes = file.bytes;
    const summary: FileSummary = { name, bytes: bytes.length, records: 0, firstSeq: null, lastSeq: null, end: 'empty' };
    summaries.push(summary);
    if (bytes.length === 0) {
      notes.push(`${name}: empty file (a file started just before a power cut), ignored`);
      return;
    }
    const scan = scanFrames(bytes);
    let fileDevice: string | null = null;
    let lastMono = -Infinity;
    let sawHeader = false;
    let lastRec: JournalRecord | null = null;
    let closedAt: number | null = null;

    // Walk frames and bad regions in file order.
    type Item = { kind: 'frame'; at: number; i: number } | { kind: 'bad'; at: number; region: BadRegion };
    const items: Item[] = [
      ...scan.frames.map((f, i): Item => ({ kind: 'frame', at: f.offset, i })),
      ...scan.bad.map((region): Item => ({ kind: 'bad', at: region.offset, region })),
    ].sort((a, b) => a.at - b.at);

    for (const item of items) {
      if (item.kind === 'bad') {
        const r = item.region;
        if (r.end === bytes.length) {
          tornRegions.push({ file: name, fileIdx, offset: r.offset, bytes: r.end - r.offset, fault: describeFault(r.fault), recordsBefore: records.length });
        } else {
          add(fileIdx, {
            code: 'corrupt-frame',
            file: name,
            offset: r.offset,
            seq: expectSeq ?? undefined,
            message: `${r.end - r.offset} damaged byte(s) (${describeFault(r.fault)}) with valid records after them`,
          });
          // The records after the damage are checked against each other, not against what was lost.
          expectSeq = null;
          expectPrev = null;
        }
        continue;
      }

      const frame = scan.frames[item.i];
      const hash = recordHash(frame.payload);
      let payload;
      try {
        payload = decodePayload(frame.payload);
      } catch (err) {
        add(fileIdx, {
          code: 'bad-record',
          file: name,
          offset: frame.offset,
          seq: expectSeq ?? undefined,
          message: `record does not decode: ${err instanceof PayloadError ? err.message : String(err)}`,
        });
        expectSeq = null;
        expectPrev = hash;
        continue;
      }
      const rec: JournalRecord = {
        file: name,
        offset: frame.offset,
        size: frame.size,
        seq: payload.seq,
        wall: payload.wall,
        mono: payload.mono,
        type: payload.type,
        data: payload.data,
        prev: toHex(payload.prev),
        hash: toHex(hash),
      };
      const at = { file: name, offset: frame.offset, seq: rec.seq };
      records.push(rec);
      summary.records += 1;
      summary.firstSeq ??= rec.seq;
      summary.lastSeq = rec.seq;

      // Sequence and chain.
      if (expectSeq !== null && rec.seq !== expectSeq) {
        add(fileIdx, { code: 'seq', ...at, message: `expected seq ${expectSeq}, found ${rec.seq}` });
      }
      if (expectPrev !== null && !equalBytes(payload.prev, expectPrev)) {
        add(fileIdx, { code: 'chain', ...at, message: `prev hash ${rec.prev.slice(0, 16)}… does not match the previous record (${toHex(expectPrev).slice(0, 16)}…)` });
      }
      if (!firstRecordSeen) {
        firstRecordSeen = true;
        if (rec.seq === 0 && !equalBytes(payload.prev, GENESIS_HASH)) {
          add(fileIdx, { code: 'chain', ...at, message: 'record 0 must have the all-zero prev hash' });
        } else if (rec.seq > 0) {
          notes.push(`journal starts at seq ${rec.seq} (earlier files not given); its chain is anchored at prev ${rec.prev.slice(0, 16)}…`);
        }
      }
      if (rec.mono < lastMono) {
        add(fileIdx, { code: 'mono', ...at, message: `monotonic time goes back within a file (${rec.mono} < ${lastMono})` });
      }
      lastMono = rec.mono;
      if (closedAt !== null) {
        add(fileIdx, { code: 'after-close', ...at, message: `record follows the file's closing checkpoint (seq ${closedAt})` });
        closedAt = null;
      }

      // A file that ended without a closing checkpoint must be followed by a recovery entry before any other entry.
      if (pendingEnds.length > 0 && rec.type !== FILE_HEADER && rec.type !== CHECKPOINT) {
        const explained = rec.type === 'recovery' && typeof rec.data.lastSeq === 'number' && rec.data.lastSeq >= pendingEnds[pendingEnds.length - 1].lastSeq;
        if (!explained) {
          for (const pe of pendingEnds) {
            add(pe.fileIdx, {
              code: 'unexplained-end',
              file: pe.file,
              offset: pe.offset,
              seq: pe.lastSeq,
              message: `file ends without a closing checkpoint after seq ${pe.lastSeq}, and the next entry (seq ${rec.seq}) is not a recovery entry`,
            });
          }
        }
        pendingEnds = [];
      }

      // Type-specific checks.
      if (rec.type === FILE_HEADER) {
        if (frame.offset !== 0 || sawHeader) {
          add(fileIdx, { code: 'misplaced-header', ...at, message: 'a file header may only be the first record of a file' });
        }
        const bad = checkFileHeader(rec.data);
        if (bad) {
          add(fileIdx, { code: 'bad-header', ...at, message: bad });
        } else {
          const h = rec.data as { device: string; publicKey: Uint8Array; keyId: string; file: number };
          fileDevice = h.device;
          if (device === null) device = h.device;
          else if (h.device !== device) add(fileIdx, { code: 'device', ...at, message: `file belongs to device ${h.device}, the journal to ${device}` });
          if (key === null) {
            key = new Uint8Array(h.publicKey);
            journalKeySource = 'journal';
          } else if (!equalBytes(h.publicKey, key)) {
            add(fileIdx, {
              code: 'key',
              ...at,
              message: `file header names key ${h.keyId}, expected ${keyIdOf(key)}${journalKeySource === 'pinned' ? ' (pinned)' : ' (from the first file)'}`,
            });
          }
          if (lastFileIndex !== null && h.file <= lastFileIndex) {
            add(fileIdx, { code: 'file-order', ...at, message: `file number ${h.file} does not follow ${lastFileIndex}` });
          }
          lastFileIndex = h.file;
        }
        sawHeader = true;
      } else {
        if (!sawHeader) {
          add(fileIdx, { code: 'missing-header', ...at, message: 'file does not start with a file header' });
          sawHeader = true; // report once per file
        }
        if (rec.type === CHECKPOINT) {
          checkpoints += 1;
          const bad = checkCheckpointData(rec.data);
          const cp = rec.data as { reason: string; keyId: string; signature: Uint8Array };
          const dev = fileDevice ?? device;
          if (bad) {
            add(fileIdx, { code: 'signature', ...at, message: bad });
          } else if (key === null || dev === null) {
            add(fileIdx, { code: 'signature', ...at, message: 'no device key or device id to check the checkpoint with (no file header)' });
          } else {
            const msg = checkpointMessage({ device: dev, seq: rec.seq, head: payload.prev, wall: rec.wall, mono: rec.mono, reason: cp.reason });
            if (cp.keyId !== keyIdOf(key) || !verifyEd25519(key, msg, cp.signature)) {
              add(fileIdx, { code: 'signature', ...at, message: `checkpoint signature does not verify with key ${keyIdOf(key)}` });
            } else {
              lastCheckpoint = { seq: rec.seq, reason: cp.reason, wall: rec.wall };
              lastValidCheckpointIdx = records.length - 1;
            }
            if (CLOSING_REASONS.has(String(cp.reason))) closedAt = rec.seq;
          }
        } else {
          entries += 1;
          const check = checkEntry(rec.type, rec.data);
          if (!check.ok) {
            add(fileIdx, { code: 'schema', ...at, message: check.reason });
          } else if (rec.type === 'correction') {
            const bad = checkCorrection(rec, typeBySeq, device, options.trusted, correctionGuard);
            if (bad) add(fileIdx, { code: 'correction', ...at, message: bad });
          } else if (rec.type === 'recovery') {
            for (const cut of (rec.data.cuts as Array<{ file: string; offset: number; bytes: number }> | undefined) ?? []) {
              declaredCuts.add(`${baseName(cut.file)}@${cut.offset}+${cut.bytes}`);
            }
          }
        }
      }
      typeBySeq.set(rec.seq, rec.type);
      expectSeq = rec.seq + 1;
      expectPrev = hash;
      lastRec = rec;
    }

    // How the file ends.
    if (scan.frames.length === 0) summary.end = scan.end.kind === 'torn' ? 'torn' : 'damaged';
    else if (scan.end.kind === 'torn') summary.end = 'torn';
    else if (scan.end.kind === 'corrupt') summary.end = 'damaged';
    else if (lastRec && lastRec.type === CHECKPOINT && CLOSING_REASONS.has(String(lastRec.data.reason))) summary.end = 'closed';
    else summary.end = 'unsealed';

    if (lastRec && summary.end !== 'closed') {
      pendingEnds.push({ file: name, fileIdx, offset: scan.validEnd, lastSeq: lastRec.seq, end: summary.end });
    }
  });

  const isEntry = (r: JournalRecord) => r.type !== FILE_HEADER && r.type !== CHECKPOINT;
  for (const t of tornRegions) {
    if (!records.slice(t.recordsBefore).some(isEntry)) {
      add(t.fileIdx, {
        code: 'torn-tail',
        file: t.file,
        offset: t.offset,
        message: `ends in ${t.bytes} byte(s) that are not a complete record (${t.fault}): a torn write or a cut inside a record`,
      });
    } else if (declaredCuts.has(`${baseName(t.file)}@${t.offset}+${t.bytes}`)) {
      notes.push(`${t.file}: ${t.bytes} torn byte(s) at offset ${t.offset} are declared by a recovery entry (the cut was not finished before the copy)`);
    } else {
      add(t.fileIdx, {
        code: 'corrupt-frame',
        file: t.file,
        offset: t.offset,
        message: `${t.bytes} byte(s) that are not a record (${t.fault}) at the end of a file that later entries follow, and no recovery entry declares cutting them`,
      });
    }
  }

  // Files that ended without a closing checkpoint and that no entry followed: the journal's tail.
  for (const pe of pendingEnds) {
    if (pe.end !== 'unsealed') continue;
    add(pe.fileIdx, {
      code: 'unsealed-end',
      file: pe.file,
      offset: pe.offset,
      seq: pe.lastSeq,
      message: `ends after seq ${pe.lastSeq} without a closing checkpoint: the tail was truncated, or the device lost power and has not reopened the journal since`,
    });
  }

  if (records.length === 0 && problems.length === 0) {
    add(0, { code: 'empty', file: files[0]?.name ?? '(none)', offset: 0, message: 'no records at all' });
  }

  if (options.knownCheckpoint) checkKnownCheckpoint(options.knownCheckpoint, records, key, device, problems, files.length);

  problems.sort((a, b) => a.fileIdx - b.fileIdx || a.offset - b.offset);
  const clean: Problem[] = problems.map(({ fileIdx: _f, ...p }) => p);
  const status: JournalStatus = clean.length === 0 ? 'valid' : clean.every((p) => TRUNCATION_PROBLEMS.has(p.code)) ? 'truncated' : 'invalid';
  const last = records[records.length - 1];
  const report: VerifyReport = {
    status,
    firstProblem: clean[0] ?? null,
    problems: clean,
    notes,
    files: summaries,
    device,
    keyId: key ? keyIdOf(key) : null,
    keySource: key ? journalKeySource : null,
    records: records.length,
    entries,
    checkpoints,
    firstSeq: records[0]?.seq ?? null,
    lastSeq: last?.seq ?? null,
    head: last ? { seq: last.seq, hash: last.hash } : null,
    lastCheckpoint,
    unsealedRecords: records.length - 1 - lastValidCheckpointIdx,
  };
  return { report, records };
}

function baseName(path: string): string {
  const i = path.lastIndexOf('/');
  return i >= 0 ? path.slice(i + 1) : path;
}

function checkCorrection(
  rec: JournalRecord,
  typeBySeq: Map<number, string>,
  device: string | null,
  trusted: readonly TrustedKey[] | undefined,
  guard: ReplayGuard,
): string | null {
  const d = rec.data as { corrects: number; note: string; by: { name: string; keyId: string; counter: number }; authorization?: { body: string; signature: string } };
  if (d.corrects >= rec.seq) return `corrects seq ${d.corrects}, which is not an earlier record`;
  const target = typeBySeq.get(d.corrects);
  if (target === FILE_HEADER || target === CHECKPOINT) return `corrects seq ${d.corrects}, a ${target} record, which is not an entry`;
  if (!d.authorization) return trusted ? 'correction carries no signed authorisation' : null;
  let body;
  try {
    body = decodeAuthorizationBody(fromHex(d.authorization.body));
  } catch (err) {
    return `authorisation does not decode: ${(err as Error).message}`;
  }
  const p = body.params as { corrects?: unknown; note?: unknown };
  if (body.action !== 'journal-correction') return `authorisation is for ${body.action}, not journal-correction`;
  if (p.corrects !== d.corrects || p.note !== d.note) return 'entry does not match the signed authorisation (corrects/note differ)';
  if (body.keyId !== d.by.keyId || body.counter !== d.by.counter || body.signer !== d.by.name) return 'entry names a different signer than the authorisation';
  if (device !== null && body.device !== device) return `authorisation was made for device ${body.device}`;
  if (trusted) {
    try {
      verifyAuthorization(
        { body: fromHex(d.authorization.body), signature: fromHex(d.authorization.signature) },
        { device: body.device, trusted, replay: guard, action: 'journal-correction' },
      );
    } catch (err) {
      return (err as Error).message;
    }
  }
  return null;
}

function checkKnownCheckpoint(
  cp: SignedCheckpoint,
  records: JournalRecord[],
  key: Uint8Array | null,
  device: string | null,
  problems: Array<Problem & Position>,
  fileCount: number,
): void {
  const where = records[records.length - 1];
  const at = { file: where?.file ?? '(none)', offset: where ? where.offset + where.size : 0, fileIdx: Math.max(0, fileCount - 1) };
  let sigOk = false;
  try {
    const msg = checkpointMessage({ device: cp.device, seq: cp.seq, head: fromHex(cp.head), wall: cp.wall, mono: cp.mono, reason: cp.reason });
    sigOk = key !== null && cp.keyId === keyIdOf(key) && verifyEd25519(key, msg, fromHex(cp.signature));
  } catch {
    sigOk = false;
  }
  if (!sigOk) {
    problems.push({ ...at, code: 'known-checkpoint', message: `the given checkpoint (seq ${cp.seq}) is not signed by this device's key` });
    return;
  }
  if (device !== null && cp.device !== device) {
    problems.push({ ...at, code: 'known-checkpoint', message: `the given checkpoint is for device ${cp.device}, not ${device}` });
    return;
  }
  const sealed = records.find((r) => r.seq === cp.seq - 1);
  if (!sealed) {
    problems.push({ ...at, code: 'known-checkpoint', message: `records up to seq ${cp.seq - 1} were sealed by a checkpoint the device exported, but the journal has no record ${cp.seq - 1}: records were removed` });
  } else if (sealed.hash !== cp.head) {
    problems.push({ ...at, file: sealed.file, offset: sealed.offset, code: 'known-checkpoint', message: `record ${sealed.seq} differs from what the exported checkpoint sealed` });
  }
}
