/** Microphone level (the audio itself travels inside the video container on real boards). */
import type { Device } from './device.ts';

export interface MicrophoneSample {
  /** RMS level in dBFS (≤ 0; −Infinity for digital silence). */
  dbfs: number;
  at: number;
}

export interface Microphone extends Device {
  level(): Promise<MicrophoneSample>;
}
