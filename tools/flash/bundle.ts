/**
 * The device bundle: one ESM file built by esbuild from an entry point, with source map, plus
 * a package.json naming the packages that cannot be bundled — native addons (i2c-bus, the epoll
 * addon under onoff, serialport's bindings, better-sqlite3) and the hardware packages the Linux
 * HAL loads at run time with `createRequire` (onoff, node-raspistill, johnny-five, firmata-io).
 * Their versions are pinned to the ones this checkout was tested with; `npm ci --omit=dev` on
 * the device (or in the image build) installs them for the device's architecture.
 */
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { build } from 'esbuild';
import { DozorError } from '../../hal/errors.ts';

/** Packages that stay outside the bundle: native code, or loaded by name at run time. */
export const RUNTIME_PACKAGES = [
  'better-sqlite3',
  'epoll',
  'firmata-io',
  'i2c-bus',
  'johnny-five',
  'msgpackr-extract',
  'node-raspistill',
  'onoff',
  'serialport',
  '@serialport/bindings-cpp',
] as const;

export interface BundleOptions {
  /** The program to bundle (TypeScript or JavaScript). */
  entry: string;
  /** Directory that receives dozor.mjs, dozor.mjs.map and package.json. */
  outDir: string;
  /** Where the tested versions of the runtime packages are installed (default: this checkout). */
  projectRoot?: string;
  /** Name and version recorded in the generated package.json. */
  version?: string;
}

export interface BundledFile {
  path: string;
  size: number;
  sha256: string;
}

export interface BundleResult {
  files: BundledFile[];
  /** Runtime packages and the exact versions the device must install. */
  dependencies: Record<string, string>;
}

export class BundleError extends DozorError {
  constructor(message: string) {
    super('EBUNDLE', message);
  }
}

export async function buildBundle(options: BundleOptions): Promise<BundleResult> {
  const projectRoot = options.projectRoot ?? path.resolve(import.meta.dirname, '../..');
  const outfile = path.join(options.outDir, 'dozor.mjs');
  await fsp.mkdir(options.outDir, { recursive: true });
  let result;
  try {
    result = await build({
      entryPoints: [options.entry],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      sourcemap: true,
      legalComments: 'none',
      logLevel: 'silent',
      external: [...RUNTIME_PACKAGES],
      // CommonJS dependencies inside an ESM bundle still call require() for node built-ins.
      banner: { js: "import { createRequire as __dozorCreateRequire } from 'node:module'; const require = __dozorCreateRequire(import.meta.url);" },
    });
  } catch (err) {
    const errors = (err as { errors?: Array<{ text: string; location?: { file: string; line: number } | null }> }).errors ?? [];
    const detail = errors.map((e) => `${e.location ? `${e.location.file}:${e.location.line}: ` : ''}${e.text}`).join('; ') || (err as Error).message;
    throw new BundleError(`cannot bundle ${options.entry}: ${detail}`);
  }
  if (result.errors.length) throw new BundleError(`cannot bundle ${options.entry}: ${result.errors.map((e) => e.text).join('; ')}`);

  const require = createRequire(path.join(projectRoot, 'package.json'));
  const dependencies: Record<string, string> = {};
  for (const name of RUNTIME_PACKAGES) {
    try {
      const pkg = JSON.parse(await fsp.readFile(require.resolve(`${name}/package.json`), 'utf8')) as { version: string };
      dependencies[name] = pkg.version;
    } catch {
      // Not installed in this checkout (an optional native helper): the device goes without it.
    }
  }
  const packageJson = {
    name: 'dozor-device',
    version: options.version ?? '0.0.0',
    private: true,
    type: 'module',
    main: 'dozor.mjs',
    engines: { node: '>=20.19' },
    dependencies,
  };
  await fsp.writeFile(path.join(options.outDir, 'package.json'), `${JSON.stringify(packageJson, null, 2)}\n`);
  const files: BundledFile[] = [];
  for (const name of ['dozor.mjs', 'dozor.mjs.map', 'package.json']) {
    const data = await fsp.readFile(path.join(options.outDir, name));
    files.push({ path: name, size: data.length, sha256: createHash('sha256').update(data).digest('hex') });
  }
  return { files, dependencies };
}
