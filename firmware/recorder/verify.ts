/**
 * Independent checks of recorded evidence: a segment's bytes against its index and recorded
 * hash, its identity SEI, its GOP structure (every GOP decodable on its own), and the hash chain
 * between consecutive segments of a camera. Used by tests, the power-cut property and tools.
 */
import { createHash } from 'node:crypto';
import type { Storage } from '../../hal/storage.ts';
import { GopAssembler } from '../../hal/drivers/h264.ts';
import { parseIndex, segmentNumberOf, segmentPaths, ZERO_SHA256, type CloseRecord, type GopRecord, type HeadRecord, type MarkRecord } from './segment-index.ts';
import { readSegmentSei, type SegmentIdentity } from './sei.ts';

export interface SegmentCheck {
  path: string;
  segment: number;
  ok: boolean;
  problems: string[];
  sha256: string;
  bytes: number;
  /** Frames found by parsing the Annex-B stream. */
  frames: number;
  gops: number;
  durationMs: number;
  identity: SegmentIdentity | null;
  prevSha256: string | null;
  recovered: boolean;
  markers: MarkRecord[];
}

/** Verifies one segment file (final `.h264` or an open `.h264.part`) against its index. */
export async function verifySegment(storage: Storage, videoPath: string): Promise<SegmentCheck> {
  const problems: string[] = [];
  const indexPath = videoPath.replace(/\.h264(\.part)?$/, (_m, part: string | undefined) => `.idx${part ?? ''}`);
  const video = await storage.read(videoPath);
  const sha256 = createHash('sha256').update(video).digest('hex');
  let records: ReturnType<typeof parseIndex>['records'] = [];
  try {
    records = parseIndex(await storage.read(indexPath)).records;
  } catch {
    problems.push(`index ${indexPath} is missing`);
  }
  const head = records.find((r): r is HeadRecord => r.t === 'head') ?? null;
  const close = records.find((r): r is CloseRecord => r.t === 'close') ?? null;
  const gopRecords = records.filter((r): r is GopRecord => r.t === 'gop');
  const markers = records.filter((r): r is MarkRecord => r.t === 'mark');
  const open = videoPath.endsWith('.part');
  let expected = 0;
  for (const g of gopRecords) {
    if (g.o !== expected) problems.push(`GOP ${g.i} starts at ${g.o}, expected ${expected}`);
    expected = g.o + g.n;
  }
  if (open) {
    if (video.length < expected) problems.push(`video holds ${video.length} bytes, index says ${expected}`);
  } else if (video.length !== expected) {
    problems.push(`video holds ${video.length} bytes, index says ${expected}`);
  }
  if (!open) {
    if (!close) problems.push('no close record');
    else if (close.sha256 !== sha256) problems.push(`hash ${sha256} does not match the recorded ${close.sha256}`);
  }
  // Parse the indexed part of the stream: every GOP must be a complete, decodable group.
  let frames = 0;
  let gops = 0;
  const assembler = new GopAssembler((g) => {
    gops += 1;
    frames += g.frames;
  });
  assembler.push(video.subarray(0, expected));
  assembler.flush();
  const indexedFrames = gopRecords.reduce((n, g) => n + g.f, 0);
  if (frames !== indexedFrames) problems.push(`stream has ${frames} frames, index says ${indexedFrames}`);
  if (assembler.droppedLeadingBytes > 0) problems.push(`${assembler.droppedLeadingBytes} bytes before the first keyframe`);
  const identity = readSegmentSei(video.subarray(0, Math.min(video.length, 4096)));
  if (!identity) problems.push('no segment identity SEI');
  else if (head && identity.prev !== head.prev) problems.push('identity SEI and index disagree on the previous hash');
  const segment = segmentNumberOf(videoPath) ?? -1;
  if (identity && identity.segment !== segment) problems.push(`identity says segment ${identity.segment}, file is ${segment}`);
  return {
    path: videoPath,
    segment,
    ok: problems.length === 0,
    problems,
    sha256,
    bytes: video.length,
    frames,
    gops,
    durationMs: gopRecords.reduce((n, g) => n + g.d, 0),
    identity,
    prevSha256: identity?.prev ?? head?.prev ?? null,
    recovered: close?.recovered === true,
    markers,
  };
}

export interface ChainCheck {
  ok: boolean;
  segments: SegmentCheck[];
  problems: string[];
}

/**
 * Verifies every closed segment of a camera and the chain: each segment's embedded previous
 * hash equals the hash of the segment before it (the first may continue an earlier card's chain).
 */
export async function verifyChain(storage: Storage, videoDir: string, camera: string): Promise<ChainCheck> {
  const files = (await storage.list(`${videoDir}/${camera}/`)).filter((f) => f.path.endsWith('.h264'));
  const segments: SegmentCheck[] = [];
  const problems: string[] = [];
  for (const f of files) segments.push(await verifySegment(storage, f.path));
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i];
    if (!s.ok) problems.push(`${s.path}: ${s.problems.join('; ')}`);
    if (i > 0) {
      const prev = segments[i - 1];
      if (s.segment !== prev.segment + 1) problems.push(`segment ${prev.segment} is followed by ${s.segment}`);
      if (s.prevSha256 !== prev.sha256) problems.push(`${s.path} does not chain to ${prev.path}`);
    } else if (s.segment === 0 && s.prevSha256 !== ZERO_SHA256) {
      problems.push(`${s.path}: first segment must chain to zeros`);
    }
  }
  return { ok: problems.length === 0, segments, problems };
}

export { segmentPaths };
