/**
 * The kernel side of the fake libgpiod tools: GPIO chips and lines as the character-device
 * API presents them (line requests are exclusive, a released output keeps its level as the
 * Raspberry Pi pin controllers do, edge events respect the request's active-low flag), served
 * over a Unix socket to the tool stand-ins in gpiod-tool.mjs. `start()` also writes a bin
 * directory with gpiodetect/gpioinfo/gpioget/gpioset/gpiomon wrappers; put `env().PATH` first.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';

export interface FakeGpiodChipSpec {
  name: string;
  label: string;
  ngpio: number;
  /** Line names by offset ("GPIO17"). */
  names?: Record<number, string>;
}

interface Line {
  direction: 'in' | 'out';
  /** Physical level driven when an output (kept after release). */
  outLevel: 0 | 1;
  /** Physical level the outside world puts on the line. */
  external: 0 | 1;
  /** Consumer of the current request (a tool or a kernel driver), or null. */
  consumer: string | null;
  request: { activeLow: boolean; edge: 'rising' | 'falling' | 'both' | null; socket: net.Socket | null } | null;
}

interface Request {
  op: string;
  chip?: string;
  offsets?: number[];
  pairs?: Array<[number, 0 | 1]>;
  activeLow?: boolean;
  edge?: 'rising' | 'falling' | 'both';
  consumer?: string;
  hold?: boolean;
  argv?: string[];
}

const TOOLS = ['gpiodetect', 'gpioinfo', 'gpioget', 'gpioset', 'gpiomon'];
const TOOL_SCRIPT = path.join(import.meta.dirname, 'gpiod-tool.mjs');

export class FakeGpiodKernel {
  readonly dir: string;
  readonly binDir: string;
  private readonly socketPath: string;
  private readonly lines = new Map<string, Line[]>();
  private server: net.Server | null = null;
  private readonly sockets = new Set<net.Socket>();
  private readonly requestWaiters: Array<() => void> = [];
  /** Every tool invocation, e.g. "gpioset -t0 -c gpiochip0 16=1". */
  readonly invocations: string[] = [];
  private readonly t0 = process.hrtime.bigint();

  constructor(
    private readonly chips: readonly FakeGpiodChipSpec[],
    readonly version: string,
  ) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dozor-gpiod-'));
    this.binDir = path.join(this.dir, 'bin');
    this.socketPath = path.join(this.dir, 'kernel.sock');
    for (const c of chips) {
      this.lines.set(
        c.name,
        Array.from({ length: c.ngpio }, () => ({ direction: 'in' as const, outLevel: 0 as const, external: 0 as const, consumer: null, request: null })),
      );
    }
  }

  async start(): Promise<void> {
    fs.mkdirSync(this.binDir);
    for (const tool of TOOLS) {
      const file = path.join(this.binDir, tool);
      fs.writeFileSync(file, `#!/bin/sh\nexec "${process.execPath}" "${TOOL_SCRIPT}" ${tool} "$@"\n`);
      fs.chmodSync(file, 0o755);
    }
    this.server = net.createServer((sock) => this.serve(sock));
    await new Promise<void>((resolve) => this.server!.listen(this.socketPath, resolve));
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  /** Environment for the driver under test: fake tools first on PATH. */
  env(): NodeJS.ProcessEnv {
    return { ...process.env, PATH: `${this.binDir}${path.delimiter}${process.env.PATH ?? ''}`, FAKE_GPIOD_SOCKET: this.socketPath, FAKE_GPIOD_VERSION: this.version };
  }

  // ---- the outside world ----

  /** Calls `listener` with every physical level change of any line (an output set, a line driven); returns the unsubscribe. */
  onLevel(listener: (chip: string, offset: number, level: 0 | 1) => void): () => void {
    this.levelListeners.add(listener);
    return () => this.levelListeners.delete(listener);
  }

  private readonly levelListeners = new Set<(chip: string, offset: number, level: 0 | 1) => void>();

  /** Runs `change` on a line and reports a physical level change to the listeners. */
  private changing(chip: string, offset: number, change: () => void): void {
    const before = this.physical(chip, offset);
    change();
    const after = this.physical(chip, offset);
    if (after !== before) for (const l of this.levelListeners) l(chip, offset, after);
  }

  drive(chip: string, offset: number, level: 0 | 1): void {
    const l = this.line(chip, offset);
    const before = this.physical(chip, offset);
    this.changing(chip, offset, () => (l.external = level));
    const after = this.physical(chip, offset);
    if (before === after || l.direction !== 'in' || !l.request?.socket || !l.request.edge) return;
    const logical = after ^ (l.request.activeLow ? 1 : 0);
    const edge = logical ? 'rising' : 'falling';
    if (l.request.edge !== 'both' && l.request.edge !== edge) return;
    const ts = Number(process.hrtime.bigint() - this.t0) / 1e9;
    l.request.socket.write(`${JSON.stringify({ push: true, offset, edge, ts })}\n`);
  }

  physical(chip: string, offset: number): 0 | 1 {
    const l = this.line(chip, offset);
    return l.direction === 'out' ? l.outLevel : l.external;
  }

  direction(chip: string, offset: number): 'in' | 'out' {
    return this.line(chip, offset).direction;
  }

  consumer(chip: string, offset: number): string | null {
    return this.line(chip, offset).consumer;
  }

  /** Drops the request a tool holds on the line, as if the chip went away (the tool then fails). */
  dropRequest(chip: string, offset: number): void {
    this.line(chip, offset).request?.socket?.destroy();
  }

  /** A kernel driver (gpio-keys, an LED overlay) holds this line. */
  claimByKernel(chip: string, offset: number, consumer: string): void {
    const l = this.line(chip, offset);
    l.consumer = consumer;
    l.request = { activeLow: false, edge: null, socket: null };
  }

  /** Resolves when a tool holds a request on the line. */
  async whenRequested(chip: string, offset: number): Promise<void> {
    while (!this.line(chip, offset).request) await new Promise<void>((r) => this.requestWaiters.push(r));
  }

  /** Resolves when the line has no request. */
  async whenReleased(chip: string, offset: number): Promise<void> {
    while (this.line(chip, offset).request) await new Promise<void>((r) => this.requestWaiters.push(r));
  }

  private line(chip: string, offset: number): Line {
    const l = this.lines.get(chip)?.[offset];
    if (!l) throw new Error(`fake gpiod: no line ${chip}:${offset}`);
    return l;
  }

  private notifyRequests(): void {
    for (const w of this.requestWaiters.splice(0)) w();
  }

  // ---- the tools' "ioctls" ----

  private serve(sock: net.Socket): void {
    this.sockets.add(sock);
    const held: Line[] = [];
    sock.on('close', () => {
      this.sockets.delete(sock);
      for (const l of held) {
        l.request = null;
        l.consumer = null;
      }
      if (held.length) this.notifyRequests();
    });
    sock.on('error', () => undefined);
    // readline re-emits input errors; a tool killed mid-request resets its socket.
    const rl = createInterface({ input: sock });
    rl.on('error', () => undefined);
    rl.on('line', (text) => {
      const req = JSON.parse(text) as Request;
      const reply = (msg: object) => sock.write(`${JSON.stringify(msg)}\n`);
      reply(this.handle(req, sock, held));
    });
  }

  private handle(req: Request, sock: net.Socket, held: Line[]): object {
    switch (req.op) {
      case 'log':
        this.invocations.push(req.argv!.join(' '));
        return {};
      case 'chips':
        return { chips: this.chips.map(({ name, label, ngpio }) => ({ name, label, ngpio })) };
      case 'info': {
        const spec = this.chips.find((c) => c.name === req.chip)!;
        return { lines: this.lines.get(req.chip!)!.map((l, offset) => ({ offset, name: spec.names?.[offset] ?? null, consumer: l.consumer, direction: l.direction })) };
      }
    }
    const chip = req.chip!;
    const lines = this.lines.get(chip);
    if (!lines) return { error: 'ENOENT', chip };
    const offsets = req.offsets ?? req.pairs!.map((p) => p[0]);
    for (const o of offsets) {
      if (o >= lines.length) return { error: 'ERANGE', chip, offset: o };
      if (lines[o].request) return { error: 'EBUSY', chip };
    }
    const al = req.activeLow ? 1 : 0;
    switch (req.op) {
      case 'get': {
        // Requesting a line as input makes it an input (gpioget without --as-is).
        const values = offsets.map((o) => {
          this.changing(chip, o, () => (lines[o].direction = 'in'));
          return lines[o].external ^ al;
        });
        return { values };
      }
      case 'set': {
        for (const [o, v] of req.pairs!) {
          this.changing(chip, o, () => {
            lines[o].direction = 'out';
            lines[o].outLevel = (v ^ al) as 0 | 1;
          });
          if (req.hold) {
            lines[o].consumer = req.consumer!;
            lines[o].request = { activeLow: !!req.activeLow, edge: null, socket: sock };
            held.push(lines[o]);
          }
        }
        if (req.hold) this.notifyRequests();
        return {};
      }
      case 'monitor': {
        for (const o of offsets) {
          this.changing(chip, o, () => (lines[o].direction = 'in'));
          lines[o].consumer = req.consumer!;
          lines[o].request = { activeLow: !!req.activeLow, edge: req.edge!, socket: sock };
          held.push(lines[o]);
        }
        this.notifyRequests();
        return {};
      }
    }
    return { error: 'EINVAL', chip };
  }
}

export const PI4_GPIOD_CHIPS: FakeGpiodChipSpec[] = [
  { name: 'gpiochip0', label: 'pinctrl-bcm2711', ngpio: 58, names: Object.fromEntries(Array.from({ length: 28 }, (_, i) => [i, `GPIO${i}`])) },
  { name: 'gpiochip1', label: 'raspberrypi-exp-gpio', ngpio: 8 },
];

export const PI5_GPIOD_CHIPS: FakeGpiodChipSpec[] = [
  { name: 'gpiochip0', label: 'gpio-brcmstb@107d508500', ngpio: 32 },
  { name: 'gpiochip4', label: 'pinctrl-rp1', ngpio: 54, names: Object.fromEntries(Array.from({ length: 28 }, (_, i) => [i, `GPIO${i}`])) },
];
