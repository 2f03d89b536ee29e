/**
 * Power-on recovery of segments a power cut (or a pulled card) left open. For each `.part`
 * segment: keep the index lines that survived intact, cut the video to the end of the last
 * indexed GOP (those bytes were synced before their index line was written, so they are
 * intact), hash what remains, add a `close` line marked `recovered` and give both files their
 * final names. Nothing synced is ever dropped; what is cut is the unsynced tail, and the
 * journal says how much. A `.part` with no indexed GOP is emptied and its number reused.
 */
import { createHash } from 'node:crypto';
import type { Storage } from '../../hal/storage.ts';
import { encodeIndexLine, parseIndex, segmentNumberOf, segmentPaths, ZERO_SHA256, type CloseRecord, type GopRecord, type HeadRecord } from './segment-index.ts';
import type { ClosedSegment } from './segment-writer.ts';
import { FileNotFoundError, StorageError } from '../../hal/errors.ts';

const READ_BLOCK = 1 << 20;

export interface RecoveredSegment {
  closed: ClosedSegment;
  /** Unsynced video bytes cut off the end. */
  droppedBytes: number;
  /** Where the video now ends. */
  atOffset: number;
}

export interface ChainTip {
  /** Next free segment number for this camera on this card. */
  nextSegment: number;
  /** SHA-256 of the highest closed segment, or zeros when there is none. */
  lastSha256: string;
  /** Number of that segment, or -1. */
  lastSegment: number;
}

export interface RecoveryResult {
  recovered: RecoveredSegment[];
  /** `.part` segments that held no durable GOP: emptied, their numbers free for reuse. */
  emptied: number[];
  tip: ChainTip;
}

/** SHA-256 of a whole file, read in blocks. */
export async function hashFile(storage: Storage, path: string, size?: number): Promise<string> {
  const total = size ?? (await storage.stat(path))?.size ?? 0;
  const h = createHash('sha256');
  for (let off = 0; off < total; off += READ_BLOCK) h.update(await storage.read(path, off, Math.min(READ_BLOCK, total - off)));
  return h.digest('hex');
}

async function readOrEmpty(storage: Storage, path: string): Promise<Uint8Array> {
  try {
    return await storage.read(path);
  } catch (err) {
    if (err instanceof FileNotFoundError) return new Uint8Array(0);
    throw err;
  }
}

/** Recovers one open segment; returns null when it held nothing durable (files emptied). */
export async function recoverSegment(storage: Storage, videoDir: string, camera: string, segment: number): Promise<RecoveredSegment | null> {
  const paths = segmentPaths(videoDir, camera, segment);
  // A cut between the two renames of a close leaves the video final and the index open.
  const partStat = await storage.stat(paths.videoPart);
  const finalStat = partStat ? null : await storage.stat(paths.video);
  const videoPath = finalStat ? paths.video : paths.videoPart;
  const videoSize = (partStat ?? finalStat)?.size ?? 0;
  const indexBytes = await readOrEmpty(storage, paths.indexPart);
  const { records, validBytes } = parseIndex(indexBytes);
  const head = records.find((r): r is HeadRecord => r.t === 'head');
  const close = records.find((r): r is CloseRecord => r.t === 'close');
  // Keep only GOPs whose bytes are really in the file, in order.
  const gops: GopRecord[] = [];
  let end = 0;
  for (const r of records) {
    if (r.t !== 'gop') continue;
    if (r.o !== end || r.o + r.n > videoSize) break;
    gops.push(r);
    end = r.o + r.n;
  }
  if (!head || gops.length === 0) {
    if (finalStat) throw new StorageError('ECORRUPT', `${paths.video} is final but its index ${paths.indexPart} holds no GOP`);
    if (videoSize > 0) await storage.truncate(paths.videoPart, 0);
    if (indexBytes.length > 0) await storage.truncate(paths.indexPart, 0);
    return null;
  }
  if (videoSize > end) await storage.truncate(videoPath, end);
  let sha256: string;
  const last = gops[gops.length - 1];
  const frames = gops.reduce((n, g) => n + g.f, 0);
  const durationMs = gops.reduce((n, g) => n + g.d, 0);
  const endMono = last.pts + last.d;
  const endWall = endMono - head.startMono + head.startWall;
  if (close && close.bytes === end) {
    // The cut came after the close line: the segment was complete, only the renames were missing.
    sha256 = close.sha256;
  } else {
    if (indexBytes.length > validBytes) await storage.truncate(paths.indexPart, validBytes);
    sha256 = await hashFile(storage, videoPath, end);
    const f = await storage.openAppend(paths.indexPart);
    try {
      await f.append(encodeIndexLine({ t: 'close', sha256, bytes: end, frames, durationMs, endWall, endMono, recovered: true }));
      await f.sync();
    } finally {
      await f.close();
    }
  }
  if (!finalStat) await storage.rename(paths.videoPart, paths.video);
  await storage.rename(paths.indexPart, paths.index);
  return {
    droppedBytes: Math.max(0, videoSize - end),
    atOffset: end,
    closed: {
      segment,
      camera,
      path: paths.video,
      startWall: head.startWall,
      endWall,
      startMono: head.startMono,
      endMono,
      durationMs,
      frames,
      bytes: end,
      sha256,
      prevSha256: head.prev,
    },
  };
}

/** Reads the hash recorded in a closed segment's index (its `close` line). */
export async function closedSegmentHash(storage: Storage, videoDir: string, camera: string, segment: number): Promise<string | null> {
  const { records } = parseIndex(await readOrEmpty(storage, segmentPaths(videoDir, camera, segment).index));
  const close = records.find((r): r is CloseRecord => r.t === 'close');
  return close ? close.sha256 : null;
}

/** Describes a closed segment from its index (head and close lines), or null when they are missing. */
export async function readClosedSegment(storage: Storage, videoDir: string, camera: string, segment: number): Promise<ClosedSegment | null> {
  const paths = segmentPaths(videoDir, camera, segment);
  const { records } = parseIndex(await readOrEmpty(storage, paths.index));
  const head = records.find((r): r is HeadRecord => r.t === 'head');
  const close = records.find((r): r is CloseRecord => r.t === 'close');
  if (!head || !close) return null;
  return {
    segment,
    camera,
    path: paths.video,
    startWall: head.startWall,
    endWall: close.endWall,
    startMono: head.startMono,
    endMono: close.endMono,
    durationMs: close.durationMs,
    frames: close.frames,
    bytes: close.bytes,
    sha256: close.sha256,
    prevSha256: head.prev,
  };
}

/** Numbers of the closed (final) segments of a camera on the card, ascending. */
export async function closedSegmentNumbers(storage: Storage, videoDir: string, camera: string): Promise<number[]> {
  const out: number[] = [];
  for (const f of await storage.list(`${videoDir}/${camera}/`)) {
    const n = segmentNumberOf(f.path);
    if (n !== null && f.path.endsWith('.h264')) out.push(n);
  }
  return out.sort((a, b) => a - b);
}

/** Recovers every open segment of a camera and finds the tip of its hash chain on the card. */
export async function recoverCamera(storage: Storage, videoDir: string, camera: string): Promise<RecoveryResult> {
  const files = await storage.list(`${videoDir}/${camera}/`);
  const parts = new Set<number>();
  let highestFinal = -1;
  for (const f of files) {
    const n = segmentNumberOf(f.path);
    if (n === null) continue;
    if (f.path.endsWith('.part')) parts.add(n);
    else if (f.path.endsWith('.h264')) highestFinal = Math.max(highestFinal, n);
  }
  const recovered: RecoveredSegment[] = [];
  const emptied: number[] = [];
  for (const n of [...parts].sort((a, b) => a - b)) {
    const r = await recoverSegment(storage, videoDir, camera, n);
    if (r) {
      recovered.push(r);
      highestFinal = Math.max(highestFinal, n);
    } else {
      emptied.push(n);
    }
  }
  let lastSha256 = ZERO_SHA256;
  if (highestFinal >= 0) lastSha256 = (await closedSegmentHash(storage, videoDir, camera, highestFinal)) ?? (await hashFile(storage, segmentPaths(videoDir, camera, highestFinal).video));
  // An emptied number just above the tip is reused by the next segment (the writer empties it again).
  return { recovered, emptied, tip: { nextSegment: highestFinal + 1, lastSha256, lastSegment: highestFinal } };
}
