/**
 * Runs a real-process camera (RpicamCamera over the fake rpicam tools) on a virtual clock.
 *
 * The fake rpicam-vid encodes faster than real time and the virtual clock stands still while
 * it does, so on its own a GOP would "arrive" before its frames were taken. On a Pi, the GOP
 * that starts at `pts` is complete — and the driver hands it on, when the next keyframe arrives
 * — at `pts + durationMs`. The pacer restores that: it passes each chunk on at that virtual
 * instant, and `advance(ms)` waits (in real time, for the child process) until every stream has
 * produced the video the new virtual time covers before moving the clock. Chunks the fake
 * produced ahead of the virtual time are not there yet in reality; a stream that ends (error or
 * close) drops them. The driver is unchanged: its timestamps (first bytes + frames / fps), GOP
 * cutting, process handling and errors are what the contract sees.
 */
import { Observable } from 'rxjs';
import type { Camera, VideoChunk, VideoOptions } from '../../../hal/camera.ts';
import type { TimerHandle } from '../../../hal/clock.ts';
import type { VirtualClock } from '../../../sim/virtual-clock.ts';

interface Stream {
  /** Virtual time up to which the driver has delivered video (end of the newest chunk). */
  covered: number;
  /** The driver has not produced its first chunk yet. */
  started: boolean;
  ended: boolean;
  held: Set<TimerHandle>;
  wake: Array<() => void>;
}

export class CameraPacer {
  private readonly streams = new Set<Stream>();
  readonly camera: Camera;

  constructor(
    private readonly real: Camera,
    private readonly clock: VirtualClock,
  ) {
    const video = (options: VideoOptions) => this.video(options);
    this.camera = {
      get name() {
        return real.name;
      },
      setMode: (mode) => real.setMode(mode),
      still: (options) => real.still(options),
      close: () => real.close(),
      video,
    };
  }

  private video(options: VideoOptions): Observable<VideoChunk> {
    return new Observable<VideoChunk>((subscriber) => {
      const stream: Stream = { covered: this.clock.monotonic(), started: false, ended: false, held: new Set(), wake: [] };
      const notify = () => stream.wake.splice(0).forEach((w) => w());
      const end = () => {
        stream.ended = true;
        for (const t of stream.held) t.cancel();
        stream.held.clear();
        this.streams.delete(stream);
        notify();
      };
      this.streams.add(stream);
      const inner = this.real.video(options).subscribe({
        next: (chunk) => {
          stream.started = true;
          const due = chunk.pts + chunk.durationMs;
          stream.covered = Math.max(stream.covered, due);
          const timer = this.clock.setTimeout(() => {
            stream.held.delete(timer);
            subscriber.next(chunk);
          }, due - this.clock.monotonic());
          stream.held.add(timer);
          notify();
        },
        error: (err: unknown) => {
          end();
          subscriber.error(err);
        },
        complete: () => {
          end();
          subscriber.complete();
        },
      });
      return () => {
        end();
        inner.unsubscribe();
      };
    });
  }

  /** Waits until the stream has video up to `until`, has ended, or (not started) has produced its first chunk. */
  private async produced(stream: Stream, until: number): Promise<void> {
    while (!stream.ended && (!stream.started || stream.covered < until)) {
      await new Promise<void>((resolve) => stream.wake.push(resolve));
    }
  }

  /** Lets `ms` of virtual time pass once the running captures have produced that much video. */
  async advance(ms: number): Promise<void> {
    const target = this.clock.monotonic() + ms;
    await Promise.all([...this.streams].map((s) => this.produced(s, target)));
    await this.clock.runUntil(target);
  }

  /** Waits until every running capture has ended (after an unplug). */
  async ended(): Promise<void> {
    await Promise.all([...this.streams].map((s) => this.produced(s, Infinity)));
  }
}
