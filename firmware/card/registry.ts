/**
 * The registry of cards registered to this device (R-CARD-1, R-CARD-3), kept on internal storage
 * as one JSON file replaced atomically on every change. It is the device's own memory of what it
 * registered: a card is accepted only when its token is valid *and* the registry holds that card
 * with that exact token (so an older token, e.g. on a copy made before a re-registration, fails).
 */
import { z } from 'zod';
import type { Storage } from '../../hal/storage.ts';
import { FileNotFoundError } from '../../hal/errors.ts';
import { CardStateCorruptError } from './errors.ts';

const hex = (n: number) => z.string().regex(new RegExp(`^[0-9a-f]{${n}}$`));

const entrySchema = z.object({
  /** CID bits 127:8 (30 hex): the card's identity, independent of the host stripping the CRC. */
  cidIdentity: hex(30),
  /** The CID as read at registration (32 hex). */
  cid: hex(32),
  inventoryNumber: z.string().min(1).max(64),
  /** SHA-256 of the token file written to the card. */
  tokenSha256: hex(64),
  registeredAt: z.number().finite(),
  by: z.object({ name: z.string().min(1), keyId: z.string().min(1), counter: z.number().int().nonnegative() }),
});

const fileSchema = z.object({ v: z.literal(1), cards: z.array(entrySchema) });

export type RegisteredCard = z.infer<typeof entrySchema>;

export class CardRegistry {
  private readonly byIdentity = new Map<string, RegisteredCard>();

  private constructor(
    private readonly storage: Storage,
    private readonly path: string,
    cards: readonly RegisteredCard[],
  ) {
    for (const c of cards) this.byIdentity.set(c.cidIdentity, c);
  }

  /** Loads the registry; a missing file is an empty registry, an unreadable one a `CardStateCorruptError`. */
  static async load(storage: Storage, path: string): Promise<CardRegistry> {
    let raw: Uint8Array;
    try {
      raw = await storage.read(path);
    } catch (err) {
      if (err instanceof FileNotFoundError) return new CardRegistry(storage, path, []);
      throw err;
    }
    let parsed: z.infer<typeof fileSchema>;
    try {
      parsed = fileSchema.parse(JSON.parse(new TextDecoder().decode(raw)));
    } catch (err) {
      throw new CardStateCorruptError(path, `card registry unreadable: ${(err as Error).message.slice(0, 200)}`);
    }
    return new CardRegistry(storage, path, parsed.cards);
  }

  /** Starts empty, keeping an unreadable file under another name (it is never deleted). */
  static async quarantine(storage: Storage, path: string, suffix: string): Promise<CardRegistry> {
    await storage.rename(path, `${path}.corrupt-${suffix}`);
    return new CardRegistry(storage, path, []);
  }

  get(cidIdentity: string): RegisteredCard | undefined {
    return this.byIdentity.get(cidIdentity);
  }

  /** The card (other than `exceptIdentity`) that carries this inventory number, if any. */
  byInventoryNumber(inventoryNumber: string, exceptIdentity?: string): RegisteredCard | undefined {
    for (const c of this.byIdentity.values()) {
      if (c.inventoryNumber === inventoryNumber && c.cidIdentity !== exceptIdentity) return c;
    }
    return undefined;
  }

  all(): RegisteredCard[] {
    return [...this.byIdentity.values()];
  }

  /** Adds or replaces a card and makes it durable before resolving. */
  async put(card: RegisteredCard): Promise<void> {
    const next = new Map(this.byIdentity);
    next.set(card.cidIdentity, entrySchema.parse(card));
    const body = JSON.stringify({ v: 1, cards: [...next.values()] }, null, 1);
    await this.storage.writeAtomic(this.path, new TextEncoder().encode(body));
    this.byIdentity.set(card.cidIdentity, card);
  }
}
