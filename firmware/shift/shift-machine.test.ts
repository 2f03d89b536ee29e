import { describe, expect, it } from 'vitest';
import { ForbiddenTransitionError } from '../common/errors.ts';
import { SHIFT_COMMANDS, SHIFT_STATES, TRANSITIONS, isAllowed, nextState, type ShiftState } from './shift-machine.ts';

describe('shift state machine', () => {
  it('R-REC-6: no state allows stopping the recording, and the device cannot be switched off on duty', () => {
    for (const s of SHIFT_STATES) {
      expect(() => nextState(s, 'stop-recording')).toThrow(ForbiddenTransitionError);
    }
    for (const s of ['on-duty', 'paused'] as const) {
      expect(() => nextState(s, 'power-off')).toThrow(/R-REC-6/);
    }
  });

  it('R-REC-2: pause exists only from on-duty, resume only from paused', () => {
    for (const s of SHIFT_STATES) {
      expect(isAllowed(s, 'pause')).toBe(s === 'on-duty');
      expect(isAllowed(s, 'resume')).toBe(s === 'paused');
    }
  });

  it('follows the documented cycle stowed → issued → on-duty ⇄ paused → returned → docked → stowed', () => {
    let s: ShiftState = 'stowed';
    for (const e of ['issue', 'duty-start', 'pause', 'resume', 'return', 'dock', 'offloaded'] as const) s = nextState(s, e);
    expect(s).toBe('stowed');
    expect(nextState('docked', 'issue')).toBe('issued');
    expect(nextState('issued', 'return')).toBe('returned');
    expect(nextState('paused', 'return')).toBe('returned');
  });

  it('every command outside the table is a typed error naming state and command', () => {
    let allowed = 0;
    let forbidden = 0;
    for (const s of SHIFT_STATES) {
      for (const c of SHIFT_COMMANDS) {
        if (TRANSITIONS[s][c] !== undefined) {
          allowed += 1;
          expect(nextState(s, c)).toBe(TRANSITIONS[s][c]);
        } else {
          forbidden += 1;
          try {
            nextState(s, c);
            expect.unreachable();
          } catch (err) {
            expect(err).toBeInstanceOf(ForbiddenTransitionError);
            expect(err).toMatchObject({ from: s, event: c, code: 'EFORBIDDEN' });
          }
        }
      }
    }
    expect(allowed).toBeGreaterThan(8);
    expect(forbidden).toBeGreaterThan(allowed);
  });

  it('physical dock signals outside the table change nothing and are not errors', () => {
    expect(nextState('on-duty', 'dock')).toBe('on-duty');
    expect(nextState('stowed', 'undock')).toBe('stowed');
    expect(nextState('returned', 'dock')).toBe('docked');
    expect(nextState('docked', 'undock')).toBe('returned');
  });
});
