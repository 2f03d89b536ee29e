/**
 * The libgpiod command-line tools (gpiodetect, gpioinfo, gpioget, gpioset, gpiomon) as a small
 * typed API, for systems without sysfs GPIO. Two generations with different syntax exist:
 *
 * | | libgpiod 1.5/1.6 (Debian bullseye/bookworm) | libgpiod 2.x (trixie and later) |
 * |---|---|---|
 * | chip | positional: `gpioget gpiochip0 17` | option: `gpioget -c gpiochip0 17` |
 * | get output | `1` | `"17"=active` |
 * | set and exit | `gpioset gpiochip0 17=1` (mode exit is the default) | `gpioset -t0 -c gpiochip0 17=1` (holds the line otherwise) |
 * | monitor | `gpiomon -b -F '%o %e %s.%n' gpiochip0 17`, `-r`/`-f` for one edge; `%e` 1 = rising, 0 = falling | `gpiomon --banner -e both -F '%o %e %S' -c gpiochip0 17`; `%e` 1 = rising, 2 = falling |
 *
 * The version comes from `gpiodetect --version` ("gpiodetect (libgpiod) v1.6.3" or
 * "gpiodetect v2.2 (libgpiod v2.2)").
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Clock } from '../clock.ts';
import { BusError, DeviceNotFoundError, DeviceNotRespondingError } from '../errors.ts';
import type { Level } from '../bus/gpio.ts';
import { ignoreStreamErrors, run, spawnError, stopProcess, which, type RunResult } from './exec.ts';

export interface GpiodChip {
  /** "gpiochip0" */
  name: string;
  label: string;
  ngpio: number;
}

export interface GpiodLineInfo {
  offset: number;
  name: string | null;
  /** Who holds the line (a kernel driver or a tool), or null when free. */
  consumer: string | null;
  used: boolean;
  direction: 'input' | 'output';
}

export interface GpiodEvent {
  offset: number;
  edge: 'rising' | 'falling';
  /** Kernel timestamp in seconds (monotonic clock), as the tool printed it. */
  timestamp: number;
}

export interface GpiodToolsOptions {
  env?: NodeJS.ProcessEnv;
  clock: Clock;
  /** Per-call timeout for the short-lived tools (ms). */
  timeoutMs?: number;
}

const DEVICE = 'libgpiod tools';

export class GpiodTools {
  private constructor(
    readonly major: number,
    readonly minor: number,
    readonly versionText: string,
    private readonly env: NodeJS.ProcessEnv,
    private readonly clock: Clock,
    private readonly timeoutMs: number,
  ) {}

  /** Finds the tools on PATH and reads their version. */
  static async probe(options: GpiodToolsOptions): Promise<GpiodTools> {
    const env = options.env ?? process.env;
    for (const tool of ['gpiodetect', 'gpioinfo', 'gpioget', 'gpioset', 'gpiomon']) {
      if (!which(tool, env)) throw new DeviceNotFoundError(DEVICE, `${tool} not found on PATH (install the "gpiod" package)`);
    }
    const res = await run('gpiodetect', ['--version'], { env, clock: options.clock, timeoutMs: options.timeoutMs ?? 5000, device: DEVICE });
    const text = res.stdout.toString('utf8').split('\n')[0] ?? '';
    const m = /\bv(\d+)\.(\d+)/.exec(text);
    if (res.code !== 0 || !m) throw new DeviceNotRespondingError(DEVICE, `cannot read the libgpiod version from "gpiodetect --version" (${text || res.stderr.trim()})`);
    const major = Number(m[1]);
    const minor = Number(m[2]);
    if (major === 1 && minor < 5) throw new DeviceNotFoundError(DEVICE, `libgpiod ${m[1]}.${m[2]} is too old: gpiomon needs --line-buffered (1.5 or later)`);
    if (major > 2 || major < 1) throw new DeviceNotFoundError(DEVICE, `unsupported libgpiod major version ${major} (${text})`);
    return new GpiodTools(major, minor, text.trim(), env, options.clock, options.timeoutMs ?? 5000);
  }

  get v2(): boolean {
    return this.major >= 2;
  }

  async detect(): Promise<GpiodChip[]> {
    const out = await this.call('gpiodetect', []);
    const chips: GpiodChip[] = [];
    for (const line of out.split('\n')) {
      const m = /^(\S+)\s+\[(.*)\]\s+\((\d+) lines?\)/.exec(line.trim());
      if (m) chips.push({ name: m[1], label: m[2], ngpio: Number(m[3]) });
    }
    return chips;
  }

  async info(chip: string): Promise<GpiodLineInfo[]> {
    const out = await this.call('gpioinfo', this.v2 ? ['-c', chip] : [chip]);
    const lines: GpiodLineInfo[] = [];
    for (const text of out.split('\n')) {
      const m = /^\s*line\s+(\d+):\s*(.*)$/.exec(text);
      if (m) lines.push(parseInfoLine(Number(m[1]), m[2]));
    }
    return lines;
  }

  async get(chip: string, offset: number, activeLow: boolean): Promise<Level> {
    const args = [...(activeLow ? ['-l'] : []), ...(this.v2 ? ['-c', chip] : [chip]), String(offset)];
    const out = (await this.call('gpioget', args)).trim();
    // v1 prints 1/0; v2 prints "17"=active (or 1/0 with --numeric).
    const m = /^(?:"?[^=\s]*"?=)?(active|inactive|1|0)$/.exec(out);
    if (!m) throw new BusError(`${DEVICE}: unexpected gpioget output ${JSON.stringify(out)}`);
    return m[1] === 'active' || m[1] === '1' ? 1 : 0;
  }

  /**
   * Sets a line and exits; the line is released afterwards. Raspberry Pi pin controllers keep
   * driving the last level after release (see docs/bring-up.md for other boards).
   */
  async set(chip: string, offset: number, value: Level, activeLow: boolean): Promise<void> {
    const args = this.v2
      ? [...(activeLow ? ['-l'] : []), '-t0', '-c', chip, `${offset}=${value}`]
      : [...(activeLow ? ['-l'] : []), chip, `${offset}=${value}`];
    await this.call('gpioset', args);
  }

  /**
   * Starts gpiomon on one line. Resolves once the line is requested (v2 prints a banner; v1
   * has none, so it resolves when the process has started).
   */
  async monitor(chip: string, offset: number, activeLow: boolean, edge: 'rising' | 'falling' | 'both', onEvent: (e: GpiodEvent) => void, onExit: (err: Error) => void): Promise<GpiodMonitor> {
    const args = this.v2
      ? [...(activeLow ? ['-l'] : []), '--banner', '-e', edge, '-F', '%o %e %S', '-c', chip, String(offset)]
      : [...(activeLow ? ['-l'] : []), '-b', ...(edge === 'rising' ? ['-r'] : edge === 'falling' ? ['-f'] : []), '-F', '%o %e %s.%n', chip, String(offset)];
    const child = spawn('gpiomon', args, { env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
    ignoreStreamErrors(child);
    return new Promise((resolve, reject) => {
      let started = false;
      let stopping = false;
      let stderr = '';
      const monitor = new GpiodMonitor(child, () => {
        stopping = true;
      });
      child.stderr!.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
      const rl = createInterface({ input: child.stdout! });
      rl.on('error', () => undefined); // readline re-emits stdout errors; the exit status tells what happened
      rl.on('line', (line) => {
        if (!started && /^Monitoring line/.test(line)) {
          started = true;
          resolve(monitor);
          return;
        }
        const ev = this.parseEvent(line);
        if (ev) onEvent(ev);
      });
      child.on('spawn', () => {
        if (!this.v2) {
          started = true;
          resolve(monitor);
        }
      });
      child.on('error', (err) => {
        if (!started) reject(spawnError(err, 'gpiomon', DEVICE));
        else if (!stopping) onExit(spawnError(err, 'gpiomon', DEVICE));
      });
      child.on('close', (code, signal) => {
        const err = toolError('gpiomon', { code, signal, stderr, stdout: Buffer.alloc(0) });
        if (!started) reject(err);
        else if (!stopping) onExit(err);
      });
    });
  }

  private parseEvent(line: string): GpiodEvent | null {
    const m = /^(\d+)\s+(\d)\s+([\d.]+)/.exec(line.trim());
    if (!m) return null;
    const type = Number(m[2]);
    // v1: 1 rising, 0 falling; v2: 1 rising, 2 falling.
    const edge = type === 1 ? 'rising' : (this.v2 ? type === 2 : type === 0) ? 'falling' : null;
    return edge ? { offset: Number(m[1]), edge, timestamp: Number(m[3]) } : null;
  }

  private async call(tool: string, args: string[]): Promise<string> {
    const res = await run(tool, args, { env: this.env, clock: this.clock, timeoutMs: this.timeoutMs, device: DEVICE });
    if (res.code !== 0) throw toolError(tool, res);
    return res.stdout.toString('utf8');
  }
}

export class GpiodMonitor {
  constructor(
    private readonly child: ChildProcess,
    private readonly markStopping: () => void,
  ) {}

  stop(): Promise<void> {
    this.markStopping();
    return stopProcess(this.child, 'SIGTERM');
  }
}

function parseInfoLine(offset: number, rest: string): GpiodLineInfo {
  // v1: "GPIO17"  "gpiomon"  input  active-high [used]   or   unnamed  unused  output  active-high
  // v2: "GPIO17"  input edges=both consumer="gpiomon"      or   unnamed  output
  const quoted = [...rest.matchAll(/"([^"]*)"/g)].map((m) => m[1]);
  const unnamed = /^unnamed\b/.test(rest.trim());
  const name = unnamed ? null : (quoted[0] ?? null);
  let consumer: string | null = null;
  const v2Consumer = /consumer="([^"]*)"/.exec(rest);
  if (v2Consumer) consumer = v2Consumer[1];
  else {
    // v1 puts the consumer (or the word "unused") right after the name.
    const afterName = unnamed ? rest.trim().slice('unnamed'.length).trim() : rest.trim().replace(/^"[^"]*"\s*/, '');
    const c = /^"([^"]*)"/.exec(afterName);
    if (c) consumer = c[1];
  }
  const used = consumer !== null || /\[used\]/.test(rest);
  return { offset, name, consumer, used, direction: /\boutput\b/.test(rest) ? 'output' : 'input' };
}

function toolError(tool: string, res: RunResult): Error {
  const why = res.stderr.trim().split('\n').pop() || (res.signal ? `killed by ${res.signal}` : `exit code ${res.code}`);
  if (/busy/i.test(why)) return new BusError(`${DEVICE}: ${tool}: line is in use (${why})`);
  if (/out of range|cannot find|No such|invalid (chip|line)|not found/i.test(why)) return new DeviceNotFoundError(DEVICE, `${tool}: ${why}`);
  if (/Permission denied/i.test(why)) return new BusError(`${DEVICE}: ${tool}: permission denied; run as a member of the gpio group (${why})`);
  return new BusError(`${DEVICE}: ${tool} failed: ${why}`);
}
