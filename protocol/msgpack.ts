/**
 * MessagePack as the protocol uses it (docs/protocol.md §3.3): plain maps with string keys, no
 * extension types. Encoding is deterministic so test vectors are byte-exact: keys in insertion
 * order, the smallest format for every string, bin and integer within 32 bits, int64 (0xd3) for
 * integers beyond 32 bits, float64 for non-integers, absent (never nil) for undefined fields.
 * Decoding accepts any valid encoding of the same values and rejects everything else with a
 * typed error.
 */
import { Packr } from 'msgpackr';
import { MessageError } from './errors.ts';

// Safe integers come back as numbers; anything larger becomes a bigint and fails validation.
// ('auto' is implemented by msgpackr but missing from its type declarations.)
const packr = new Packr({
  useRecords: false,
  mapsAsObjects: true,
  variableMapSize: true,
  int64AsType: 'auto' as 'number',
  moreTypes: false,
});

/** Values the protocol encodes. */
export type Packable = null | boolean | number | string | Uint8Array | readonly Packable[] | { readonly [key: string]: Packable | undefined };

function canonical(value: Packable | undefined): unknown {
  if (value === null || value === undefined || typeof value === 'boolean' || typeof value === 'string') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new RangeError(`cannot encode ${value}`);
    // msgpackr writes integers beyond 32 bits as float64; a bigint makes it write int64.
    if (Number.isInteger(value) && (value > 0xffffffff || value < -0x80000000)) {
      if (!Number.isSafeInteger(value)) throw new RangeError(`integer ${value} is not exactly representable`);
      return BigInt(value);
    }
    return value;
  }
  if (value instanceof Uint8Array) return value;
  if (Array.isArray(value)) return value.map((v) => canonical(v as Packable));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, Packable | undefined>)) {
    if (v !== undefined) out[k] = canonical(v);
  }
  return out;
}

/** Deterministic MessagePack of a protocol value. */
export function pack(value: Packable): Uint8Array {
  return new Uint8Array(packr.pack(canonical(value)));
}

/**
 * Decodes exactly one MessagePack map. Rejects (EPAYLOAD) anything that is not a single map:
 * truncated data, trailing bytes, reserved bytes, other top-level types.
 */
export function unpackMap(bytes: Uint8Array): Record<string, unknown> {
  let value: unknown;
  try {
    value = packr.unpack(bytes);
  } catch (err) {
    throw new MessageError('EPAYLOAD', `payload is not valid MessagePack: ${(err as Error).message}`, undefined, undefined, { cause: err });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value) || value instanceof Uint8Array || Object.getPrototypeOf(value) !== Object.prototype) {
    throw new MessageError('EPAYLOAD', 'payload is not a MessagePack map');
  }
  return value as Record<string, unknown>;
}
