/**
 * Signed authorisations arriving from the dock or the uplink: verified (schema, provisioned key,
 * Ed25519 signature, this device, role, replay counter, expiry), the replay guard persisted
 * *before* the action runs, then handed to the handler registered for the action. Anything
 * refused is journalled with the reason (R-LOG-1) and rejected with a typed error: an unsigned,
 * foreign or replayed command can never pause recording or change the time.
 */
import { z } from 'zod';
import type { Clock } from '../../hal/clock.ts';
import type { Storage } from '../../hal/storage.ts';
import {
  AuthorizationError,
  ReplayGuard,
  decodeAuthorizationBody,
  verifyAuthorization,
  type AuthorizationBody,
  type AuthorizedAction,
  type SignedAuthorization,
  type TrustedKey,
} from '../../protocol/authorization.ts';
import type { ServiceJournal } from '../common/journal.ts';
import { SerialQueue, loadJson, saveJson } from '../common/persisted.ts';
import { CommandRefusedError, errorMessage } from '../common/errors.ts';
import type { Authorizer } from '../clock/clock-guard.ts';

export const REPLAY_STATE_PATH = 'state/replay.json';

/** What a handler gets: the verified body and the journal's "by" record. */
export interface VerifiedAuthorization {
  body: AuthorizationBody;
  by: Authorizer;
}

export type AuthorizationHandler = (auth: VerifiedAuthorization) => Promise<unknown>;

export interface AuthorizationOutcome {
  action: AuthorizedAction;
  by: Authorizer;
  /** What the handler returned (e.g. the new shift state). */
  result: unknown;
}

export interface AuthorizationServiceOptions {
  clock: Clock;
  internal: Storage;
  journal: ServiceJournal;
  /** This device's serial number. */
  device: string;
  trusted: readonly TrustedKey[];
  /** Whether the device clock is trusted now (enables the notAfter check). */
  clockTrusted: () => boolean;
  /** Current shift state for refusal entries. */
  state?: () => string;
}

export class AuthorizationService {
  private replay = new ReplayGuard();
  private readonly handlers = new Map<AuthorizedAction, AuthorizationHandler>();
  /** One authorisation at a time, so two commands cannot race on the replay guard. */
  private readonly serial = new SerialQueue();

  constructor(private readonly o: AuthorizationServiceOptions) {}

  async load(): Promise<string | null> {
    const { value, problem } = await loadJson(this.o.internal, REPLAY_STATE_PATH, z.record(z.string(), z.number().int()), {});
    this.replay = new ReplayGuard(value);
    return problem;
  }

  /** Registers the handler for an action (the card guard registers `register-card` and `reseal`). */
  register(action: AuthorizedAction, handler: AuthorizationHandler): void {
    this.handlers.set(action, handler);
  }

  handle(signed: SignedAuthorization): Promise<AuthorizationOutcome> {
    return this.serial.run(() => this.process(signed));
  }

  private async process(signed: SignedAuthorization): Promise<AuthorizationOutcome> {
    let body: AuthorizationBody;
    try {
      if (!(signed?.body instanceof Uint8Array) || !(signed.signature instanceof Uint8Array)) {
        throw new AuthorizationError('malformed', 'an authorisation needs a body and a signature');
      }
      body = verifyAuthorization(signed, {
        device: this.o.device,
        trusted: this.o.trusted,
        replay: this.replay,
        trustedNow: this.o.clockTrusted() ? this.o.clock.wallTime() : undefined,
      });
    } catch (err) {
      await this.refuse(actionName(signed), err);
      throw err;
    }
    const handler = this.handlers.get(body.action);
    if (!handler) {
      // A valid authorisation nothing here acts on (e.g. card registration before the card guard is wired).
      const err = new CommandRefusedError(body.action, 'this device does not handle this action');
      await this.refuse(body.action, err);
      throw err;
    }
    // Persist the consumed counter before acting: after a power cut it must still be refused.
    await saveJson(this.o.internal, REPLAY_STATE_PATH, this.replay.toJSON());
    const by: Authorizer = { name: body.signer, keyId: body.keyId, counter: body.counter };
    try {
      const result = await handler({ body, by });
      return { action: body.action, by, result };
    } catch (err) {
      await this.refuse(body.action, err);
      throw err;
    }
  }

  private async refuse(action: string, err: unknown): Promise<void> {
    const reason = err instanceof AuthorizationError ? err.reason : errorMessage(err);
    const state = this.o.state?.();
    await this.o.journal.append('action-refused', state ? { action, reason, state } : { action, reason });
  }
}

function actionName(signed: SignedAuthorization | undefined): string {
  try {
    if (signed?.body instanceof Uint8Array) return `authorisation:${decodeAuthorizationBody(signed.body).action}`;
  } catch {
    // fall through
  }
  return 'authorisation';
}
