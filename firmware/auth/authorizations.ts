/**
 * Signed authorisations arriving from the dock or the uplink: verified (schema, provisioned key,
 * Ed25519 signature, this device, role, replay counter, expiry), the replay guard persisted
 * *before* the action runs, then handed to the handler registered for the action. Anything
 * refused is journalled with the reason (R-LOG-1) and rejected with a typed error: an unsigned,
 * foreign or replayed command can never pause recording or change the time.
 */
import type { Clock } from '../../hal/clock.ts';
import type { Storage } from '../../hal/storage.ts';
import {
  AuthorizationError,
  decodeAuthorizationBody,
  type AuthorizationBody,
  type AuthorizedAction,
  type SignedAuthorization,
  type TrustedKey,
} from '../../protocol/authorization.ts';
import type { ServiceJournal } from '../common/journal.ts';
import { SerialQueue } from '../common/persisted.ts';
import { CommandRefusedError, errorMessage } from '../common/errors.ts';
import type { Authorizer } from '../clock/clock-guard.ts';
import { PersistentAuthorizationGate, type AuthorizationGate } from './authorization-gate.ts';

/** What a handler gets: the verified body and the journal's "by" record. */
export interface VerifiedAuthorization {
  body: AuthorizationBody;
  by: Authorizer;
}

export type AuthorizationHandler = (auth: VerifiedAuthorization) => Promise<unknown>;

/**
 * A handler that verifies the authorisation itself, through the same gate (the card guard does,
 * so it can check the card and the seal in the same step as the counter).
 */
export type SelfVerifyingHandler = (signed: SignedAuthorization) => Promise<{ by: Authorizer; result: unknown }>;

export interface AuthorizationOutcome {
  action: AuthorizedAction;
  by: Authorizer;
  /** What the handler returned (e.g. the new shift state). */
  result: unknown;
}

export interface AuthorizationServiceOptions {
  clock: Clock;
  /** Internal storage: holds the replay counters when no gate is given. */
  internal: Storage;
  /** The device's one authorisation gate; opened on internal storage at `load()` when absent. */
  gate?: AuthorizationGate;
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
  private gate: AuthorizationGate | null;
  private gateProblem: string | null = null;
  private readonly handlers = new Map<AuthorizedAction, AuthorizationHandler>();
  private readonly selfVerifying = new Map<AuthorizedAction, SelfVerifyingHandler>();
  /** One authorisation at a time, so two commands cannot race on the replay counters. */
  private readonly serial = new SerialQueue();

  constructor(private readonly o: AuthorizationServiceOptions) {
    this.gate = o.gate ?? null;
  }

  /** Opens the replay counters; if they are unreadable every authorisation is refused (never forgotten). */
  async load(): Promise<string | null> {
    if (this.gate) return null;
    try {
      this.gate = await PersistentAuthorizationGate.open({
        storage: this.o.internal,
        device: this.o.device,
        trusted: this.o.trusted,
        trustedNow: () => (this.o.clockTrusted() ? this.o.clock.wallTime() : undefined),
      });
      return null;
    } catch (err) {
      this.gateProblem = errorMessage(err);
      return `replay counters: ${this.gateProblem}; authorisations are refused`;
    }
  }

  /** Registers the handler for an action, run after the gate verified the authorisation. */
  register(action: AuthorizedAction, handler: AuthorizationHandler): void {
    this.handlers.set(action, handler);
  }

  /** Registers a handler that verifies through the gate itself (the card guard: `register-card`, `reseal`). */
  registerSelfVerifying(action: AuthorizedAction, handler: SelfVerifyingHandler): void {
    this.selfVerifying.set(action, handler);
  }

  handle(signed: SignedAuthorization): Promise<AuthorizationOutcome> {
    return this.serial.run(() => this.process(signed));
  }

  private async process(signed: SignedAuthorization): Promise<AuthorizationOutcome> {
    let action: AuthorizedAction;
    try {
      if (!(signed?.body instanceof Uint8Array) || !(signed.signature instanceof Uint8Array)) {
        throw new AuthorizationError('malformed', 'an authorisation needs a body and a signature');
      }
      action = decodeAuthorizationBody(signed.body).action;
    } catch (err) {
      await this.refuse(actionName(signed), err);
      throw err;
    }
    const self = this.selfVerifying.get(action);
    if (self) {
      try {
        const { by, result } = await self(signed);
        return { action, by, result };
      } catch (err) {
        await this.refuse(action, err);
        throw err;
      }
    }
    let body: AuthorizationBody;
    try {
      if (!this.gate) throw new CommandRefusedError(action, `replay counters unavailable (${this.gateProblem ?? 'not loaded'})`);
      const handler = this.handlers.get(action);
      // A valid authorisation nothing here acts on is refused before its counter is consumed.
      if (!handler) throw new CommandRefusedError(action, 'this device does not handle this action');
      // The gate persists the consumed counter before we act: after a power cut it is still refused.
      body = await this.gate.authorize(signed, action);
    } catch (err) {
      await this.refuse(action, err);
      throw err;
    }
    const by: Authorizer = { name: body.signer, keyId: body.keyId, counter: body.counter };
    try {
      const result = await this.handlers.get(action)!({ body, by });
      return { action, by, result };
    } catch (err) {
      await this.refuse(action, err);
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
