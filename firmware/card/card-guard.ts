/**
 * The card guard (R-CARD-1..4): decides whether the card in the slot may receive evidence, keeps
 * the registry of this device's cards, and watches the seal.
 *
 * A card is 'ready' only when its CID, the registration token on it and this device agree:
 * the token parses, names this device (serial and key id), verifies with this device's key,
 * binds the CID now read, and is the very token the internal registry recorded. Anything else is
 * 'refused' — nothing is written onto it, the device alerts and journals why:
 *
 * | what is in the slot                          | refusal reason   |
 * |----------------------------------------------|------------------|
 * | CID unreadable / not an SD card              | 'unreadable'     |
 * | never registered here, no token              | 'unregistered'   |
 * | registered CID but no token (a CID clone)    | 'token-missing'  |
 * | token of another device                      | 'foreign'        |
 * | token damaged, forged or superseded          | 'token-invalid'  |
 * | valid token copied onto another card         | 'cid-mismatch'   |
 *
 * Registration and reseal run only on a signed authorisation ('register-card' / 'reseal' by the
 * responsible person) through the device's `AuthorizationGate`. The seal: any opening of the
 * cover is journalled and alerted at once with its time; the slot counts as sealed again only
 * after an authorised reseal with the cover closed; the state survives reboots.
 *
 * Everything the guard learns arrives as slot events; card events are handled one at a time in
 * order (checks read the card), while a seal opening is alerted and journalled immediately,
 * without waiting behind a card check.
 */
import { BehaviorSubject, distinctUntilChanged, type Observable, type Subscription } from 'rxjs';
import type { CardSlot, CardStatus } from '../../hal/card.ts';
import type { Clock } from '../../hal/clock.ts';
import { check } from '../../hal/device.ts';
import { FileNotFoundError, InvalidOptionsError, StorageUnavailableError } from '../../hal/errors.ts';
import type { Storage } from '../../hal/storage.ts';
import { cidIdentity } from '../../hal/drivers/sd-cid.ts';
import { decodeAuthorizationBody, type SignedAuthorization } from '../../protocol/authorization.ts';
import { CARD_TOKEN_PATH, CardTokenError, decodeCardToken, signCardToken, verifyCardToken } from '../../protocol/card-token.ts';
import { sha256Hex, type Ed25519PrivateKey } from '../../protocol/crypto.ts';
import type { AlertSink } from '../alerts/alert-sink.ts';
import type { AuthorizationGate } from '../auth/authorization-gate.ts';
import { EvidenceStore } from '../evidence/evidence-store.ts';
import { deriveEvidenceIndexKey } from '../evidence/index-key.ts';
import type { EntryData, EntryType, JournalWriter } from '../journal/entries.ts';
import { CardCommandError, CardStateCorruptError } from './errors.ts';
import type { CardReadiness, EvidenceVolume } from './evidence-volume.ts';
import { GuardedCardStorage } from './guarded-storage.ts';
import { CardRegistry, type RegisteredCard } from './registry.ts';
import { NEVER_SEALED, loadSeal, saveSeal, type PersistedSeal } from './seal-state.ts';

export type CardRefusalReason = EntryData<'card-refused'>['reason'];
type Authorizer = EntryData<'card-registered'>['by'];

export interface CardGuardOptions {
  slot: CardSlot;
  /** Internal storage: registry and seal state (under `stateDir`). */
  internal: Storage;
  clock: Clock;
  journal: JournalWriter;
  alerts: AlertSink;
  /** The device's door for signed authorisations (shared with every other privileged service). */
  authorizations: AuthorizationGate;
  /** This device's Ed25519 key: signs registration tokens, derives the evidence index key. */
  deviceKey: Ed25519PrivateKey;
  deviceSerial: string;
  /** The device's inventory number (R-CARD-1), written into every token and shown at the dock. */
  deviceInventoryNumber: string;
  /** Whether the officer is on duty now (removals and openings during duty are critical). */
  onDuty: () => boolean;
  /** Folder on internal storage (default "card"). */
  stateDir?: string;
  /** Evidence index key (default `deriveEvidenceIndexKey(deviceKey)`). */
  evidenceIndexKey?: Uint8Array;
  /** Passed to the evidence store (default 64 KiB). */
  indexReserveBytes?: number;
}

export interface SealStatus {
  /** The cover switch reads closed now. */
  closed: boolean;
  /** Sealed: an authorised reseal is in force and the cover has not opened since. */
  intact: boolean;
  /** Device wall time of the first opening since the last reseal. */
  brokenAt: number | null;
  /** Openings since the last reseal. */
  openings: number;
  resealedAt: number | null;
  resealedBy: Authorizer | null;
}

export interface CardInfo {
  present: boolean;
  cid: string | null;
  /** The card's inventory number (R-CARD-1) once it is verified as registered here. */
  inventoryNumber: string | null;
  refusal: CardRefusalReason | null;
}

/** What the dock shows and reports (R-CARD-1/2/3). */
export interface CardGuardStatus {
  deviceSerial: string;
  deviceInventoryNumber: string;
  readiness: CardReadiness;
  card: CardInfo;
  seal: SealStatus;
}

type Verdict = { ok: true; card: RegisteredCard } | { ok: false; reason: CardRefusalReason } | { gone: true };

const NO_CARD: CardInfo = { present: false, cid: null, inventoryNumber: null, refusal: null };
const INVENTORY = /^[^\p{Cc}]{1,64}$/u;

export class CardGuard implements EvidenceVolume {
  readonly storage: Storage;
  /** The evidence on the card: index, receipts, the only deletion path. */
  readonly evidence: EvidenceStore;
  private readonly readinessSubject = new BehaviorSubject<CardReadiness>('absent');
  private readonly sealSubject: BehaviorSubject<SealStatus>;
  private card: CardInfo = NO_CARD;
  /** The slot as last reported, and a counter bumped on every card change it reports. */
  private seen: CardStatus = { present: false, cid: null, sealClosed: true };
  private slotGeneration = 0;
  private sealClosed = true;
  /** Bumped on every opening, so a reseal that raced an opening is not committed. */
  private sealEpoch = 0;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly background = new Set<Promise<unknown>>();
  /** Seal state writes, in order (two concurrent atomic writes of one file must not race). */
  private sealWrites: Promise<void> = Promise.resolve();
  private sub: Subscription | null = null;
  private closing: Promise<void> | null = null;
  /** Failures that had no caller to report to (a journal write from a slot event). */
  readonly failures: Error[] = [];

  private constructor(
    private readonly o: CardGuardOptions,
    private readonly dir: string,
    private readonly registry: CardRegistry,
    private seal: PersistedSeal,
  ) {
    this.sealSubject = new BehaviorSubject<SealStatus>(this.sealView());
    this.evidence = new EvidenceStore({
      volume: this,
      card: o.slot.storage,
      journal: o.journal,
      clock: o.clock,
      indexKey: o.evidenceIndexKey ?? deriveEvidenceIndexKey(o.deviceKey),
      indexReserveBytes: o.indexReserveBytes,
    });
    this.storage = new GuardedCardStorage('evidence card', o.slot.storage, {
      readiness: () => this.readiness(),
      isProtected: (p) => this.evidence.isProtected(p),
    });
  }

  /** Validates the options, loads the registry and seal state, and checks the slot as it is now. */
  static async start(options: CardGuardOptions): Promise<CardGuard> {
    if (options === null || typeof options !== 'object') throw new InvalidOptionsError('CardGuard: options object required');
    for (const k of ['slot', 'internal', 'clock', 'journal', 'alerts', 'authorizations', 'deviceKey'] as const) {
      if (!options[k]) throw new InvalidOptionsError(`CardGuard: ${k} required`);
    }
    check.string(options.deviceSerial, 'CardGuard: deviceSerial');
    if (typeof options.deviceInventoryNumber !== 'string' || !INVENTORY.test(options.deviceInventoryNumber)) {
      throw new InvalidOptionsError('CardGuard: deviceInventoryNumber must be 1–64 printable characters');
    }
    if (typeof options.onDuty !== 'function') throw new InvalidOptionsError('CardGuard: onDuty must be a function');
    const dir = options.stateDir ?? 'card';
    const stamp = String(options.clock.wallTime());
    const faults: string[] = [];

    let registry: CardRegistry;
    try {
      registry = await CardRegistry.load(options.internal, `${dir}/registry.json`);
    } catch (err) {
      if (!(err instanceof CardStateCorruptError)) throw err;
      registry = await CardRegistry.quarantine(options.internal, `${dir}/registry.json`, stamp);
      faults.push(`${err.message}; kept aside, every card must be registered again`);
    }
    let seal: PersistedSeal;
    try {
      seal = await loadSeal(options.internal, `${dir}/seal.json`);
    } catch (err) {
      if (!(err instanceof CardStateCorruptError)) throw err;
      await options.internal.rename(`${dir}/seal.json`, `${dir}/seal.json.corrupt-${stamp}`);
      // Unknown seal history counts as broken: only a reseal restores trust.
      seal = { ...NEVER_SEALED, brokenAt: options.clock.wallTime() };
      faults.push(`${err.message}; the seal counts as broken until resealed`);
    }

    const guard = new CardGuard(options, dir, registry, seal);
    for (const detail of faults) {
      options.alerts.raise({ kind: 'device-fault', severity: 'critical', message: `Card guard state damaged: ${detail}`, details: { detail } });
      await options.journal.append('fault', { device: 'card guard', state: 'raised', detail });
    }
    guard.sub = options.slot.changes$.subscribe((s) => guard.onSlot(s));
    guard.onSlot(await options.slot.status());
    await guard.settled();
    return guard;
  }

  // ---- EvidenceVolume ----

  get readiness$(): Observable<CardReadiness> {
    return this.readinessSubject.pipe(distinctUntilChanged());
  }

  readiness(): CardReadiness {
    return this.readinessSubject.value;
  }

  // ---- status for the dock ----

  status(): CardGuardStatus {
    return {
      deviceSerial: this.o.deviceSerial,
      deviceInventoryNumber: this.o.deviceInventoryNumber,
      readiness: this.readiness(),
      card: { ...this.card },
      seal: this.sealView(),
    };
  }

  sealStatus(): SealStatus {
    return this.sealView();
  }

  /** Current seal status at once, then every change. */
  get sealStatus$(): Observable<SealStatus> {
    return this.sealSubject.asObservable();
  }

  registeredCards(): RegisteredCard[] {
    return this.registry.all();
  }

  /** Resolves once every slot event so far has been fully handled (journal writes included). */
  async settled(): Promise<void> {
    for (;;) {
      const q = this.queue;
      await q;
      await Promise.all([...this.background]);
      if (q === this.queue && this.background.size === 0) return;
    }
  }

  // ---- authorised commands ----

  /**
   * Registers the card in the slot to this device (R-CARD-3). `auth` must be a 'register-card'
   * authorisation by the responsible person with params `{ cid, inventoryNumber }`, where `cid`
   * is the CID the device showed for this card. Writes the signed token onto the card, journals
   * 'card-registered', records the card in the registry, and re-checks the card (→ 'ready').
   * Parameters and the slot are checked before the authorisation is consumed, so a refused
   * command can be sent again once the problem is fixed.
   */
  registerCard(auth: SignedAuthorization): Promise<RegisteredCard> {
    return this.inQueue(async () => {
      const params = decodeAuthorizationBody(auth.body).params;
      const wantCid = params.cid;
      const inventoryNumber = params.inventoryNumber;
      if (typeof wantCid !== 'string' || !/^[0-9a-f]{32}$/.test(wantCid)) throw new CardCommandError('bad-params', 'params.cid must be the 32 lower-case hex digits of the card CID');
      if (typeof inventoryNumber !== 'string' || !INVENTORY.test(inventoryNumber)) {
        throw new CardCommandError('bad-params', 'params.inventoryNumber must be 1–64 printable characters');
      }
      const s = await this.o.slot.status();
      await this.onCard(s);
      if (!s.present) throw new CardCommandError('no-card', 'no card in the slot');
      if (!s.cid) throw new CardCommandError('cid-unreadable', 'the card in the slot has no readable SD CID');
      const identity = cidIdentity(s.cid);
      if (cidIdentity(wantCid) !== identity) throw new CardCommandError('cid-mismatch', `authorisation is for card ${wantCid}, the slot holds ${s.cid}`);
      const clash = this.registry.byInventoryNumber(inventoryNumber, identity);
      if (clash) throw new CardCommandError('inventory-in-use', `inventory number ${inventoryNumber} belongs to card ${clash.cid}`);

      const body = await this.o.authorizations.authorize(auth, 'register-card');
      const by: Authorizer = { name: body.signer, keyId: body.keyId, counter: body.counter };
      const registeredAt = this.o.clock.wallTime();
      const token = signCardToken(this.o.deviceKey, {
        cidIdentity: identity,
        deviceSerial: this.o.deviceSerial,
        deviceInventoryNumber: this.o.deviceInventoryNumber,
        cardInventoryNumber: inventoryNumber,
        registeredAt,
        authKeyId: body.keyId,
        authCounter: body.counter,
      });
      await this.o.slot.storage.writeAtomic(CARD_TOKEN_PATH, token);
      const back = await this.o.slot.storage.read(CARD_TOKEN_PATH);
      if (sha256Hex(back) !== sha256Hex(token)) throw new CardCommandError('token-write-failed', 'the token did not read back as written');
      const entry: RegisteredCard = { cidIdentity: identity, cid: s.cid, inventoryNumber, tokenSha256: sha256Hex(token), registeredAt, by };
      await this.o.journal.append('card-registered', { cid: s.cid, inventoryNumber, by });
      await this.registry.put(entry);
      await this.checkPresent(s.cid);
      return entry;
    });
  }

  /**
   * Declares the slot sealed again (R-CARD-2) after the responsible person closed and sealed the
   * cover: a 'reseal' authorisation, the cover must read closed. Journals 'seal-resealed' and
   * clears the standing seal alert.
   */
  reseal(auth: SignedAuthorization): Promise<SealStatus> {
    return this.inQueue(async () => {
      const s = await this.o.slot.status();
      this.onSeal(s.sealClosed);
      if (!s.sealClosed) throw new CardCommandError('seal-open', 'close the slot cover before resealing');
      const epoch = this.sealEpoch;
      const body = await this.o.authorizations.authorize(auth, 'reseal');
      if (epoch !== this.sealEpoch || !this.sealClosed) throw new CardCommandError('seal-open', 'the cover opened while the reseal was being checked');
      const by: Authorizer = { name: body.signer, keyId: body.keyId, counter: body.counter };
      await this.o.journal.append('seal-resealed', { by });
      this.seal = { v: 1, intact: true, brokenAt: null, openings: 0, resealedAt: this.o.clock.wallTime(), resealedBy: by };
      await this.persistSeal(this.seal);
      this.o.alerts.clear('seal-opened');
      this.sealSubject.next(this.sealView());
      return this.sealView();
    });
  }

  async close(): Promise<void> {
    this.closing ??= (async () => {
      this.sub?.unsubscribe();
      await this.settled().catch(() => undefined);
      await this.evidence.unload();
      await this.storage.close();
      this.readinessSubject.complete();
      this.sealSubject.complete();
    })();
    return this.closing;
  }

  // ---- slot events ----

  private onSlot(s: CardStatus): void {
    if (this.closing) return;
    this.onSeal(s.sealClosed);
    if (s.present !== this.seen.present || s.cid !== this.seen.cid) {
      // Leave 'ready' at once: not one byte may go to a card that has not been checked yet.
      this.slotGeneration += 1;
      this.readinessSubject.next(s.present ? 'checking' : 'absent');
    }
    this.seen = s;
    const generation = this.slotGeneration;
    this.enqueue(() => this.onCard(s, generation));
  }

  /** Seal changes act at once: the alert is raised synchronously, journal and state follow. */
  private onSeal(closed: boolean): void {
    if (closed === this.sealClosed) return;
    this.sealClosed = closed;
    if (closed) {
      // Closing the cover proves nothing: the slot stays unsealed until an authorised reseal.
      this.sealSubject.next(this.sealView());
      this.enqueue(() => this.recheckAfterCover());
      return;
    }
    this.sealEpoch += 1;
    const at = this.o.clock.wallTime();
    const duringDuty = this.o.onDuty();
    const wasIntact = this.seal.intact;
    this.seal = { ...this.seal, intact: false, brokenAt: this.seal.brokenAt ?? at, openings: this.seal.openings + 1 };
    this.o.alerts.raise({
      kind: 'seal-opened',
      severity: wasIntact || duringDuty ? 'critical' : 'warning',
      message: `Card slot ${wasIntact ? 'seal broken' : 'cover opened'} at ${new Date(at).toISOString()}${duringDuty ? ' during duty' : ''}`,
      details: { at, duringDuty, wasSealed: wasIntact, cid: this.card.cid, cardInventoryNumber: this.card.inventoryNumber, deviceInventoryNumber: this.o.deviceInventoryNumber },
    });
    this.sealSubject.next(this.sealView());
    const seal = this.seal;
    this.inBackground(async () => {
      await this.o.journal.append('seal-opened', { duringDuty });
      await this.persistSeal(seal);
    });
  }

  /** `generation` is the slot generation when the event arrived (older than now: the slot has moved on since). */
  private async onCard(s: CardStatus, generation = this.slotGeneration): Promise<void> {
    if (s.present === this.card.present && s.cid === this.card.cid) return;
    if (this.card.present) await this.cardGone();
    if (s.present) await this.cardArrived(s.cid, generation);
  }

  private async cardGone(): Promise<void> {
    const { cid, inventoryNumber } = this.card;
    const duringDuty = this.o.onDuty();
    this.card = NO_CARD;
    this.readinessSubject.next('absent');
    await this.evidence.unload();
    this.o.alerts.clear('card-refused');
    if (duringDuty) {
      this.o.alerts.raise({
        kind: 'card-removed',
        severity: 'critical',
        message: `Evidence card ${inventoryNumber ?? cid ?? '(unidentified)'} removed during duty: recording has no card`,
        details: { cid, cardInventoryNumber: inventoryNumber, deviceInventoryNumber: this.o.deviceInventoryNumber },
      });
    }
    await this.journal('card-removed', { cid, duringDuty });
  }

  private async cardArrived(cid: string | null, generation: number): Promise<void> {
    this.card = { present: true, cid, inventoryNumber: null, refusal: null };
    this.readinessSubject.next('checking');
    await this.journal('card-inserted', { cid });
    // Already replaced in the slot: checking now would read the next card's files as this one's.
    if (generation !== this.slotGeneration) return;
    await this.checkPresent(cid);
  }

  /** Verifies the card in the slot and sets readiness accordingly. */
  private async checkPresent(cid: string | null): Promise<void> {
    this.card = { present: true, cid, inventoryNumber: null, refusal: null };
    this.readinessSubject.next('checking');
    const generation = this.slotGeneration;
    const verdict = await this.verify(cid);
    // Pulled or replaced while being checked: what was read may belong to the next card, and the
    // queued slot event will check that one.
    if ('gone' in verdict || generation !== this.slotGeneration) return;
    if (!verdict.ok) return this.refuse(cid, verdict.reason);
    try {
      await this.evidence.load();
    } catch (err) {
      if (err instanceof StorageUnavailableError && !(await this.stillPresent(cid))) return;
      return this.refuse(cid, 'unreadable');
    }
    // The slot changed while this card was checked: the queued event decides, not this verdict.
    if (generation !== this.slotGeneration) return;
    this.card = { present: true, cid, inventoryNumber: verdict.card.inventoryNumber, refusal: null };
    this.readinessSubject.next('ready');
    this.o.alerts.clear('card-removed');
    this.o.alerts.clear('card-refused');
  }

  /**
   * While the cover was open the card could have been tampered with in place: check it again
   * once the cover closes, without interrupting recording unless the check fails.
   */
  private async recheckAfterCover(): Promise<void> {
    if (this.readiness() !== 'ready' || !this.card.present) return;
    const generation = this.slotGeneration;
    const cid = this.card.cid;
    const verdict = await this.verify(cid);
    if (generation !== this.slotGeneration || 'gone' in verdict || verdict.ok) return;
    await this.evidence.unload();
    await this.refuse(cid, verdict.reason);
  }

  private async refuse(cid: string | null, reason: CardRefusalReason): Promise<void> {
    this.card = { present: true, cid, inventoryNumber: null, refusal: reason };
    this.readinessSubject.next('refused');
    const duringDuty = this.o.onDuty();
    this.o.alerts.raise({
      kind: 'card-refused',
      severity: duringDuty ? 'critical' : 'warning',
      message: `Card refused (${reason}): nothing will be recorded onto it`,
      details: { cid, reason, deviceInventoryNumber: this.o.deviceInventoryNumber },
    });
    await this.journal('card-refused', { cid, reason });
  }

  private async verify(cid: string | null): Promise<Verdict> {
    if (cid === null) return { ok: false, reason: 'unreadable' };
    const identity = cidIdentity(cid);
    const registered = this.registry.get(identity);
    let raw: Uint8Array;
    try {
      raw = await this.o.slot.storage.read(CARD_TOKEN_PATH);
    } catch (err) {
      if (err instanceof FileNotFoundError) return { ok: false, reason: registered ? 'token-missing' : 'unregistered' };
      if (err instanceof StorageUnavailableError && !(await this.stillPresent(cid))) return { gone: true };
      return { ok: false, reason: 'unreadable' };
    }
    let token;
    try {
      token = decodeCardToken(raw);
    } catch (err) {
      if (err instanceof CardTokenError) return { ok: false, reason: 'token-invalid' };
      throw err;
    }
    if (token.deviceSerial !== this.o.deviceSerial || token.deviceKeyId !== this.o.deviceKey.keyId) return { ok: false, reason: 'foreign' };
    if (!verifyCardToken(token, this.o.deviceKey.publicKey)) return { ok: false, reason: 'token-invalid' };
    if (token.cidIdentity !== identity) return { ok: false, reason: 'cid-mismatch' };
    if (!registered) return { ok: false, reason: 'unregistered' };
    if (registered.tokenSha256 !== sha256Hex(raw)) return { ok: false, reason: 'token-invalid' };
    return { ok: true, card: registered };
  }

  private async stillPresent(cid: string | null): Promise<boolean> {
    try {
      const s = await this.o.slot.status();
      return s.present && s.cid === cid;
    } catch {
      return false;
    }
  }

  // ---- plumbing ----

  private sealView(): SealStatus {
    const { intact, brokenAt, openings, resealedAt, resealedBy } = this.seal;
    return { closed: this.sealClosed, intact, brokenAt, openings, resealedAt, resealedBy };
  }

  private persistSeal(seal: PersistedSeal): Promise<void> {
    const write = this.sealWrites.then(() => saveSeal(this.o.internal, `${this.dir}/seal.json`, seal));
    this.sealWrites = write.catch(() => undefined);
    return write;
  }

  private async journal<T extends EntryType>(type: T, data: EntryData<T>): Promise<void> {
    try {
      await this.o.journal.append(type, data);
    } catch (err) {
      this.failures.push(err as Error);
    }
  }

  private enqueue(fn: () => Promise<void>): void {
    this.queue = this.queue.then(fn).catch((err: Error) => {
      this.failures.push(err);
    });
  }

  private inQueue<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private inBackground(fn: () => Promise<void>): void {
    const p: Promise<void> = fn()
      .catch((err: Error) => {
        this.failures.push(err);
      })
      .finally(() => this.background.delete(p));
    this.background.add(p);
  }
}
