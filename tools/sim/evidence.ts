/**
 * The evidence a shift left behind, read back from the storage as an auditor would: every
 * segment file on the registered card hashed and compared with its index, its neighbour in the
 * chain and the journal's account of it; what the device played back compared with the file;
 * anything written onto cards the device should have refused; earlier recordings still intact.
 * Hashing only (no stream parsing): a shift's card is tens of MB, read in well under 0.1 s.
 */
import { createHash } from 'node:crypto';
import type { SimStorage } from '../../sim/storage.ts';
import { parseIndex, type CloseRecord, type HeadRecord, type MarkRecord } from '../../firmware/recorder/segment-index.ts';
import type { ShiftRecord } from './shift-runner.ts';

export interface SegmentFile {
  camera: string;
  segment: number;
  path: string;
  bytes: number;
  sha256: string;
  /** From the segment's index on the card. */
  closeSha256: string | null;
  prevSha256: string | null;
  startWall: number | null;
  endWall: number | null;
  recovered: boolean;
  markers: MarkRecord[];
}

export interface CardEvidence {
  segments: SegmentFile[];
  /** Files whose bytes do not hash to their index's close record, or have no close record. */
  damaged: string[];
  /** Breaks in a camera's hash chain (a segment whose "previous" is not the segment before it). */
  chainBreaks: string[];
  /** Journalled segments whose file is missing or differs from what the journal recorded. */
  journalMismatches: string[];
  /** Playbacks whose bytes are not in the file they claim to come from. */
  playbackMismatches: string[];
  /** Files written onto a card the device should have refused (beyond its own token). */
  refusedCardWrites: string[];
  /** Files that were on the card before the shift and are gone or changed. */
  lostEarlierFiles: string[];
}

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

export async function gatherEvidence(r: ShiftRecord): Promise<CardEvidence> {
  const { card, otherCards, earlierFiles } = r.storage();
  const segments: SegmentFile[] = [];
  const damaged: string[] = [];
  // Read from the world side, like a card reader would: the card may be out of the device by now.
  const files = card.snapshot();
  for (const [path, video] of files) {
    const m = /^[^/]+\/([^/]+)\/(\d+)\.h264$/.exec(path);
    if (!m) continue;
    const idx = files.get(path.replace(/\.h264$/, '.idx'));
    let head: HeadRecord | undefined;
    let close: CloseRecord | undefined;
    let markers: MarkRecord[] = [];
    if (idx) {
      const { records } = parseIndex(idx);
      head = records.find((x): x is HeadRecord => x.t === 'head');
      close = records.find((x): x is CloseRecord => x.t === 'close');
      markers = records.filter((x): x is MarkRecord => x.t === 'mark');
    }
    const seg: SegmentFile = {
      camera: m[1],
      segment: Number(m[2]),
      path,
      bytes: video.length,
      sha256: sha(video),
      closeSha256: close?.sha256 ?? null,
      prevSha256: head?.prev ?? null,
      startWall: head?.startWall ?? null,
      endWall: close?.endWall ?? null,
      recovered: close?.recovered === true,
      markers,
    };
    if (!close) damaged.push(`${path}: no close record in its index`);
    else if (close.sha256 !== seg.sha256) damaged.push(`${path}: hashes to ${seg.sha256.slice(0, 12)}…, its index says ${close.sha256.slice(0, 12)}…`);
    segments.push(seg);
  }
  segments.sort((a, b) => (a.camera === b.camera ? a.segment - b.segment : a.camera < b.camera ? -1 : 1));

  const chainBreaks: string[] = [];
  for (let i = 1; i < segments.length; i++) {
    const [prev, s] = [segments[i - 1], segments[i]];
    if (prev.camera !== s.camera) continue;
    if (s.segment !== prev.segment + 1) chainBreaks.push(`${s.camera}: segment ${prev.segment} is followed by ${s.segment}`);
    else if (s.prevSha256 !== prev.sha256) chainBreaks.push(`${s.path} does not chain to ${prev.path}`);
  }

  const onCard = new Map(segments.map((s) => [s.path, s]));
  const journalMismatches: string[] = [];
  for (const e of r.journal.records.filter((x) => x.type === 'segment-closed')) {
    const path = String(e.data.path);
    const f = onCard.get(path);
    if (!f) journalMismatches.push(`${path}: journalled as closed, not on the card`);
    else if (f.sha256 !== e.data.sha256 || f.bytes !== e.data.bytes) journalMismatches.push(`${path}: the file differs from the journal's hash or size`);
  }

  const playbackMismatches: string[] = [];
  for (const p of r.playbacks) {
    const file = files.get(p.path);
    const bytes = file ? Buffer.from(file) : null;
    if (!bytes || p.data.length === 0 || bytes.indexOf(Buffer.from(p.data)) < 0) playbackMismatches.push(`playback of ${p.path} at ${Math.round(p.t)} s returned bytes that are not in the file`);
  }

  const refusedCardWrites: string[] = [];
  for (const { label, storage, before } of otherCards) {
    for (const [path, bytes] of digests(storage)) {
      const was = before.get(path);
      if (was === undefined) refusedCardWrites.push(`${label}: ${path} written`);
      else if (bytes !== was) refusedCardWrites.push(`${label}: ${path} changed`);
    }
  }

  const lostEarlierFiles: string[] = [];
  for (const [path, digest] of earlierFiles) {
    const now = files.get(path);
    if (!now) lostEarlierFiles.push(`${path}: gone`);
    else if (sha(now) !== digest) lostEarlierFiles.push(`${path}: changed`);
  }

  return { segments, damaged, chainBreaks, journalMismatches, playbackMismatches, refusedCardWrites, lostEarlierFiles };
}

/** Empty evidence, for records without storage (tests that build records by hand). */
export const NO_EVIDENCE: CardEvidence = { segments: [], damaged: [], chainBreaks: [], journalMismatches: [], playbackMismatches: [], refusedCardWrites: [], lostEarlierFiles: [] };

/** A card other than the registered one, and the hash of each file it held when first inserted. */
export interface OtherCard {
  label: string;
  storage: SimStorage;
  before: Map<string, string>;
}

/** Path → SHA-256 of every file on a simulated medium (read from the world side: the card may be out of any slot). */
export function digests(storage: SimStorage): Map<string, string> {
  const out = new Map<string, string>();
  for (const [path, bytes] of storage.snapshot()) out.set(path, sha(bytes));
  return out;
}
