/**
 * The recorder (R-REC-1): records one camera from duty start to duty end into segments cut at
 * GOP boundaries (default 60 s), with no gap and no overlap.
 *
 * - Every GOP that overlaps duty time outside an authorised pause is kept: the GOP in flight
 *   when a pause starts, the one in flight when it ends, and the one covering the end of duty.
 *   So nothing of the duty is lost at the edges; the time actually left unrecorded by a pause
 *   (`PauseHandle.settled`) is the pause window trimmed to GOP boundaries, and segment
 *   durations plus those spans equal the duty time within one GOP.
 * - A segment is a run of contiguous GOPs; it is closed when it reaches the target length, at a
 *   pause, at a discontinuity of the camera stream, and at the end of duty.
 * - Start and end times come from the device clock, which the clock guard trusts before duty can
 *   start; `segment-closed` is journalled only after the segment is durable and final.
 * - Writes go only to a ready evidence volume (R-CARD-3). When the card goes away or fails, the
 *   open segment is left for recovery, recording stops (alert + journal) and resumes into a new
 *   segment as soon as the card is back. A camera error is a fault; the camera is re-opened.
 * - There is no delete anywhere here (R-REC-6).
 */
import { Subject, type Observable, type Subscription } from 'rxjs';
import { z } from 'zod';
import type { Camera, VideoChunk } from '../../hal/camera.ts';
import type { Clock, TimerHandle } from '../../hal/clock.ts';
import type { Storage } from '../../hal/storage.ts';
import { StorageFullError, StorageUnavailableError } from '../../hal/errors.ts';
import type { EvidenceVolume, CardReadiness } from '../card/evidence-volume.ts';
import type { AlertSink } from '../alerts/alert-sink.ts';
import type { ServiceJournal } from '../common/journal.ts';
import type { FaultReporter } from '../faults/fault-reporter.ts';
import { SerialQueue, loadJson, saveJson } from '../common/persisted.ts';
import { CommandRefusedError, errorMessage } from '../common/errors.ts';
import type { RecorderConfig } from '../app/config.ts';
import { SegmentWriter, type ClosedSegment } from './segment-writer.ts';
import { closedSegmentNumbers, readClosedSegment, recoverCamera, recoverSegment, type RecoveredSegment } from './recovery.ts';
import { ZERO_SHA256 } from './segment-index.ts';
import type { RecordingHealth } from './recording-health.ts';

export type RecorderPhase = 'idle' | 'running' | 'finishing' | 'done';

export interface RecorderStats {
  phase: RecorderPhase;
  camera: string;
  segmentsClosed: number;
  /** Segment being written, if any. */
  openSegment: number | null;
  /** Duration of every GOP written durably (ms). */
  recordedMs: number;
  bytesWritten: number;
  /** GOPs that could not be written (card absent or full, write error). */
  lostChunks: number;
  lastSha256: string;
  nextSegment: number;
}

export interface AssignedMarker {
  camera: string;
  segment: number;
  offsetMs: number;
  wall: number;
  mono: number;
  note?: string;
}

/** A pause in progress; `settled` resolves with the time left unrecorded once recording resumes or ends. */
export interface PauseHandle {
  readonly from: number;
  readonly settled: Promise<number>;
}

const stateSchema = z.object({ nextSegment: z.number().int().nonnegative(), lastSha256: z.string().regex(/^[0-9a-f]{64}$/), lastSegment: z.number().int() });
type ChainState = z.infer<typeof stateSchema>;

export interface RecorderOptions {
  camera: Camera;
  /** Short camera id used in paths and the journal ("main", "front-left"…). */
  cameraName: string;
  clock: Clock;
  evidence: EvidenceVolume;
  internal: Storage;
  journal: ServiceJournal;
  alerts: AlertSink;
  faults: FaultReporter;
  health: RecordingHealth;
  /** Device serial number, written into every segment. */
  device: string;
  video: RecorderConfig['video'];
  config: RecorderConfig['recorder'];
}

interface PauseWindow {
  from: number;
  to: number | null;
  settle: (unrecordedMs: number) => void;
}

interface PendingMarker {
  mono: number;
  wall: number;
  note?: string;
}

export class Recorder {
  private phase: RecorderPhase = 'idle';
  private chain: ChainState = { nextSegment: 0, lastSha256: ZERO_SHA256, lastSegment: -1 };
  private writer: SegmentWriter | null = null;
  private readonly queue = new SerialQueue();
  private camSub: Subscription | null = null;
  private readySub: Subscription | null = null;
  private retryTimer: TimerHandle | null = null;
  private finishTimer: TimerHandle | null = null;
  private cardReady = false;
  private cardState: CardReadiness = 'absent';
  private needsRecovery = true;
  /** Until this monotonic time, GOPs are dropped without a write attempt (after a full card). */
  private holdOffUntil = -Infinity;
  private writeFailures = 0;
  // Pause / finish bookkeeping (monotonic ms).
  /** Pause windows not yet settled (a GOP after them not yet seen), oldest first. */
  private windows: PauseWindow[] = [];
  private finishAt: number | null = null;
  private finished: Promise<RecorderStats> | null = null;
  private resolveFinished: ((s: RecorderStats) => void) | null = null;
  /** End of the last GOP accepted for recording (pause accounting). */
  private lastAcceptedEnd: number | null = null;
  private pendingMarkers: PendingMarker[] = [];
  private lastClosed: ClosedSegment | null = null;
  /** Merged intervals of durably recorded time, [start, end] monotonic ms. */
  private readonly intervals: Array<[number, number]> = [];
  private readonly halfFrame: number;
  private readonly segmentsSubject = new Subject<ClosedSegment>();
  private readonly markersSubject = new Subject<AssignedMarker>();
  /** Each segment once it is closed, durable and journalled. */
  readonly segments$: Observable<ClosedSegment> = this.segmentsSubject.asObservable();
  /** Each marker once it has been placed in a segment and journalled. */
  readonly markers$: Observable<AssignedMarker> = this.markersSubject.asObservable();
  private statsData = { segmentsClosed: 0, recordedMs: 0, bytesWritten: 0, lostChunks: 0 };
  private startedJournalled = false;

  constructor(private readonly o: RecorderOptions) {
    this.halfFrame = 500 / o.video.fps;
  }

  get camera(): string {
    return this.o.cameraName;
  }

  get statePath(): string {
    return `state/recorder-${this.o.cameraName}.json`;
  }

  /** Loads the hash-chain state and recovers what a power cut left open on the card. */
  async prepare(): Promise<void> {
    const { value } = await loadJson(this.o.internal, this.statePath, stateSchema, this.chain);
    this.chain = value;
    this.cardState = this.o.evidence.readiness();
    this.cardReady = this.cardState === 'ready';
    if (this.cardReady) await this.queue.run(() => this.recoverCard());
  }

  /** Starts recording: subscribes to the camera and the card's readiness. */
  start(): void {
    if (this.phase !== 'idle' && this.phase !== 'done') return;
    this.phase = 'running';
    this.finishAt = null;
    this.finished = null;
    this.windows = [];
    this.lastAcceptedEnd = null;
    this.startedJournalled = false;
    // Counters and intervals describe one run (one duty in one boot).
    this.statsData = { segmentsClosed: 0, recordedMs: 0, bytesWritten: 0, lostChunks: 0 };
    this.intervals.length = 0;
    this.readySub = this.o.evidence.readiness$.subscribe((r) => this.onReadiness(r));
    this.subscribeCamera();
  }

  /** Begins an authorised pause now (R-REC-2). */
  pause(): PauseHandle {
    if (this.phase !== 'running') throw new CommandRefusedError('pause', `the recorder is ${this.phase}`);
    if (this.paused) throw new CommandRefusedError('pause', 'already paused');
    const from = this.o.clock.monotonic();
    let settle: (ms: number) => void = () => undefined;
    const settled = new Promise<number>((resolve) => {
      settle = resolve;
    });
    this.windows.push({ from, to: null, settle });
    return { from, settled };
  }

  /** Ends the pause now; recording picks up with the GOP in flight. */
  resume(): void {
    const w = this.windows[this.windows.length - 1];
    if (w && w.to === null) w.to = this.o.clock.monotonic();
  }

  get paused(): boolean {
    const w = this.windows[this.windows.length - 1];
    return w !== undefined && w.to === null;
  }

  /**
   * Ends recording. With `waitForEnd`, keeps the camera running until the GOP covering this
   * instant has been written (duty end: nothing of the duty is lost); without, closes at once
   * (power-off: the GOP in flight is lost with the power). Resolves when the last segment is
   * closed; in the simulator that needs the clock to run for up to one GOP.
   */
  finish(waitForEnd: boolean): Promise<RecorderStats> {
    if (this.phase === 'idle' || this.phase === 'done') return Promise.resolve(this.stats());
    if (this.finished) {
      if (!waitForEnd) this.complete();
      return this.finished;
    }
    this.phase = 'finishing';
    this.finishAt = this.o.clock.monotonic();
    this.finished = new Promise((resolve) => {
      this.resolveFinished = resolve;
    });
    const end = this.recordingEnd();
    if (!waitForEnd || (this.lastAcceptedEnd !== null && this.lastAcceptedEnd >= end - this.halfFrame)) {
      this.complete();
    } else {
      const gop = (this.o.video.keyframeInterval / this.o.video.fps) * 1000;
      this.finishTimer = this.o.clock.setTimeout(() => this.complete(), gop + this.o.config.endOfDutyGraceMs);
    }
    return this.finished;
  }

  /** Marks this moment (R-REC-8); it is placed in the segment that records it. */
  mark(note?: string): { mono: number; wall: number } {
    const m: PendingMarker = { mono: this.o.clock.monotonic(), wall: this.o.clock.wallTime() };
    if (note !== undefined) m.note = note;
    this.pendingMarkers.push(m);
    return { mono: m.mono, wall: m.wall };
  }

  stats(): RecorderStats {
    return {
      phase: this.phase,
      camera: this.o.cameraName,
      ...this.statsData,
      openSegment: this.writer?.segment ?? null,
      lastSha256: this.chain.lastSha256,
      nextSegment: this.chain.nextSegment,
    };
  }

  /** Durably recorded time as merged [start, end] intervals (monotonic ms). */
  recordedIntervals(): ReadonlyArray<readonly [number, number]> {
    return this.intervals;
  }

  /** The segment being written, with its start, for playback of the open segment. */
  openSegment(): { segment: number; startMono: number } | null {
    return this.writer && !this.writer.isEmpty ? { segment: this.writer.segment, startMono: this.writer.startMono } : null;
  }

  /** Resolves when every write queued so far has finished. */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  // ---- camera and card events ----

  private subscribeCamera(): void {
    this.retryTimer = null;
    if (this.phase !== 'running' && this.phase !== 'finishing') return;
    try {
      this.camSub = this.o.camera
        .video({
          width: this.o.video.width,
          height: this.o.video.height,
          fps: this.o.video.fps,
          bitrate: this.o.video.bitrate,
          keyframeInterval: this.o.video.keyframeInterval,
        })
        .subscribe({
          next: (c) => this.onChunk(c),
          error: (err: unknown) => this.onCameraFailure(errorMessage(err)),
          complete: () => this.onCameraFailure('video stream ended'),
        });
    } catch (err) {
      this.onCameraFailure(errorMessage(err));
    }
  }

  private onCameraFailure(detail: string): void {
    this.camSub = null;
    if (this.phase !== 'running' && this.phase !== 'finishing') return;
    this.o.faults.raise(this.faultName(), detail);
    this.o.health.markStopped(this.o.cameraName, `camera: ${detail}`);
    void this.queue.run(() => this.closeWriter());
    if (this.phase === 'finishing') {
      this.complete();
      return;
    }
    this.retryTimer = this.o.clock.setTimeout(() => this.subscribeCamera(), this.o.config.cameraRetryMs);
  }

  private onReadiness(r: CardReadiness): void {
    const wasReady = this.cardReady;
    this.cardState = r;
    this.cardReady = r === 'ready';
    if (wasReady && !this.cardReady) {
      this.needsRecovery = true;
      void this.queue.run(() => this.abandonWriter());
      if (this.phase === 'running' || this.phase === 'finishing') this.o.health.markStopped(this.o.cameraName, `card ${r}`);
    } else if (!wasReady && this.cardReady) {
      this.needsRecovery = true;
      this.holdOffUntil = -Infinity;
      this.writeFailures = 0;
    }
  }

  private onChunk(c: VideoChunk): void {
    if (this.phase !== 'running' && this.phase !== 'finishing') return;
    if (this.o.faults.isFaulty(this.faultName())) this.o.faults.clear(this.faultName(), 'video again');
    const eps = this.halfFrame;
    const end = c.pts + c.durationMs;
    // Keep every GOP that overlaps duty time outside the pause windows.
    let accept = !(this.finishAt !== null && c.pts >= this.finishAt - eps);
    for (const w of this.windows) {
      if (c.pts >= w.from - eps && (w.to === null || end <= w.to + eps)) accept = false;
    }
    if (accept) this.settleWindows(c.pts, end);
    if (accept) {
      this.lastAcceptedEnd = end;
      void this.queue.run(() => this.writeChunk(c));
    } else if (this.writer) {
      void this.queue.run(() => this.closeWriter());
    }
    if (this.finishAt !== null && (!accept || end >= this.recordingEnd() - eps)) this.complete();
  }

  /** The last instant recording should cover once finishing: the pause start if paused. */
  private recordingEnd(): number {
    const finishAt = this.finishAt ?? this.o.clock.monotonic();
    const w = this.windows[this.windows.length - 1];
    return w && w.to === null ? Math.min(w.from, finishAt) : finishAt;
  }

  /**
   * An accepted GOP [start, end) ends every closed window before it: the first such window gets
   * the hole between the last kept GOP and this one (the time the pause really left
   * unrecorded); further windows in the same hole get zero.
   */
  private settleWindows(start: number, end: number): void {
    let hole = Math.max(0, start - (this.lastAcceptedEnd ?? start));
    while (this.windows.length > 0) {
      const w = this.windows[0];
      if (w.to === null || end <= w.to + this.halfFrame) break;
      if (start < w.from - this.halfFrame) break; // GOP in flight when this pause began
      this.windows.shift();
      w.settle(hole);
      hole = 0;
    }
  }

  private complete(): void {
    if (this.phase !== 'finishing') return;
    this.phase = 'done';
    this.finishTimer?.cancel();
    this.finishTimer = null;
    this.retryTimer?.cancel();
    this.retryTimer = null;
    this.camSub?.unsubscribe();
    this.camSub = null;
    this.readySub?.unsubscribe();
    this.readySub = null;
    // Pauses still unsettled at the end: their unrecorded time runs to the end of the duty.
    const finishAt = this.finishAt ?? this.o.clock.monotonic();
    let covered = this.lastAcceptedEnd ?? -Infinity;
    for (const w of this.windows.splice(0)) {
      const from = Math.max(covered, w.from);
      const until = Math.min(w.to ?? finishAt, finishAt);
      w.settle(Math.max(0, until - from));
      covered = Math.max(covered, until);
    }
    void this.queue.run(async () => {
      await this.closeWriter();
      await this.flushMarkers(null);
      this.o.health.reset();
      this.resolveFinished?.(this.stats());
      this.resolveFinished = null;
    });
  }

  // ---- writing (serialised on the queue) ----

  private async writeChunk(c: VideoChunk): Promise<void> {
    const now = this.o.clock.monotonic();
    if (!this.cardReady || now < this.holdOffUntil) {
      this.statsData.lostChunks += 1;
      if (this.cardReady) return;
      this.o.health.markStopped(this.o.cameraName, `card ${this.cardState}`);
      return;
    }
    try {
      if (this.needsRecovery) await this.recoverCard();
      if (this.writer && Math.abs(c.pts - this.writer.endMono) > this.halfFrame) await this.closeWriter();
      if (!this.writer) await this.openWriter();
      await this.writer!.append(c);
    } catch (err) {
      this.statsData.lostChunks += 1;
      await this.onWriteError(err);
      return;
    }
    const w = this.writer!;
    this.writeFailures = 0;
    this.statsData.recordedMs += c.durationMs;
    this.statsData.bytesWritten += c.data.length;
    this.addInterval(c.pts, c.pts + c.durationMs);
    if (!this.startedJournalled) {
      this.startedJournalled = true;
      this.o.journal.note('recording-started', { segment: w.segment });
    }
    this.o.health.markRecording(this.o.cameraName, w.segment);
    if (this.pendingMarkers.length > 0) await this.flushMarkers(c.pts + c.durationMs);
    if (w.durationMs >= this.o.config.segmentMs - this.halfFrame) await this.closeWriter();
  }

  private async openWriter(): Promise<void> {
    const segment = this.chain.nextSegment;
    this.writer = await SegmentWriter.open(this.o.evidence.storage, {
      device: this.o.device,
      camera: this.o.cameraName,
      videoDir: this.o.config.videoDir,
      segment,
      prevSha256: this.chain.lastSha256,
      wallOffset: this.wallOffset(),
      width: this.o.video.width,
      height: this.o.video.height,
      fps: this.o.video.fps,
    });
    this.chain.nextSegment = segment + 1;
  }

  private async closeWriter(): Promise<void> {
    const w = this.writer;
    if (!w) return;
    this.writer = null;
    if (w.isEmpty) {
      await w.abandon();
      this.chain.nextSegment = w.segment; // nothing written: the number is reused
      return;
    }
    let closed: ClosedSegment;
    try {
      closed = await w.close(this.wallOffset());
    } catch (err) {
      this.writer = w;
      await this.onWriteError(err);
      return;
    }
    await this.segmentDone(closed);
  }

  private async abandonWriter(): Promise<void> {
    const w = this.writer;
    if (!w) return;
    this.writer = null;
    await w.abandon();
  }

  /** A write failed: let go of the segment, close it by recovery if the card still works. */
  private async onWriteError(err: unknown): Promise<void> {
    const w = this.writer;
    this.writer = null;
    if (w) await w.abandon();
    if (err instanceof StorageFullError) {
      this.o.alerts.raise({ kind: 'storage-full', severity: 'critical', message: `evidence card full: ${this.o.cameraName} cannot record`, details: { camera: this.o.cameraName } });
      this.o.health.markStopped(this.o.cameraName, 'card full');
    } else if (err instanceof StorageUnavailableError) {
      this.o.health.markStopped(this.o.cameraName, 'card unavailable');
    } else {
      this.o.faults.raise(`evidence card (${this.o.cameraName})`, errorMessage(err));
      this.o.health.markStopped(this.o.cameraName, `write failed: ${errorMessage(err)}`);
    }
    this.needsRecovery = true;
    // Back off while the card keeps failing (full for hours, dying): 2 s, 4 s, … up to a minute.
    this.writeFailures += 1;
    const backoff = Math.min(60_000, this.o.config.cameraRetryMs * 2 ** Math.min(10, this.writeFailures - 1));
    this.holdOffUntil = this.o.clock.monotonic() + backoff;
    if (w && this.cardReady) {
      try {
        const r = await recoverSegment(this.o.evidence.storage, this.o.config.videoDir, this.o.cameraName, w.segment);
        if (r) await this.recovered(r);
        else this.chain.nextSegment = Math.min(this.chain.nextSegment, w.segment);
        this.needsRecovery = false;
      } catch {
        // The card refuses even that; recovery runs again before the next write.
      }
    }
  }

  private async recoverCard(): Promise<void> {
    const storage = this.o.evidence.storage;
    const { videoDir } = this.o.config;
    const known = this.chain.lastSegment;
    const result = await recoverCamera(storage, videoDir, this.o.cameraName);
    // Segments closed after our last persisted state may have missed their journal entry (the
    // power went while it was being written): journal them now. At worst an entry is doubled.
    if (result.tip.lastSegment > known && result.tip.lastSegment >= 0) {
      const recoveredNumbers = new Set(result.recovered.map((r) => r.closed.segment));
      for (const n of await closedSegmentNumbers(storage, videoDir, this.o.cameraName)) {
        if (n <= known || recoveredNumbers.has(n)) continue;
        const closed = await readClosedSegment(storage, videoDir, this.o.cameraName, n);
        if (closed) await this.segmentDone(closed);
      }
    }
    for (const r of result.recovered) await this.recovered(r);
    // The card's chain tip wins when it is at least as far as ours (same card); a fresh or
    // foreign card continues our numbering and chain.
    if (result.tip.lastSegment >= this.chain.lastSegment) {
      this.chain = { nextSegment: result.tip.nextSegment, lastSha256: result.tip.lastSha256, lastSegment: result.tip.lastSegment };
    } else {
      this.chain.nextSegment = Math.max(this.chain.nextSegment, result.tip.nextSegment);
    }
    this.needsRecovery = false;
    await this.saveChain();
  }

  /** The chain tip on internal storage; losing it costs only a re-scan of the card at boot. */
  private async saveChain(): Promise<void> {
    try {
      await saveJson(this.o.internal, this.statePath, this.chain);
    } catch (err) {
      this.o.faults.raise('internal storage', `recorder state: ${errorMessage(err)}`);
    }
  }

  private async recovered(r: RecoveredSegment): Promise<void> {
    await this.o.journal.append('segment-recovered', {
      segment: r.closed.segment,
      camera: r.closed.camera,
      path: r.closed.path,
      droppedBytes: r.droppedBytes,
      keptBytes: r.atOffset,
    });
    await this.segmentDone(r.closed);
  }

  private async segmentDone(closed: ClosedSegment): Promise<void> {
    await this.o.journal.append('segment-closed', {
      segment: closed.segment,
      path: closed.path,
      camera: closed.camera,
      startWall: closed.startWall,
      endWall: closed.endWall,
      startMono: closed.startMono,
      endMono: closed.endMono,
      durationMs: closed.durationMs,
      frames: closed.frames,
      bytes: closed.bytes,
      sha256: closed.sha256,
      prevSha256: closed.prevSha256,
    });
    if (closed.segment >= this.chain.lastSegment) {
      this.chain.lastSegment = closed.segment;
      this.chain.lastSha256 = closed.sha256;
      this.chain.nextSegment = Math.max(this.chain.nextSegment, closed.segment + 1);
    }
    this.lastClosed = closed;
    this.statsData.segmentsClosed += 1;
    await this.saveChain();
    this.segmentsSubject.next(closed);
  }

  /** Places pending markers up to `upTo` (all when null) into the open or last segment. */
  private async flushMarkers(upTo: number | null): Promise<void> {
    while (this.pendingMarkers.length > 0 && (upTo === null || this.pendingMarkers[0].mono < upTo)) {
      const m = this.pendingMarkers.shift()!;
      const w = this.writer && !this.writer.isEmpty ? this.writer : null;
      const segment = w?.segment ?? this.lastClosed?.segment ?? this.chain.nextSegment;
      const start = w?.startMono ?? this.lastClosed?.startMono ?? m.mono;
      const offsetMs = Math.max(0, m.mono - start);
      if (w) {
        try {
          await w.mark(offsetMs, m.wall, m.mono, m.note);
        } catch {
          // The journal entry below still records the marker.
        }
      }
      await this.o.journal.append('marker', m.note === undefined ? { segment, offsetMs, wall: m.wall } : { segment, offsetMs, wall: m.wall, note: m.note });
      const assigned: AssignedMarker = { camera: this.o.cameraName, segment, offsetMs, wall: m.wall, mono: m.mono };
      if (m.note !== undefined) assigned.note = m.note;
      this.markersSubject.next(assigned);
    }
  }

  private addInterval(start: number, end: number): void {
    const last = this.intervals[this.intervals.length - 1];
    if (last && start <= last[1] + this.halfFrame) last[1] = Math.max(last[1], end);
    else this.intervals.push([start, end]);
  }

  private wallOffset(): number {
    return this.o.clock.wallTime() - this.o.clock.monotonic();
  }

  private faultName(): string {
    return `camera ${this.o.cameraName}`;
  }
}
