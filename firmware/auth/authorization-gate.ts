/**
 * The device's single door for signed authorisations (protocol/authorization.ts): full
 * verification against the provisioned keys, then the replay counter is persisted on internal
 * storage *before* the caller may act, so a power cut can never let the same command run twice.
 * Every service that executes privileged commands (card registration, reseal, time set, pause,
 * issue/return, journal corrections) should share one gate per device.
 */
import type { Storage } from '../../hal/storage.ts';
import { DozorError, FileNotFoundError, InvalidOptionsError } from '../../hal/errors.ts';
import {
  ReplayGuard,
  verifyAuthorization,
  type AuthorizationBody,
  type AuthorizedAction,
  type SignedAuthorization,
  type TrustedKey,
} from '../../protocol/authorization.ts';

export interface AuthorizationGate {
  /**
   * Verifies `auth` completely for exactly `action` and durably consumes its counter. Resolves
   * with the verified body; rejects with `AuthorizationError` (or a storage error, in which case
   * nothing was consumed and nothing may be done).
   */
  authorize(auth: SignedAuthorization, action: AuthorizedAction): Promise<AuthorizationBody>;
}

export interface PersistentAuthorizationGateOptions {
  /** Internal storage. */
  storage: Storage;
  /** Where the replay counters live (default "auth/replay-counters.json"). */
  path?: string;
  /** This device's serial number. */
  device: string;
  /** Provisioned keys (responsible person, unit head, duty officers, dock). */
  trusted: readonly TrustedKey[];
  /** Device wall time while the clock is trusted (enables `notAfter`), else undefined. */
  trustedNow?: () => number | undefined;
}

/** The persisted replay state cannot be read: refusing everything is the only safe answer. */
export class ReplayStateCorruptError extends DozorError {
  constructor(path: string, detail: string) {
    super('EREPLAYSTATE', `replay counters in ${path} are unreadable (${detail}); authorisations are refused until it is restored`);
  }
}

export class PersistentAuthorizationGate implements AuthorizationGate {
  private chain: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly options: PersistentAuthorizationGateOptions,
    private readonly path: string,
    private replay: ReplayGuard,
  ) {}

  static async open(options: PersistentAuthorizationGateOptions): Promise<PersistentAuthorizationGate> {
    if (!options || !options.storage) throw new InvalidOptionsError('authorisation gate: storage required');
    if (typeof options.device !== 'string' || options.device.length === 0) throw new InvalidOptionsError('authorisation gate: device serial required');
    if (!Array.isArray(options.trusted)) throw new InvalidOptionsError('authorisation gate: trusted keys required');
    const path = options.path ?? 'auth/replay-counters.json';
    let state: Record<string, number> = {};
    try {
      const raw = await options.storage.read(path);
      const parsed: unknown = JSON.parse(new TextDecoder().decode(raw));
      if (!isCounterMap(parsed)) throw new Error('not a map of key id to counter');
      state = parsed;
    } catch (err) {
      if (!(err instanceof FileNotFoundError)) throw new ReplayStateCorruptError(path, (err as Error).message);
    }
    return new PersistentAuthorizationGate(options, path, new ReplayGuard(state));
  }

  authorize(auth: SignedAuthorization, action: AuthorizedAction): Promise<AuthorizationBody> {
    const run = this.chain.then(() => this.authorizeNow(auth, action));
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** Highest consumed counter per key id (for the dock status and tests). */
  counters(): Record<string, number> {
    return this.replay.toJSON();
  }

  private async authorizeNow(auth: SignedAuthorization, action: AuthorizedAction): Promise<AuthorizationBody> {
    const before = this.replay.toJSON();
    const body = verifyAuthorization(auth, {
      device: this.options.device,
      trusted: this.options.trusted,
      replay: this.replay,
      action,
      trustedNow: this.options.trustedNow?.(),
    });
    try {
      await this.options.storage.writeAtomic(this.path, new TextEncoder().encode(JSON.stringify(this.replay.toJSON())));
    } catch (err) {
      // Not durable, so not consumed: the command is not executed and may be sent again.
      this.replay = new ReplayGuard(before);
      throw err;
    }
    return body;
  }
}

function isCounterMap(v: unknown): v is Record<string, number> {
  return (
    v !== null &&
    typeof v === 'object' &&
    !Array.isArray(v) &&
    Object.values(v as Record<string, unknown>).every((n) => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0)
  );
}
