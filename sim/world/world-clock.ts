/** The part of the virtual clock the world models use (VirtualClock satisfies it). */
import type { TimerHandle } from '../../hal/clock.ts';

export interface WorldClock {
  /** True UTC time of the simulated world (ms since the epoch). */
  trueTime(): number;
  /** Runs `callback` once after `delayMs` of simulated time. */
  setTimeout(callback: () => void, delayMs: number): TimerHandle;
}
