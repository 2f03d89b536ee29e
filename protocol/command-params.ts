/**
 * Parameters each privileged action carries inside its signed authorisation (`params`), so the
 * dock, the device and third-party tools agree on them (docs/protocol.md §9.2). The device
 * validates them after the signature; invalid parameters are refused with EINVALID.
 */
import { z } from 'zod';
import type { AuthorizedAction } from './authorization.ts';

const ms = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

export const COMMAND_PARAMS = {
  /** R-TIME-2: the new wall time (ms since epoch). */
  'set-time': z.object({ time: ms }),
  /** R-REC-2: a rest or meal pause of at most maxMinutes. */
  pause: z.object({ reason: z.enum(['rest', 'meal']), maxMinutes: z.number().positive().max(240) }),
  /** R-CARD-3: the card (SD CID) registered to this device, with its inventory number. */
  'register-card': z.object({ cid: z.string().regex(/^[0-9a-f]{32}$/), inventoryNumber: z.string().min(1).max(64) }),
  /** R-CARD-2: the slot was sealed again after a card change. */
  reseal: z.object({ seal: z.string().max(64).optional() }),
  /** R-LOG-2, R-PWR-4: handed to an officer or a crew for a shift of plannedShiftHours. */
  issue: z.object({
    plannedShiftHours: z.number().positive().max(24),
    officer: z.string().min(1).max(128).optional(),
    vehicle: z.object({ boardNumber: z.string().max(32).optional(), plate: z.string().max(32).optional(), trip: z.string().max(32).optional() }).optional(),
    note: z.string().max(256).optional(),
  }),
  /** R-LOG-2: handed back. */
  return: z.object({ note: z.string().max(256).optional() }),
  /** R-LOG-5: a correction that references an earlier journal entry. */
  'journal-correction': z.object({ corrects: z.number().int().nonnegative(), note: z.string().min(1).max(1024) }),
} as const satisfies Record<AuthorizedAction, z.ZodType>;

export type CommandParams<A extends AuthorizedAction> = z.infer<(typeof COMMAND_PARAMS)[A]>;
