/**
 * The shift state machine as an explicit table (R-REC-1, R-REC-2, R-REC-6, R-LOG-2):
 *
 *   stowed ──issue──▶ issued ──duty-start──▶ on-duty ◀──resume── paused
 *      ▲                │                      │  └───pause───────▶ │
 *      │                └──return──┐           └──return──┐         └──return──┐
 *   offloaded                      ▼                      ▼                    ▼
 *      └──────────── docked ◀──dock── returned ◀───────────────────────────────┘
 *                      │ ▲                       (docked ──issue──▶ issued)
 *                      └─┘ undock → returned
 *
 * Commands not in the table are refused with `ForbiddenTransitionError`: nobody can stop
 * recording or switch the device off on duty (R-REC-6), there is no pause without an
 * authorisation (R-REC-2), and there is no deletion event at all.
 */
import { ForbiddenTransitionError } from '../common/errors.ts';

export type ShiftState = 'stowed' | 'issued' | 'on-duty' | 'paused' | 'returned' | 'docked';
export const SHIFT_STATES: readonly ShiftState[] = ['stowed', 'issued', 'on-duty', 'paused', 'returned', 'docked'];

/** Commands people (or their signed authorisations) give the device. */
export type ShiftCommand = 'issue' | 'duty-start' | 'pause' | 'resume' | 'return' | 'stop-recording' | 'power-off' | 'offloaded';
/** Physical events the device observes; outside the table they change nothing. */
export type ShiftSignal = 'dock' | 'undock';
export type ShiftEvent = ShiftCommand | ShiftSignal;

export const SHIFT_COMMANDS: readonly ShiftCommand[] = ['issue', 'duty-start', 'pause', 'resume', 'return', 'stop-recording', 'power-off', 'offloaded'];

/** The allowed transitions; nothing else is possible. */
export const TRANSITIONS: Readonly<Record<ShiftState, Partial<Record<ShiftEvent, ShiftState>>>> = {
  stowed: { issue: 'issued', 'power-off': 'stowed' },
  issued: { 'duty-start': 'on-duty', return: 'returned', 'power-off': 'issued' },
  'on-duty': { pause: 'paused', return: 'returned' },
  paused: { resume: 'on-duty', return: 'returned' },
  returned: { dock: 'docked', 'power-off': 'returned' },
  docked: { issue: 'issued', offloaded: 'stowed', undock: 'returned', 'power-off': 'docked' },
};

/** Why a command is refused in a state, for the journal and the error (when there is a specific reason). */
const REFUSALS: Partial<Record<ShiftState, Partial<Record<ShiftCommand, string>>>> = {
  'on-duty': {
    'stop-recording': 'recording cannot be switched off during duty (R-REC-6)',
    'power-off': 'the device cannot be switched off during duty (R-REC-6)',
    issue: 'the device is already issued',
  },
  paused: {
    'stop-recording': 'recording cannot be switched off during duty (R-REC-6)',
    'power-off': 'the device cannot be switched off during duty (R-REC-6)',
    pause: 'already paused',
  },
  issued: { pause: 'no recording to pause before duty starts', issue: 'the device is already issued' },
};

export function isSignal(event: ShiftEvent): event is ShiftSignal {
  return event === 'dock' || event === 'undock';
}

/** The next state, or a `ForbiddenTransitionError` for a command the table does not allow. */
export function nextState(from: ShiftState, event: ShiftEvent): ShiftState {
  const to = TRANSITIONS[from][event];
  if (to !== undefined) return to;
  if (isSignal(event)) return from;
  throw new ForbiddenTransitionError(from, event, REFUSALS[from]?.[event as ShiftCommand]);
}

export function isAllowed(from: ShiftState, event: ShiftEvent): boolean {
  return TRANSITIONS[from][event] !== undefined;
}

/** States in which the recorder runs (duty). */
export function isDuty(state: ShiftState): boolean {
  return state === 'on-duty' || state === 'paused';
}
