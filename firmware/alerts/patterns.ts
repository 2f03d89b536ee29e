/**
 * How each alert is announced on the device (R-PWR-2, R-TIME-1): LED, buzzer and vibration
 * patterns, and how often a standing alert repeats. Battery alerts follow the market anchor
 * (Axon Body 2: 4 beeps every 20 s at ≤ 20 min left); the untrusted clock has its own pattern
 * (5 short beeps, no vibration) so it can never be mistaken for a battery alarm.
 */
import type { IndicatorOutput, Pattern } from '../../hal/indicators.ts';
import type { AlertKind } from './alert-sink.ts';

/** `fast` = every `alerts.repeatMs` (20 s), `slow` = every `alerts.slowRepeatMs`, `once` = no repetition. */
export type Repetition = 'fast' | 'slow' | 'once';

export interface Announcement {
  outputs: Partial<Record<IndicatorOutput, Pattern>>;
  repeat: Repetition;
}

/** `n` pulses of `on` ms separated by `off` ms: [on, off, on, …, on]. */
export function pulses(n: number, on: number, off: number): Pattern {
  const p: number[] = [];
  for (let i = 0; i < n; i++) {
    if (i > 0) p.push(off);
    p.push(on);
  }
  return p;
}

export const ANNOUNCEMENTS: Readonly<Record<AlertKind, Announcement>> = {
  'battery-low': {
    outputs: { 'led-amber': pulses(4, 250, 250), buzzer: pulses(4, 120, 130), vibration: pulses(2, 400, 200) },
    repeat: 'fast',
  },
  'battery-critical': {
    outputs: { 'led-red': pulses(8, 125, 125), buzzer: pulses(8, 100, 100), vibration: pulses(4, 300, 150) },
    repeat: 'fast',
  },
  'battery-empty': {
    outputs: { 'led-red': [2000], buzzer: [1500], vibration: [1500] },
    repeat: 'once',
  },
  'battery-swap-needed': {
    outputs: { 'led-amber': pulses(2, 500, 250), buzzer: pulses(2, 200, 200) },
    repeat: 'slow',
  },
  'clock-untrusted': {
    outputs: { 'led-red': pulses(5, 80, 120), 'led-amber': pulses(5, 80, 120), buzzer: pulses(5, 80, 120) },
    repeat: 'fast',
  },
  'storage-low': {
    outputs: { 'led-amber': pulses(3, 300, 300), buzzer: pulses(3, 200, 300) },
    repeat: 'slow',
  },
  'storage-full': {
    outputs: { 'led-red': pulses(3, 600, 300), buzzer: pulses(3, 500, 300), vibration: pulses(3, 500, 300) },
    repeat: 'fast',
  },
  'condensation-risk': {
    outputs: { 'led-amber': pulses(2, 1000, 500) },
    repeat: 'slow',
  },
  'device-fault': {
    outputs: { 'led-red': pulses(3, 700, 300), buzzer: pulses(2, 700, 300) },
    repeat: 'slow',
  },
  'card-refused': {
    outputs: { 'led-red': pulses(4, 400, 200), buzzer: pulses(4, 300, 200) },
    repeat: 'fast',
  },
  'card-removed': {
    outputs: { 'led-red': pulses(4, 400, 200), buzzer: pulses(4, 300, 200), vibration: pulses(2, 500, 300) },
    repeat: 'fast',
  },
  'seal-opened': {
    outputs: { 'led-red': pulses(6, 150, 150), buzzer: pulses(3, 400, 200) },
    repeat: 'slow',
  },
  'certificate-expired': {
    outputs: { 'led-red': [3000], buzzer: pulses(2, 500, 500) },
    repeat: 'slow',
  },
  'recording-stopped': {
    outputs: { 'led-red': pulses(3, 1000, 300), buzzer: pulses(3, 800, 300), vibration: pulses(3, 800, 300) },
    repeat: 'fast',
  },
};
