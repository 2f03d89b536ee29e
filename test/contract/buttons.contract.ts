/**
 * The Buttons contract (hal/buttons.ts): debounced press/release events with their times,
 * `isPressed`, and the device lifecycle. The fixture plays the operator's finger.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ButtonEvent, ButtonName, Buttons } from '../../hal/buttons.ts';
import { DeviceClosedError } from '../../hal/errors.ts';

export interface ButtonsFixture {
  buttons: Buttons;
  /** Buttons this board has (at least record and marker). */
  wired: readonly ButtonName[];
  /** The debounce time the driver was configured with (ms, > 2). */
  debounceMs: number;
  press(button: ButtonName): Promise<void> | void;
  release(button: ButtonName): Promise<void> | void;
  now(): number;
  advance(ms: number): Promise<void>;
  cleanup(): Promise<void>;
}

export interface ButtonsFixtureOptions {
  /** Buttons already held down when the driver opens. */
  held?: readonly ButtonName[];
}

export function describeButtonsContract(implementation: string, makeFixture: (options?: ButtonsFixtureOptions) => Promise<ButtonsFixture>): void {
  describe(`Buttons contract: ${implementation}`, () => {
    let fx: ButtonsFixture | undefined;
    const open = async (options?: ButtonsFixtureOptions) => {
      fx = await makeFixture(options);
      const events: ButtonEvent[] = [];
      fx.buttons.events$.subscribe((e) => events.push(e));
      return { fx, events };
    };
    afterEach(async () => {
      await fx?.buttons.close();
      await fx?.cleanup();
      fx = undefined;
    });

    it('R-REC-8: a marker press and release are one debounced event each, stamped when they settled', async () => {
      const { fx, events } = await open();
      await fx.advance(100);
      const pressedAt = fx.now();
      await fx.press('marker');
      await fx.advance(fx.debounceMs - 1);
      expect(events).toEqual([]);
      expect(fx.buttons.isPressed('marker')).toBe(false);
      await fx.advance(1);
      expect(events).toEqual([{ button: 'marker', action: 'press', at: pressedAt + fx.debounceMs }]);
      expect(fx.buttons.isPressed('marker')).toBe(true);
      await fx.advance(200);
      const releasedAt = fx.now();
      await fx.release('marker');
      await fx.advance(fx.debounceMs + 5);
      expect(events[1]).toEqual({ button: 'marker', action: 'release', at: releasedAt + fx.debounceMs });
      expect(fx.buttons.isPressed('marker')).toBe(false);
    });

    it('contact chatter shorter than the debounce time gives a single press', async () => {
      const { fx, events } = await open();
      for (let i = 0; i < 3; i++) {
        await fx.press('record');
        await fx.advance(1);
        await fx.release('record');
        await fx.advance(1);
      }
      await fx.press('record');
      await fx.advance(fx.debounceMs * 3);
      expect(events.map((e) => `${e.button}:${e.action}`)).toEqual(['record:press']);
    });

    it('tells buttons apart and reports overlapping presses in order', async () => {
      const { fx, events } = await open();
      await fx.press('record');
      await fx.advance(fx.debounceMs * 2);
      await fx.press('marker');
      await fx.advance(fx.debounceMs * 2);
      await fx.release('record');
      await fx.advance(fx.debounceMs * 2);
      await fx.release('marker');
      await fx.advance(fx.debounceMs * 2);
      expect(events.map((e) => `${e.button}:${e.action}`)).toEqual(['record:press', 'marker:press', 'record:release', 'marker:release']);
      expect(events.map((e) => e.at)).toEqual([...events.map((e) => e.at)].sort((a, b) => a - b));
    });

    it('a button held at power-on reads pressed but produces no press event', async () => {
      const { fx, events } = await open({ held: ['record'] });
      await fx.advance(fx.debounceMs * 3);
      expect(fx.buttons.isPressed('record')).toBe(true);
      expect(events).toEqual([]);
      await fx.release('record');
      await fx.advance(fx.debounceMs * 3);
      expect(events.map((e) => e.action)).toEqual(['release']);
    });

    it('close is idempotent, completes the event stream and refuses further use', async () => {
      const { fx } = await open();
      let completed = false;
      fx.buttons.events$.subscribe({ complete: () => (completed = true) });
      await fx.buttons.close();
      await fx.buttons.close();
      expect(completed).toBe(true);
      expect(() => fx.buttons.isPressed('record')).toThrow(DeviceClosedError);
    });
  });
}
