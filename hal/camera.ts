/**
 * Camera: a continuous H.264 video stream cut into keyframe-aligned chunks (from `rpicam-vid`
 * on a Pi, synthetic or ffmpeg-made in the simulator), plus stills for evidence photos.
 */
import type { Observable } from 'rxjs';
import type { Device } from './device.ts';

export interface VideoOptions {
  width: number;
  height: number;
  /** Frames per second. */
  fps: number;
  /** Target bitrate in bits per second. */
  bitrate: number;
  /** Frames between IDR frames (rpicam-vid `--intra`, default 60). */
  keyframeInterval: number;
}

/**
 * One group of pictures in H.264 Annex-B byte-stream format: starts with SPS/PPS and an IDR
 * frame (so every chunk is independently decodable) and holds `frames` frames.
 */
export interface VideoChunk {
  data: Uint8Array;
  /** Monotonic capture time of the first frame (ms). */
  pts: number;
  /** Duration of the chunk: frames / fps, in ms. */
  durationMs: number;
  frames: number;
  /** Capture mode when the chunk was taken (colour by day, monochrome under IR at night). */
  mode: 'day' | 'night';
}

export interface StillOptions {
  width: number;
  height: number;
}

export interface Still {
  data: Uint8Array;
  mime: 'image/jpeg' | 'image/png' | 'image/x-portable-pixmap';
  width: number;
  height: number;
  /** Monotonic capture time (ms). */
  at: number;
}

export interface Camera extends Device {
  /**
   * Subscribing starts continuous capture; unsubscribing stops it. Chunks arrive in order with
   * no gap: each chunk's pts equals the previous pts + durationMs (within one frame).
   * Errors (camera unplugged, encoder died) end the stream with a typed error.
   */
  video(options: VideoOptions): Observable<VideoChunk>;
  still(options: StillOptions): Promise<Still>;
  /** Tells the sensor pipeline the optics mode (IR-cut filter position) so frames match it. */
  setMode(mode: 'day' | 'night'): void;
}
