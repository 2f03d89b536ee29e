/**
 * Decoding camera stills to RGBA and encoding captioned evidence: PNG (pngjs), JPEG (jpeg-js) and
 * binary PPM (P6, what some camera tools write). Every failure is a typed `ImageFormatError`.
 */
import { PNG } from 'pngjs';
import jpeg from 'jpeg-js';
import { DozorError } from '../../../hal/errors.ts';
import type { Still } from '../../../hal/camera.ts';
import type { RgbaImage } from './font.ts';

export class ImageFormatError extends DozorError {
  constructor(detail: string, options?: { cause?: unknown }) {
    super('EIMAGE', `evidence image: ${detail}`, options);
  }
}

export type EvidenceMime = 'image/png' | 'image/jpeg';

/** Largest still accepted (pixels), so a corrupt header cannot make us allocate gigabytes. */
const MAX_PIXELS = 40_000_000;

export function decodeStill(still: Pick<Still, 'data' | 'mime'>): RgbaImage {
  try {
    switch (still.mime) {
      case 'image/png': {
        const png = PNG.sync.read(Buffer.from(still.data.buffer, still.data.byteOffset, still.data.byteLength));
        return { width: png.width, height: png.height, data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength) };
      }
      case 'image/jpeg': {
        const img = jpeg.decode(still.data, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: MAX_PIXELS / 1e6 });
        return { width: img.width, height: img.height, data: img.data };
      }
      case 'image/x-portable-pixmap':
        return decodePpm(still.data);
      default:
        throw new ImageFormatError(`unsupported type ${String(still.mime)}`);
    }
  } catch (err) {
    if (err instanceof ImageFormatError) throw err;
    throw new ImageFormatError(`cannot decode ${still.mime}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

/** Encodes in the still's own family: JPEG stays JPEG, PNG and PPM become PNG (lossless). */
export function encodeEvidence(img: RgbaImage, mime: EvidenceMime, jpegQuality = 92): Uint8Array {
  if (mime === 'image/jpeg') {
    const out = jpeg.encode({ data: img.data, width: img.width, height: img.height }, jpegQuality);
    return new Uint8Array(out.data.buffer, out.data.byteOffset, out.data.byteLength);
  }
  const png = new PNG({ width: img.width, height: img.height });
  png.data = Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength);
  // Sub filter + fast deflate: a fraction of pngjs's adaptive-filter time at a similar size.
  const buf = PNG.sync.write(png, { colorType: 2, deflateLevel: 3, filterType: 1 });
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

export function evidenceMimeFor(mime: Still['mime']): EvidenceMime {
  return mime === 'image/jpeg' ? 'image/jpeg' : 'image/png';
}

function decodePpm(data: Uint8Array): RgbaImage {
  // Header: "P6" whitespace width whitespace height whitespace maxval single-whitespace, '#' comments.
  let pos = 0;
  const token = (): string => {
    for (;;) {
      while (pos < data.length && /\s/.test(String.fromCharCode(data[pos]))) pos++;
      if (data[pos] === 0x23) {
        while (pos < data.length && data[pos] !== 0x0a) pos++;
        continue;
      }
      break;
    }
    const start = pos;
    while (pos < data.length && !/\s/.test(String.fromCharCode(data[pos]))) pos++;
    return String.fromCharCode(...data.subarray(start, pos));
  };
  if (token() !== 'P6') throw new ImageFormatError('not a binary PPM (P6)');
  const width = Number(token());
  const height = Number(token());
  const maxval = Number(token());
  pos += 1;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0 || width * height > MAX_PIXELS) {
    throw new ImageFormatError(`bad PPM size ${width}x${height}`);
  }
  if (maxval !== 255) throw new ImageFormatError(`PPM maxval ${maxval} unsupported (8-bit only)`);
  if (data.length - pos < width * height * 3) throw new ImageFormatError('PPM pixel data truncated');
  const out = new Uint8Array(width * height * 4);
  for (let i = 0, j = pos; i < out.length; i += 4, j += 3) {
    out[i] = data[j];
    out[i + 1] = data[j + 1];
    out[i + 2] = data[j + 2];
    out[i + 3] = 255;
  }
  return { width, height, data: out };
}
