/**
 * A fake of the kernel's legacy sysfs GPIO interface (drivers/gpio/gpiolib-sysfs.c), faithful
 * enough to run the real onoff module on it:
 *
 * - A temp directory holds the class tree as the kernel shows it: `export`, `unexport` and one
 *   `gpiochipN/` per chip with `base`, `label`, `ngpio`; exported lines appear as `gpioN/`.
 * - `fs` is a drop-in for the handful of node:fs calls onoff makes. Paths under
 *   /sys/class/gpio/ go to the temp tree; attribute reads and writes behave like the kernel's
 *   show/store functions: `export` of a number outside every chip → EINVAL (the Bookworm chip
 *   base trap), exporting twice → EBUSY, direction "high"/"low" set the raw level, `value` is
 *   the logical level (active_low applied), writing `value` of an input → EPERM, active_low
 *   swaps which physical edge raises an interrupt.
 * - `Epoll` stands in for the epoll addon: an edge on a line with `edge` configured notifies
 *   every poller watching that line's value fd (POLLPRI), asynchronously like libuv would.
 *
 * `loadOnoff()` evaluates the real onoff.js with `require('fs')` and `require('epoll')`
 * redirected here (module mocking without touching the global fs), so the driver under test is
 * onoff's code and ours, unmodified.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import vm from 'node:vm';
import type { OnoffModule } from '../../hal/linux/gpio-sysfs.ts';

export interface FakeChipSpec {
  base: number;
  ngpio: number;
  label: string;
}

type Edge = 'none' | 'rising' | 'falling' | 'both';

interface LineState {
  direction: 'in' | 'out';
  /** Raw level driven by the line when it is an output. */
  outLevel: 0 | 1;
  activeLow: boolean;
  edge: Edge;
}

interface FakeFd {
  gpio: number;
  attr: 'value' | 'direction' | 'edge' | 'active_low';
}

const SYSFS = '/sys/class/gpio';
const ATTRS = ['value', 'direction', 'edge', 'active_low'] as const;

function errno(code: string, n: number, syscall: string, p?: string): NodeJS.ErrnoException {
  const e = new Error(`${code}: ${syscall}${p ? ` '${p}'` : ''}`) as NodeJS.ErrnoException;
  e.code = code;
  e.errno = -n;
  e.syscall = syscall;
  if (p) e.path = p;
  return e;
}

export class FakeGpioSysfs {
  readonly root: string;
  private readonly chips: FakeChipSpec[];
  private readonly exported = new Map<number, LineState>();
  /** Level the outside world puts on each line (buttons, switches); default 0. */
  private readonly external = new Map<number, 0 | 1>();
  /**
   * Lines unexported while outputs: the pin controller keeps them driving their last level (as
   * a Raspberry Pi does; unexport only gives the line back), until exported and reconfigured.
   */
  private readonly retained = new Map<number, 0 | 1>();
  /** Lines a kernel driver has requested: export → EBUSY. */
  readonly kernelClaimed = new Set<number>();
  private readonly fds = new Map<number, FakeFd>();
  private nextFd = 1_000_000;
  private readonly pollers = new Set<FakeEpollInstance>();
  private pending = 0;
  private idleWaiters: Array<() => void> = [];
  /** Every attribute write, in order, as "gpioN/attr=value" or "export=N" (for assertions). */
  readonly writes: string[] = [];
  private readonly levelListeners = new Set<(gpio: number, level: 0 | 1) => void>();

  constructor(chips: readonly FakeChipSpec[]) {
    this.chips = [...chips];
    this.root = fs.mkdtempSync(path.join(os.tmpdir(), 'dozor-sysfs-gpio-'));
    fs.writeFileSync(path.join(this.root, 'export'), '');
    fs.writeFileSync(path.join(this.root, 'unexport'), '');
    for (const c of chips) {
      const dir = path.join(this.root, `gpiochip${c.base}`);
      fs.mkdirSync(dir);
      fs.writeFileSync(path.join(dir, 'base'), `${c.base}\n`);
      fs.writeFileSync(path.join(dir, 'label'), `${c.label}\n`);
      fs.writeFileSync(path.join(dir, 'ngpio'), `${c.ngpio}\n`);
    }
  }

  dispose(): void {
    fs.rmSync(this.root, { recursive: true, force: true });
  }

  // ---- the outside world ----

  /** Puts a physical level on a line from outside (a button closing to ground → 0). */
  drive(gpio: number, level: 0 | 1): void {
    const before = this.physical(gpio);
    this.external.set(gpio, level);
    const after = this.physical(gpio);
    if (before !== after) {
      this.interrupt(gpio, after);
      this.changed(gpio, after);
    }
  }

  /** Calls `listener` with every physical level change of any line (an output written, a line driven); returns the unsubscribe. */
  onLevel(listener: (gpio: number, level: 0 | 1) => void): () => void {
    this.levelListeners.add(listener);
    return () => this.levelListeners.delete(listener);
  }

  private changed(gpio: number, level: 0 | 1): void {
    for (const l of this.levelListeners) l(gpio, level);
  }

  /** The physical level on a line: what an output drives, or what the outside puts on an input. */
  physical(gpio: number): 0 | 1 {
    const s = this.exported.get(gpio);
    if (s?.direction === 'out') return s.outLevel;
    if (!s && this.retained.has(gpio)) return this.retained.get(gpio)!;
    return this.external.get(gpio) ?? 0;
  }

  isExported(gpio: number): boolean {
    return this.exported.has(gpio);
  }

  state(gpio: number): Readonly<LineState> | undefined {
    return this.exported.get(gpio);
  }

  /** Resolves once every pending epoll notification has been delivered. */
  flush(): Promise<void> {
    if (this.pending === 0) return new Promise((r) => setImmediate(r));
    return new Promise((r) => this.idleWaiters.push(r));
  }

  // ---- kernel behaviour ----

  private chipOf(gpio: number): FakeChipSpec | undefined {
    return this.chips.find((c) => gpio >= c.base && gpio < c.base + c.ngpio);
  }

  private logical(gpio: number): 0 | 1 {
    const s = this.exported.get(gpio)!;
    return (this.physical(gpio) ^ (s.activeLow ? 1 : 0)) as 0 | 1;
  }

  private interrupt(gpio: number, physicalAfter: 0 | 1): void {
    const s = this.exported.get(gpio);
    if (!s || s.direction !== 'in' || s.edge === 'none') return;
    // The IRQ trigger is chosen on the physical line with active_low swapping rising/falling,
    // which makes `edge` mean the logical edge.
    const logicalAfter = physicalAfter ^ (s.activeLow ? 1 : 0);
    const fire = s.edge === 'both' || (s.edge === 'rising' && logicalAfter === 1) || (s.edge === 'falling' && logicalAfter === 0);
    if (!fire) return;
    for (const p of this.pollers) {
      for (const fd of p.fds) {
        const f = this.fds.get(fd);
        if (f && f.gpio === gpio && f.attr === 'value') this.deliver(p, fd);
      }
    }
  }

  private deliver(p: FakeEpollInstance, fd: number): void {
    this.pending += 1;
    setImmediate(() => {
      this.pending -= 1;
      if (p.fds.has(fd)) p.callback(null, fd, FakeEpoll.EPOLLPRI);
      if (this.pending === 0) {
        const waiters = this.idleWaiters;
        this.idleWaiters = [];
        for (const w of waiters) w();
      }
    });
  }

  private parseInt(text: string, syscall: string, p: string): number {
    const t = text.trim();
    if (!/^-?(0x[0-9a-f]+|\d+)$/i.test(t)) throw errno('EINVAL', 22, syscall, p);
    return Number(t);
  }

  private classStore(attr: 'export' | 'unexport', text: string, p: string): void {
    const gpio = this.parseInt(text, 'write', p);
    this.writes.push(`${attr}=${gpio}`);
    if (attr === 'export') {
      if (!this.chipOf(gpio)) throw errno('EINVAL', 22, 'write', p);
      if (this.exported.has(gpio) || this.kernelClaimed.has(gpio)) throw errno('EBUSY', 16, 'write', p);
      // Export does not reconfigure the pin: a line left driving is still an output.
      const kept = this.retained.get(gpio);
      this.retained.delete(gpio);
      this.exported.set(gpio, { direction: kept === undefined ? 'in' : 'out', outLevel: kept ?? 0, activeLow: false, edge: 'none' });
      const dir = path.join(this.root, `gpio${gpio}`);
      fs.mkdirSync(dir);
      for (const a of ATTRS) fs.writeFileSync(path.join(dir, a), '');
    } else {
      if (!this.exported.has(gpio)) throw errno('EINVAL', 22, 'write', p);
      const before = this.physical(gpio);
      const s = this.exported.get(gpio)!;
      if (s.direction === 'out') this.retained.set(gpio, s.outLevel);
      this.exported.delete(gpio);
      if (this.physical(gpio) !== before) this.changed(gpio, this.physical(gpio));
      fs.rmSync(path.join(this.root, `gpio${gpio}`), { recursive: true, force: true });
    }
  }

  private show(gpio: number, attr: FakeFd['attr'], p: string): string {
    const s = this.exported.get(gpio);
    if (!s) throw errno('ENOENT', 2, 'open', p);
    switch (attr) {
      case 'value':
        return `${this.logical(gpio)}\n`;
      case 'direction':
        return `${s.direction}\n`;
      case 'edge':
        return `${s.edge}\n`;
      case 'active_low':
        return `${s.activeLow ? 1 : 0}\n`;
    }
  }

  private store(gpio: number, attr: FakeFd['attr'], text: string, p: string): void {
    const s = this.exported.get(gpio);
    if (!s) throw errno('ENOENT', 2, 'open', p);
    this.writes.push(`gpio${gpio}/${attr}=${text.trim()}`);
    const before = this.physical(gpio);
    switch (attr) {
      case 'value': {
        const v = this.parseInt(text, 'write', p);
        if (s.direction !== 'out') throw errno('EPERM', 1, 'write', p);
        s.outLevel = ((v !== 0 ? 1 : 0) ^ (s.activeLow ? 1 : 0)) as 0 | 1;
        break;
      }
      case 'direction': {
        const t = text.trim();
        if (!['in', 'out', 'high', 'low'].includes(t)) throw errno('EINVAL', 22, 'write', p);
        if (t !== 'in' && s.edge !== 'none') throw errno('EIO', 5, 'write', p); // a line tied to an IRQ cannot drive
        s.direction = t === 'in' ? 'in' : 'out';
        if (t !== 'in') s.outLevel = t === 'high' ? 1 : 0; // raw, before active_low
        break;
      }
      case 'edge': {
        const t = text.trim();
        if (!['none', 'rising', 'falling', 'both'].includes(t)) throw errno('EINVAL', 22, 'write', p);
        if (s.direction !== 'in' && t !== 'none') throw errno('EIO', 5, 'write', p);
        s.edge = t as Edge;
        break;
      }
      case 'active_low':
        s.activeLow = this.parseInt(text, 'write', p) !== 0;
        break;
    }
    const after = this.physical(gpio);
    if (before !== after) {
      this.interrupt(gpio, after);
      this.changed(gpio, after);
    }
  }

  /** Splits a /sys/class/gpio path into its meaning. */
  private resolve(p: string): { kind: 'class'; attr: 'export' | 'unexport' } | { kind: 'line'; gpio: number; attr: FakeFd['attr'] | null } | { kind: 'other'; real: string } | null {
    const norm = path.posix.normalize(p.replace(/\/+$/, ''));
    if (norm !== SYSFS && !norm.startsWith(`${SYSFS}/`)) return null;
    const rest = norm.slice(SYSFS.length + 1);
    if (rest === 'export' || rest === 'unexport') return { kind: 'class', attr: rest };
    const m = /^gpio(\d+)(?:\/(value|direction|edge|active_low))?$/.exec(rest);
    if (m) return { kind: 'line', gpio: Number(m[1]), attr: (m[2] as FakeFd['attr'] | undefined) ?? null };
    return { kind: 'other', real: path.join(this.root, rest) };
  }

  private toText(data: unknown): string {
    return Buffer.isBuffer(data) ? data.toString() : String(data);
  }

  /** The node:fs subset onoff uses, with /sys/class/gpio/ served by this fake. */
  readonly fs = {
    constants: fs.constants,
    existsSync: (p: string): boolean => {
      const r = this.resolve(p);
      if (!r) return fs.existsSync(p);
      if (r.kind === 'line') return this.exported.has(r.gpio);
      if (r.kind === 'class') return true;
      return fs.existsSync(r.real);
    },
    writeFileSync: (p: string, data: unknown): void => {
      const r = this.resolve(p);
      if (!r) return fs.writeFileSync(p, data as string);
      if (r.kind === 'class') return this.classStore(r.attr, this.toText(data), p);
      if (r.kind === 'line' && r.attr) return this.store(r.gpio, r.attr, this.toText(data), p);
      throw errno('EACCES', 13, 'open', p);
    },
    readFileSync: (p: string): Buffer => {
      const r = this.resolve(p);
      if (!r) return fs.readFileSync(p);
      if (r.kind === 'line' && r.attr) return Buffer.from(this.show(r.gpio, r.attr, p));
      if (r.kind === 'other') return fs.readFileSync(r.real);
      throw errno('EACCES', 13, 'open', p); // export/unexport are write-only
    },
    openSync: (p: string, flags?: string | number): number => {
      const r = this.resolve(p);
      if (!r) return fs.openSync(p, flags as string);
      if (r.kind === 'class') {
        // write-only attributes: O_WRONLY opens, reads would fail
        const fd = this.nextFd++;
        this.fds.set(fd, { gpio: -1, attr: 'value' });
        return fd;
      }
      if (r.kind === 'line' && r.attr) {
        if (!this.exported.has(r.gpio)) throw errno('ENOENT', 2, 'open', p);
        const fd = this.nextFd++;
        this.fds.set(fd, { gpio: r.gpio, attr: r.attr });
        return fd;
      }
      throw errno('EISDIR', 21, 'open', p);
    },
    closeSync: (fd: number): void => {
      if (!this.fds.delete(fd)) fs.closeSync(fd);
    },
    readSync: (fd: number, buf: Buffer, off: number, len: number, pos: number): number => {
      const f = this.fds.get(fd);
      if (!f) return fs.readSync(fd, buf, off, len, pos);
      const text = Buffer.from(this.show(f.gpio, f.attr, `${SYSFS}/gpio${f.gpio}/${f.attr}`));
      return text.copy(buf, off, pos ?? 0, (pos ?? 0) + len);
    },
    read: (fd: number, buf: Buffer, off: number, len: number, pos: number, cb: (err: Error | null, n?: number, b?: Buffer) => void): void => {
      const f = this.fds.get(fd);
      if (!f) return void fs.read(fd, buf, off, len, pos, cb);
      setImmediate(() => {
        try {
          const n = this.fs.readSync(fd, buf, off, len, pos);
          cb(null, n, buf);
        } catch (err) {
          cb(err as Error);
        }
      });
    },
    writeSync: (fd: number, buf: Buffer, off = 0, len = buf.length): number => {
      const f = this.fds.get(fd);
      if (!f) return fs.writeSync(fd, buf, off, len);
      this.store(f.gpio, f.attr, buf.subarray(off, off + len).toString(), `${SYSFS}/gpio${f.gpio}/${f.attr}`);
      return len;
    },
    write: (fd: number, buf: Buffer, off: number, len: number, pos: number, cb: (err: Error | null, n?: number) => void): void => {
      const f = this.fds.get(fd);
      if (!f) return void fs.write(fd, buf, off, len, pos, cb);
      setImmediate(() => {
        try {
          cb(null, this.fs.writeSync(fd, buf, off, len));
        } catch (err) {
          cb(err as Error);
        }
      });
    },
  };

  /** Stands in for the `epoll` addon's module exports. */
  readonly epoll = { Epoll: makeEpollClass(this) };

  /** @internal */ registerPoller(p: FakeEpollInstance): void {
    this.pollers.add(p);
  }

  /** @internal */ isFakeFd(fd: number): boolean {
    return this.fds.has(fd);
  }

  /** The real onoff module, evaluated with `fs` and `epoll` redirected to this fake. */
  loadOnoff(): OnoffModule {
    const req = createRequire(import.meta.url);
    const file = req.resolve('onoff');
    const onoffRequire = createRequire(file);
    const fn = vm.compileFunction(fs.readFileSync(file, 'utf8'), ['exports', 'require', 'module', '__filename', '__dirname'], { filename: file });
    const mod = { exports: {} as OnoffModule };
    const redirected = (id: string) => (id === 'fs' ? this.fs : id === 'epoll' ? this.epoll : onoffRequire(id));
    fn(mod.exports, redirected, mod, file, path.dirname(file));
    return mod.exports;
  }
}

interface FakeEpollInstance {
  callback: (err: Error | null, fd: number, events: number) => void;
  fds: Set<number>;
}

const FakeEpoll = { EPOLLPRI: 2 };

function makeEpollClass(sysfs: FakeGpioSysfs) {
  return class Epoll implements FakeEpollInstance {
    static readonly EPOLLPRI = FakeEpoll.EPOLLPRI;
    static readonly EPOLLIN = 1;
    static readonly EPOLLONESHOT = 1 << 30;
    readonly fds = new Set<number>();
    constructor(readonly callback: (err: Error | null, fd: number, events: number) => void) {
      sysfs.registerPoller(this);
    }
    add(fd: number, _events: number): this {
      if (!sysfs.isFakeFd(fd)) throw errno('EBADF', 9, 'epoll_ctl');
      if (this.fds.has(fd)) throw errno('EEXIST', 17, 'epoll_ctl');
      this.fds.add(fd);
      return this;
    }
    modify(_fd: number, _events: number): this {
      return this;
    }
    remove(fd: number): this {
      if (!this.fds.delete(fd)) throw errno('ENOENT', 2, 'epoll_ctl');
      return this;
    }
    close(): void {
      this.fds.clear();
    }
  };
}

/** Chip layouts as Raspberry Pi OS shows them. */
export const PI_CHIPS = {
  /** Pi 4 on kernel 6.6+: header chip at 512, firmware expander after it. */
  pi4Kernel66: [
    { base: 512, ngpio: 58, label: 'pinctrl-bcm2711' },
    { base: 570, ngpio: 8, label: 'raspberrypi-exp-gpio' },
  ],
  /** Pi 5: SoC chips from 512, the RP1 header chip at 571. */
  pi5: [
    { base: 512, ngpio: 32, label: 'gpio-brcmstb@107d508500' },
    { base: 544, ngpio: 4, label: 'gpio-brcmstb@107d508520' },
    { base: 548, ngpio: 17, label: 'gpio-brcmstb@107d517c00' },
    { base: 565, ngpio: 6, label: 'gpio-brcmstb@107d517c20' },
    { base: 571, ngpio: 54, label: 'pinctrl-rp1' },
  ],
  /** Pi 4 on an older kernel: base 0. */
  pi4Kernel515: [
    { base: 0, ngpio: 58, label: 'pinctrl-bcm2711' },
    { base: 504, ngpio: 8, label: 'raspberrypi-exp-gpio' },
  ],
} satisfies Record<string, FakeChipSpec[]>;
