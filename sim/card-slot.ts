/**
 * The simulated sealed card slot (R-CARD-1..4). Cards are world objects — each a CID plus its
 * own `SimStorage` — that scenarios insert, pull, swap and clone; the seal / slot cover is a
 * switch the world opens and closes. The device side sees only the `CardSlot` contract, exactly
 * as on a board with `SysfsCardSlot`.
 *
 * World-side API (for scenarios, tests and the lead):
 * - `SimCard.create({ label, random, … })` — a card with a realistic random CID, or a given one;
 * - `card.cloneCid(label)` — a counterfeit with the same CID and an empty filesystem (no token);
 * - `card.bitCopy(label)` — same CID *and* every byte (the documented limit of CID + token);
 * - `writeForeignRegistration(card, …)` — a card registered to another device (its token signed
 *   by that device's key);
 * - `slot.insert(card)`, `slot.remove()`, `slot.openSeal()`, `slot.closeSeal()`.
 */
import { Subject, type Observable } from 'rxjs';
import type { CardSlot, CardStatus } from '../hal/card.ts';
import { DeviceBase } from '../hal/device.ts';
import { InvalidOptionsError, StorageUnavailableError } from '../hal/errors.ts';
import type { Random } from '../hal/random.ts';
import type { Storage } from '../hal/storage.ts';
import { SwitchedStorage } from '../hal/switched-storage.ts';
import { cidIdentity, decodeSdCid, encodeSdCid, type SdCidFields } from '../hal/drivers/sd-cid.ts';
import { CARD_TOKEN_PATH, signCardToken } from '../protocol/card-token.ts';
import type { Ed25519PrivateKey } from '../protocol/crypto.ts';
import { SimStorage } from './storage.ts';

/** Manufacturer/OEM/product triples as real cards report them (MID, OID, PNM). */
const MAKES: ReadonlyArray<[number, number, string]> = [
  [0x03, 0x5344, 'SC64G'], // SanDisk
  [0x03, 0x5344, 'SN128'],
  [0x1b, 0x534d, 'EB1QT'], // Samsung
  [0x02, 0x544d, 'SA32G'], // Kioxia / Toshiba
  [0x27, 0x5048, 'SD32G'], // Phison OEM
  [0x74, 0x4a60, 'USD  '], // Transcend
];

export interface SimCardOptions {
  /** A name for reports ("card A", "counterfeit of card A"). */
  label: string;
  /** Drives the random CID (when none is given) and the storage's power-cut tearing. */
  random: Random;
  /** The card's CID (32 hex digits with a correct CRC7) or its fields; random when omitted. */
  cid?: string | SdCidFields;
  /** Default 8 GiB. */
  capacityBytes?: number;
  /** False for a card whose CID the host cannot read (behind a USB bridge, or failing). */
  cidReadable?: boolean;
}

export class SimCard {
  readonly label: string;
  /** The card's CID with its CRC byte, as the card sends it. */
  readonly cid: string;
  readonly storage: SimStorage;
  readonly cidReadable: boolean;
  private readonly random: Random;

  private constructor(label: string, cid: string, storage: SimStorage, random: Random, cidReadable: boolean) {
    this.label = label;
    this.cid = cid;
    this.storage = storage;
    this.random = random;
    this.cidReadable = cidReadable;
  }

  static create(options: SimCardOptions): SimCard {
    if (!options || typeof options.label !== 'string' || options.label.length === 0) throw new InvalidOptionsError('SimCard: label required');
    if (!options.random) throw new InvalidOptionsError(`SimCard ${options.label}: random required`);
    let cid: string;
    if (typeof options.cid === 'string') {
      const d = decodeSdCid(options.cid);
      if (d.crc !== 'ok') throw new InvalidOptionsError(`SimCard ${options.label}: give the CID with its CRC byte`);
      cid = d.hex;
    } else {
      cid = encodeSdCid(options.cid ?? randomCidFields(options.random));
    }
    const storage = new SimStorage({ name: options.label, capacityBytes: options.capacityBytes ?? 8 * 1024 ** 3, random: options.random });
    storage.setAvailable(false);
    return new SimCard(options.label, cid, storage, options.random, options.cidReadable ?? true);
  }

  /** A counterfeit card reporting the same CID, with an empty filesystem: no registration token. */
  cloneCid(label = `clone of ${this.label}`): SimCard {
    return SimCard.create({ label, random: this.random, cid: this.cid, capacityBytes: this.storage.capacityBytes });
  }

  /**
   * Same CID and a byte-for-byte copy of every file, token included: indistinguishable from the
   * original by design (the seal is the control against this; see docs/card-registration.md).
   */
  async bitCopy(label = `bit copy of ${this.label}`): Promise<SimCard> {
    const copy = this.cloneCid(label);
    const wasAvailable = this.storage.isAvailable;
    this.storage.setAvailable(true);
    copy.storage.setAvailable(true);
    try {
      for (const [p, bytes] of this.storage.snapshot()) await copy.storage.writeAtomic(p, bytes);
    } finally {
      this.storage.setAvailable(wasAvailable);
      copy.storage.setAvailable(false);
    }
    return copy;
  }
}

/** A realistic random CID: a known make, random serial, a date in 2018–2025, correct CRC7. */
export function randomCidFields(random: Random): SdCidFields {
  const [mid, oid, pnm] = MAKES[random.int(0, MAKES.length - 1)];
  return {
    mid,
    oid,
    pnm,
    prv: { major: random.int(1, 9), minor: random.int(0, 9) },
    psn: random.int(0, 0xffffffff),
    mdt: { year: random.int(2018, 2025), month: random.int(1, 12) },
  };
}

export interface ForeignRegistration {
  /** The other device's key and identity. */
  deviceKey: Ed25519PrivateKey;
  deviceSerial: string;
  deviceInventoryNumber: string;
  cardInventoryNumber: string;
  registeredAt: number;
  /** Key id and counter of the authorisation on that device (any plausible values). */
  authKeyId: string;
  authCounter: number;
}

/** Makes `card` a card registered to another device: writes a token signed by that device's key. */
export async function writeForeignRegistration(card: SimCard, reg: ForeignRegistration): Promise<void> {
  const token = signCardToken(reg.deviceKey, {
    cidIdentity: cidIdentity(card.cid),
    deviceSerial: reg.deviceSerial,
    deviceInventoryNumber: reg.deviceInventoryNumber,
    cardInventoryNumber: reg.cardInventoryNumber,
    registeredAt: reg.registeredAt,
    authKeyId: reg.authKeyId,
    authCounter: reg.authCounter,
  });
  const wasAvailable = card.storage.isAvailable;
  card.storage.setAvailable(true);
  try {
    await card.storage.writeAtomic(CARD_TOKEN_PATH, token);
  } finally {
    card.storage.setAvailable(wasAvailable);
  }
}

export interface SimCardSlotOptions {
  /** Default "card slot". */
  name?: string;
  /**
   * Report the CID with its CRC byte zeroed, as an SDHCI host (the Raspberry Pi's) does. Default
   * true. The device must treat both forms as the same card.
   */
  hostStripsCrc?: boolean;
  /** Whether the cover starts closed (default true). */
  sealClosed?: boolean;
}

export class SimCardSlot extends DeviceBase implements CardSlot {
  readonly storage: Storage;
  private inserted: SimCard | null = null;
  private cover: boolean;
  private readonly stripCrc: boolean;
  private readonly changes = new Subject<CardStatus>();
  /** World-side counters for reports. */
  readonly stats = { insertions: 0, removals: 0, sealOpenings: 0 };

  constructor(options: SimCardSlotOptions = {}) {
    super(options.name ?? 'card slot');
    this.stripCrc = options.hostStripsCrc ?? true;
    this.cover = options.sealClosed ?? true;
    this.storage = new SwitchedStorage(`${this.name} card`, () => {
      this.assertOpen();
      if (!this.inserted) throw new StorageUnavailableError(`${this.name} card`, 'no card in the slot');
      return this.inserted.storage;
    });
  }

  // ---- world side ----

  /** The card in the slot, if any. */
  get card(): SimCard | null {
    return this.inserted;
  }

  get sealClosed(): boolean {
    return this.cover;
  }

  /** Puts a card in. Throws when the slot is occupied (pull the other one first). */
  insert(card: SimCard): void {
    this.assertOpen();
    if (this.inserted) throw new InvalidOptionsError(`${this.name}: already holds ${this.inserted.label}`);
    this.inserted = card;
    card.storage.setAvailable(true);
    this.stats.insertions += 1;
    this.emit();
  }

  /** Pulls the card out (open file handles on it fail from now on). Returns it, or null when empty. */
  remove(): SimCard | null {
    this.assertOpen();
    const card = this.inserted;
    if (!card) return null;
    card.storage.setAvailable(false);
    this.inserted = null;
    this.stats.removals += 1;
    this.emit();
    return card;
  }

  /** Opens the slot cover / breaks the seal. */
  openSeal(): void {
    this.assertOpen();
    if (!this.cover) return;
    this.cover = false;
    this.stats.sealOpenings += 1;
    this.emit();
  }

  /** Closes the cover (the device still needs an authorised reseal to call it sealed). */
  closeSeal(): void {
    this.assertOpen();
    if (this.cover) return;
    this.cover = true;
    this.emit();
  }

  // ---- the CardSlot contract ----

  get changes$(): Observable<CardStatus> {
    return this.changes.asObservable();
  }

  async status(): Promise<CardStatus> {
    this.assertOpen();
    return this.snapshot();
  }

  protected override onClose(): void {
    this.changes.complete();
    void this.storage.close();
  }

  private snapshot(): CardStatus {
    const card = this.inserted;
    let cid: string | null = null;
    if (card?.cidReadable) cid = this.stripCrc ? `${card.cid.slice(0, 30)}00` : card.cid;
    return { present: card !== null, cid, sealClosed: this.cover };
  }

  private emit(): void {
    this.changes.next(this.snapshot());
  }
}
