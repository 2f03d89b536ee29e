/**
 * On-device playback (R-REC-4): reads a time window of a segment (closed or still being
 * written) through its index, so only whole GOPs are returned and every returned buffer starts
 * at a keyframe and plays on its own. Every playback is journalled. Reading never changes or
 * removes anything (R-REC-6).
 */
import type { Storage } from '../../hal/storage.ts';
import { FileNotFoundError } from '../../hal/errors.ts';
import type { ServiceJournal } from '../common/journal.ts';
import { InvalidCommandError } from '../common/errors.ts';
import { parseIndex, segmentPaths, type GopRecord, type HeadRecord } from './segment-index.ts';

export interface PlaybackClip {
  camera: string;
  segment: number;
  path: string;
  /** Annex-B bytes of whole GOPs covering the request. */
  data: Uint8Array;
  /** Actual window returned, relative to the segment start (ms). */
  fromMs: number;
  toMs: number;
  frames: number;
  /** The segment is still being recorded. */
  open: boolean;
}

export interface PlaybackRequest {
  camera: string;
  segment: number;
  /** Start of the window relative to the segment start (ms); default 0. */
  fromMs?: number;
  /** End of the window (ms); default the end of what is recorded. */
  toMs?: number;
}

export class PlaybackService {
  constructor(
    private readonly storage: () => Storage,
    private readonly videoDir: string,
    private readonly journal: ServiceJournal,
  ) {}

  async play(req: PlaybackRequest): Promise<PlaybackClip> {
    const fromMs = req.fromMs ?? 0;
    if (!Number.isFinite(fromMs) || fromMs < 0 || (req.toMs !== undefined && !(req.toMs > fromMs))) {
      throw new InvalidCommandError(`playback: bad window ${fromMs}..${req.toMs}`);
    }
    const storage = this.storage();
    const paths = segmentPaths(this.videoDir, req.camera, req.segment);
    let open = false;
    let indexBytes: Uint8Array;
    try {
      indexBytes = await storage.read(paths.index);
    } catch (err) {
      if (!(err instanceof FileNotFoundError)) throw err;
      indexBytes = await storage.read(paths.indexPart);
      open = true;
    }
    const { records } = parseIndex(indexBytes);
    const head = records.find((r): r is HeadRecord => r.t === 'head');
    const gops = records.filter((r): r is GopRecord => r.t === 'gop');
    if (!head || gops.length === 0) throw new InvalidCommandError(`playback: segment ${req.segment} of ${req.camera} holds no video yet`);
    const rel = (g: GopRecord) => g.pts - head.startMono;
    const toMs = req.toMs ?? Infinity;
    const chosen = gops.filter((g) => rel(g) + g.d > fromMs && rel(g) < toMs);
    if (chosen.length === 0) throw new InvalidCommandError(`playback: nothing recorded in ${fromMs}..${req.toMs} ms of segment ${req.segment}`);
    const first = chosen[0];
    const last = chosen[chosen.length - 1];
    const path = open ? paths.videoPart : paths.video;
    const data = await storage.read(path, first.o, last.o + last.n - first.o);
    const clip: PlaybackClip = {
      camera: req.camera,
      segment: req.segment,
      path: paths.video,
      data,
      fromMs: rel(first),
      toMs: rel(last) + last.d,
      frames: chosen.reduce((n, g) => n + g.f, 0),
      open,
    };
    await this.journal.append('playback', { segment: req.segment, path: paths.video, fromMs: clip.fromMs, toMs: clip.toMs });
    return clip;
  }
}
