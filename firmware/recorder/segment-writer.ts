/**
 * Writes one segment: GOPs appended to `NNNNNNNN.h264.part` and hashed (SHA-256) as they are
 * written, each made durable (sync) before its index line is appended and synced; at close the
 * index gets a `close` line with the hash, and both files are renamed to their final names.
 * The first GOP carries the segment identity SEI with the previous segment's hash (chain).
 */
import { createHash, type Hash } from 'node:crypto';
import type { AppendFile, Storage } from '../../hal/storage.ts';
import type { VideoChunk } from '../../hal/camera.ts';
import { StorageError } from '../../hal/errors.ts';
import { encodeIndexLine, segmentPaths, type SegmentPaths } from './segment-index.ts';
import { encodeSegmentSei, insertBeforeFirstPicture } from './sei.ts';

export interface SegmentHead {
  device: string;
  camera: string;
  videoDir: string;
  segment: number;
  prevSha256: string;
  /** Wall − monotonic offset of the device clock when the segment opens. */
  wallOffset: number;
  width: number;
  height: number;
  fps: number;
}

/** What a closed segment is, as journalled (`segment-closed`, R-REC-1). */
export interface ClosedSegment {
  segment: number;
  camera: string;
  path: string;
  startWall: number;
  endWall: number;
  startMono: number;
  endMono: number;
  durationMs: number;
  frames: number;
  bytes: number;
  sha256: string;
  prevSha256: string;
}

export class SegmentWriter {
  private readonly hash: Hash = createHash('sha256');
  private gops = 0;
  bytes = 0;
  frames = 0;
  durationMs = 0;
  startMono = NaN;
  endMono = NaN;
  private startWall = NaN;
  private closed = false;
  private headWritten = false;

  private constructor(
    private readonly storage: Storage,
    readonly head: SegmentHead,
    readonly paths: SegmentPaths,
    private readonly video: AppendFile,
    private readonly index: AppendFile,
  ) {}

  /** Creates the `.part` files (emptying leftovers of an unused number from an earlier boot). */
  static async open(storage: Storage, head: SegmentHead): Promise<SegmentWriter> {
    const paths = segmentPaths(head.videoDir, head.camera, head.segment);
    for (const p of [paths.videoPart, paths.indexPart]) {
      const st = await storage.stat(p);
      if (st && st.size > 0) await storage.truncate(p, 0);
    }
    const video = await storage.openAppend(paths.videoPart);
    let index: AppendFile;
    try {
      index = await storage.openAppend(paths.indexPart);
    } catch (err) {
      await video.close();
      throw err;
    }
    return new SegmentWriter(storage, head, paths, video, index);
  }

  get segment(): number {
    return this.head.segment;
  }

  get isEmpty(): boolean {
    return this.gops === 0;
  }

  /**
   * Appends one GOP and makes it durable, then indexes it. On failure nothing of this GOP is
   * indexed (the storage contract writes all of an append or nothing).
   */
  async append(chunk: VideoChunk): Promise<void> {
    const first = this.gops === 0;
    if (first) this.startWall = chunk.pts + this.head.wallOffset;
    const data = first
      ? insertBeforeFirstPicture(
          chunk.data,
          encodeSegmentSei({
            v: 1,
            device: this.head.device,
            camera: this.head.camera,
            segment: this.head.segment,
            prev: this.head.prevSha256,
            startWall: this.startWall,
          }),
        )
      : chunk.data;
    if (!this.headWritten) {
      this.headWritten = true;
      await this.index.append(
        encodeIndexLine({
          t: 'head',
          v: 1,
          device: this.head.device,
          camera: this.head.camera,
          segment: this.head.segment,
          prev: this.head.prevSha256,
          startWall: this.startWall,
          startMono: chunk.pts,
          width: this.head.width,
          height: this.head.height,
          fps: this.head.fps,
        }),
      );
    }
    const offset = this.video.size;
    await this.video.append(data);
    this.hash.update(data);
    await this.video.sync();
    await this.index.append(
      encodeIndexLine({ t: 'gop', i: this.gops, o: offset, n: data.length, pts: chunk.pts, d: chunk.durationMs, f: chunk.frames, m: chunk.mode }),
    );
    await this.index.sync();
    if (first) this.startMono = chunk.pts;
    this.gops += 1;
    this.bytes += data.length;
    this.frames += chunk.frames;
    this.durationMs += chunk.durationMs;
    this.endMono = chunk.pts + chunk.durationMs;
  }

  /** Adds a marker line (R-REC-8); durable with the next sync or at close. */
  async mark(offsetMs: number, wall: number, mono: number, note?: string): Promise<void> {
    await this.index.append(encodeIndexLine(note === undefined ? { t: 'mark', offsetMs, wall, mono } : { t: 'mark', offsetMs, wall, mono, note }));
  }

  /** Finishes the segment: close line, sync, final names. Requires at least one GOP. */
  async close(wallOffset: number): Promise<ClosedSegment> {
    if (this.closed) throw new StorageError('ECLOSED', `segment ${this.head.segment} is already closed`);
    this.closed = true;
    const sha256 = this.hash.digest('hex');
    const endWall = this.endMono + wallOffset;
    await this.index.append(
      encodeIndexLine({ t: 'close', sha256, bytes: this.bytes, frames: this.frames, durationMs: this.durationMs, endWall, endMono: this.endMono }),
    );
    await this.index.sync();
    await this.video.close();
    await this.index.close();
    await this.storage.rename(this.paths.videoPart, this.paths.video);
    await this.storage.rename(this.paths.indexPart, this.paths.index);
    return {
      segment: this.head.segment,
      camera: this.head.camera,
      path: this.paths.video,
      startWall: this.startWall,
      endWall,
      startMono: this.startMono,
      endMono: this.endMono,
      durationMs: this.durationMs,
      frames: this.frames,
      bytes: this.bytes,
      sha256,
      prevSha256: this.head.prevSha256,
    };
  }

  /**
   * Lets go of the files without finishing (the card went away or stopped accepting writes):
   * the `.part` files stay where they are and power-on recovery closes them.
   */
  async abandon(): Promise<void> {
    this.closed = true;
    await this.video.close().catch(() => undefined);
    await this.index.close().catch(() => undefined);
  }
}
