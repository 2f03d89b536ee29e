/**
 * Signed authorisations: the only way to do the privileged things the regulations reserve for
 * named people — set the time (R-TIME-2), allow a meal/rest pause (R-REC-2), register a card and
 * reseal the slot (R-CARD-2/3), issue and return a device (R-LOG-2), correct the journal (R-LOG-5).
 *
 * An authorisation is a MessagePack map (the body) plus an Ed25519 signature by a provisioned
 * key over "dozor-auth-v1\0" ‖ body. Replay protection follows MAVLink 2 signing's stream rule
 * with a counter instead of a timestamp: for each key the device accepts only counters greater
 * than the highest it has accepted (persisted by the firmware), so a captured command cannot be
 * played again, and a device whose clock is wrong can still accept a time set.
 */
import { Packr } from 'msgpackr';
import { DozorError } from '../hal/errors.ts';
import type { Ed25519PrivateKey} from './crypto.ts';
import { fromHex, toHex, verifyEd25519 } from './crypto.ts';

export type Role = 'responsible' | 'unit-head' | 'duty-officer' | 'dock';
export const ROLES: readonly Role[] = ['responsible', 'unit-head', 'duty-officer', 'dock'];

export type AuthorizedAction =
  | 'set-time'
  | 'pause'
  | 'register-card'
  | 'reseal'
  | 'issue'
  | 'return'
  | 'journal-correction';

/** Which roles may sign which action (MVD 7, 9-2, 25; TRN 4). */
export const ACTION_ROLES: Readonly<Record<AuthorizedAction, readonly Role[]>> = {
  'set-time': ['responsible'],
  pause: ['duty-officer', 'responsible', 'unit-head'],
  'register-card': ['responsible'],
  reseal: ['responsible'],
  issue: ['responsible', 'duty-officer'],
  return: ['responsible', 'duty-officer'],
  'journal-correction': ['responsible'],
};

export interface AuthorizationBody {
  v: 1;
  action: AuthorizedAction;
  /** Serial number of the one device this authorisation is for. */
  device: string;
  /** Key id of the signer (see keyIdOf). */
  keyId: string;
  /** Name of the authorising person, as provisioned with the key. */
  signer: string;
  /** Strictly increasing per key: the replay guard. */
  counter: number;
  /** Signer's wall time when it was made (ms since epoch): for the journal. */
  issuedAt: number;
  /** Optional end of validity (ms since epoch), checked against a trusted device clock. */
  notAfter?: number;
  /** Action-specific parameters (e.g. { reason: 'meal', maxMinutes: 45 } for a pause). */
  params: Record<string, unknown>;
}

export interface SignedAuthorization {
  /** MessagePack of AuthorizationBody: signed as-is, so no re-encoding can change it. */
  body: Uint8Array;
  signature: Uint8Array;
}

export interface TrustedKey {
  keyId: string;
  name: string;
  role: Role;
  publicKey: Uint8Array;
}

export type AuthorizationFailure =
  | 'malformed'
  | 'unknown-key'
  | 'bad-signature'
  | 'wrong-device'
  | 'role-not-allowed'
  | 'replayed'
  | 'expired'
  | 'wrong-action';

export class AuthorizationError extends DozorError {
  constructor(readonly reason: AuthorizationFailure, detail: string) {
    super(`EAUTH_${reason.toUpperCase().replace(/-/g, '_')}`, `authorisation refused (${reason}): ${detail}`);
  }
}

const DOMAIN = new TextEncoder().encode('dozor-auth-v1\0');
const packr = new Packr({ useRecords: false, mapsAsObjects: true, variableMapSize: true });

function signedBytes(body: Uint8Array): Uint8Array {
  const out = new Uint8Array(DOMAIN.length + body.length);
  out.set(DOMAIN, 0);
  out.set(body, DOMAIN.length);
  return out;
}

export function signAuthorization(key: Ed25519PrivateKey, body: Omit<AuthorizationBody, 'v' | 'keyId'>): SignedAuthorization {
  const full: AuthorizationBody = { v: 1, keyId: key.keyId, ...body };
  const bytes = new Uint8Array(packr.pack(full));
  return { body: bytes, signature: key.sign(signedBytes(bytes)) };
}

export function decodeAuthorizationBody(body: Uint8Array): AuthorizationBody {
  let value: unknown;
  try {
    value = packr.unpack(body);
  } catch (err) {
    throw new AuthorizationError('malformed', `body is not MessagePack: ${(err as Error).message}`);
  }
  const b = value as Partial<AuthorizationBody> | null;
  if (
    !b ||
    typeof b !== 'object' ||
    b.v !== 1 ||
    typeof b.action !== 'string' ||
    !(b.action in ACTION_ROLES) ||
    typeof b.device !== 'string' ||
    typeof b.keyId !== 'string' ||
    typeof b.signer !== 'string' ||
    typeof b.counter !== 'number' ||
    !Number.isSafeInteger(b.counter) ||
    b.counter < 0 ||
    typeof b.issuedAt !== 'number' ||
    (b.notAfter !== undefined && typeof b.notAfter !== 'number') ||
    !b.params ||
    typeof b.params !== 'object'
  ) {
    throw new AuthorizationError('malformed', 'body does not match the authorisation schema');
  }
  return b as AuthorizationBody;
}

/** Highest accepted counter per key; the firmware persists `toJSON()` before acting. */
export class ReplayGuard {
  private readonly high = new Map<string, number>();

  constructor(state: Record<string, number> = {}) {
    for (const [k, v] of Object.entries(state)) this.high.set(k, v);
  }

  accepts(keyId: string, counter: number): boolean {
    return counter > (this.high.get(keyId) ?? -1);
  }

  record(keyId: string, counter: number): void {
    if (this.accepts(keyId, counter)) this.high.set(keyId, counter);
  }

  toJSON(): Record<string, number> {
    return Object.fromEntries([...this.high.entries()].sort(([a], [b]) => a.localeCompare(b)));
  }
}

export interface VerifyOptions {
  /** This device's serial number. */
  device: string;
  trusted: readonly TrustedKey[];
  replay: ReplayGuard;
  /** The action the caller is about to perform; the authorisation must be for exactly that. */
  action?: AuthorizedAction;
  /** Device wall time when the clock is trusted; enables the notAfter check. */
  trustedNow?: number;
}

/**
 * Checks an authorisation completely (schema, key, signature, device, role, replay, expiry) and,
 * on success, records its counter in the replay guard. Throws `AuthorizationError` otherwise.
 */
export function verifyAuthorization(auth: SignedAuthorization, opts: VerifyOptions): AuthorizationBody {
  const body = decodeAuthorizationBody(auth.body);
  const key = opts.trusted.find((k) => k.keyId === body.keyId);
  if (!key) throw new AuthorizationError('unknown-key', `key ${body.keyId} is not provisioned on this device`);
  if (!verifyEd25519(key.publicKey, signedBytes(auth.body), auth.signature)) {
    throw new AuthorizationError('bad-signature', `signature does not verify with key ${key.keyId} (${key.name})`);
  }
  if (opts.action && body.action !== opts.action) {
    throw new AuthorizationError('wrong-action', `expected ${opts.action}, got ${body.action}`);
  }
  if (body.device !== opts.device) {
    throw new AuthorizationError('wrong-device', `made for ${body.device}, this is ${opts.device}`);
  }
  if (!ACTION_ROLES[body.action].includes(key.role)) {
    throw new AuthorizationError('role-not-allowed', `${key.role} may not authorise ${body.action}`);
  }
  if (!opts.replay.accepts(key.keyId, body.counter)) {
    throw new AuthorizationError('replayed', `counter ${body.counter} for key ${key.keyId} was already used`);
  }
  if (body.notAfter !== undefined && opts.trustedNow !== undefined && opts.trustedNow > body.notAfter) {
    throw new AuthorizationError('expired', `valid until ${new Date(body.notAfter).toISOString()}`);
  }
  opts.replay.record(key.keyId, body.counter);
  return body;
}

/** JSON-friendly form of a trusted key for identity files. */
export interface TrustedKeyJson {
  keyId: string;
  name: string;
  role: Role;
  publicKey: string;
}

export function trustedKeyToJson(k: TrustedKey): TrustedKeyJson {
  return { keyId: k.keyId, name: k.name, role: k.role, publicKey: toHex(k.publicKey) };
}

export function trustedKeyFromJson(j: TrustedKeyJson): TrustedKey {
  return { keyId: j.keyId, name: j.name, role: j.role, publicKey: fromHex(j.publicKey) };
}
