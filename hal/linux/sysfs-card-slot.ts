/**
 * The sealed card slot on a Linux board: card presence and identity from
 * `/sys/block/mmcblkN/device/{cid,type,manfid,oemid,name,serial,date,hwrev,fwrev}`, the card's
 * filesystem as an `FsStorage` at its mount point, and the seal / slot-cover switch on a GPIO
 * input.
 *
 * Change detection polls on the injected clock (default every 500 ms) instead of listening for
 * udev events, because:
 * - sysfs attribute files do not notify `poll()` on device add/remove; udev uevents arrive on a
 *   NETLINK_KOBJECT_UEVENT socket that Node cannot open without a native module, and running
 *   `udevadm monitor` as a child process adds a second process to supervise for no gain;
 * - one `stat` of one directory twice a second costs nothing measurable, and the kernel itself
 *   debounces card detect by about 200 ms (`mmc_detect_change(host, msecs_to_jiffies(200))` in
 *   the SDHCI card-detect interrupt), so a 500 ms poll adds at most half a second to a removal
 *   that is journalled anyway;
 * - polling on the injected `Clock` runs unchanged under the simulator's virtual time.
 * Every poll also re-reads the CID and the device node's identity (real path + inode: the kernel
 * makes new sysfs nodes per insertion), so a swap faster than one poll still shows as a removal
 * and an insertion, even for a counterfeit with the same CID.
 * The seal switch is edge-driven (its `DigitalInput.changes$`) and also sampled by the poll.
 *
 * The storage is only handed out while the card is present *and* its filesystem is mounted at
 * the mount point (checked in the mounts table on every call): writing into an empty mount-point
 * folder would silently put evidence on the internal root filesystem.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { Subject, type Observable, type Subscription } from 'rxjs';
import type { CardSlot, CardStatus } from '../card.ts';
import type { Clock, TimerHandle } from '../clock.ts';
import { DeviceBase, check } from '../device.ts';
import { InvalidOptionsError, StorageUnavailableError } from '../errors.ts';
import type { DigitalInput, Level } from '../bus/gpio.ts';
import type { Storage } from '../storage.ts';
import { SwitchedStorage } from '../switched-storage.ts';
import { FsStorage } from './fs-storage.ts';
import { crossCheckSysfs, decodeSdCid, type DecodedSdCid, type SdCidSysfs } from '../drivers/sd-cid.ts';

export interface SysfsCardSlotOptions {
  /** Name used in errors and the journal (default "card slot"). */
  name?: string;
  /** The card's block device under /sys/block, e.g. "mmcblk1" (on a Pi booting from SD, mmcblk0 is the boot card). */
  blockDevice: string;
  /** Absolute path where the card's filesystem is mounted, e.g. "/media/evidence". */
  mountPoint: string;
  /** The seal / slot-cover switch. Not closed by the slot: whoever opened the line closes it. */
  seal: DigitalInput;
  /** Logical level of `seal` when the cover is closed (default 1). */
  sealClosedLevel?: Level;
  clock: Clock;
  /** Presence / identity poll period in ms (default 500, 50–10 000). */
  pollMs?: number;
  /** Root of sysfs (default "/sys"); tests point it at a fake tree. */
  sysfsRoot?: string;
  /** The mounts table (default "/proc/self/mounts"). */
  mountsFile?: string;
  /** The mount source must start with this (default "/dev/<blockDevice>", matching its partitions). */
  mountSourcePrefix?: string;
}

/** What the slot last learnt about the card's identity, for `dozor doctor` and the journal. */
export interface CardIdentity {
  present: boolean;
  /**
   * Which insertion this is: the device folder's real path and inode. The kernel creates new
   * sysfs nodes (new inode numbers) for every insertion, so a card swapped for another with the
   * same CID between two polls still shows as a removal and an insertion.
   */
  instance: string | null;
  /** Decoded CID when it was readable, consistent and an SD card. */
  cid: DecodedSdCid | null;
  /** Why the CID is not trusted (null when it is, or when no card is present). */
  problem: string | null;
}

const CID_ATTRS = ['manfid', 'oemid', 'name', 'serial', 'date', 'hwrev', 'fwrev'] as const;

export class SysfsCardSlot extends DeviceBase implements CardSlot {
  readonly storage: Storage;
  private readonly deviceDir: string;
  private readonly mountPoint: string;
  private readonly mountsFile: string;
  private readonly mountSourcePrefix: string;
  private readonly sealInput: DigitalInput;
  private readonly sealClosedLevel: Level;
  private readonly fs: FsStorage;
  private readonly changes = new Subject<CardStatus>();
  private readonly timer: TimerHandle;
  private readonly sealSub: Subscription;
  private last: CardStatus | null = null;
  private inFlight: Promise<CardStatus> | null = null;
  private lastIdentity: CardIdentity = { present: false, instance: null, cid: null, problem: null };
  private lastInstance: string | null = null;

  constructor(options: SysfsCardSlotOptions) {
    if (options === null || typeof options !== 'object') throw new InvalidOptionsError('SysfsCardSlot: options object required');
    const name = options.name ?? 'card slot';
    super(name);
    if (typeof options.blockDevice !== 'string' || !/^mmcblk\d+$/.test(options.blockDevice)) {
      throw new InvalidOptionsError(`${name}: blockDevice must look like "mmcblk1", got ${JSON.stringify(options.blockDevice)}`);
    }
    if (typeof options.mountPoint !== 'string' || !path.isAbsolute(options.mountPoint) || path.resolve(options.mountPoint) === '/') {
      throw new InvalidOptionsError(`${name}: mountPoint must be an absolute folder other than /, got ${JSON.stringify(options.mountPoint)}`);
    }
    if (!options.seal || typeof options.seal.read !== 'function' || !options.seal.changes$) {
      throw new InvalidOptionsError(`${name}: seal must be a DigitalInput`);
    }
    if (!options.clock || typeof options.clock.setInterval !== 'function') throw new InvalidOptionsError(`${name}: clock required`);
    const pollMs = check.int(options.pollMs ?? 500, `${name}: pollMs`, 50, 10_000);
    const level = options.sealClosedLevel ?? 1;
    if (level !== 0 && level !== 1) throw new InvalidOptionsError(`${name}: sealClosedLevel must be 0 or 1`);
    const sysfsRoot = options.sysfsRoot ?? '/sys';
    if (typeof sysfsRoot !== 'string' || sysfsRoot.length === 0) throw new InvalidOptionsError(`${name}: sysfsRoot must be a path`);
    this.deviceDir = path.join(sysfsRoot, 'block', options.blockDevice, 'device');
    this.mountPoint = path.resolve(options.mountPoint);
    this.mountsFile = options.mountsFile ?? '/proc/self/mounts';
    this.mountSourcePrefix = options.mountSourcePrefix ?? `/dev/${options.blockDevice}`;
    this.sealInput = options.seal;
    this.sealClosedLevel = level;

    this.fs = new FsStorage({ name: `${name} card`, root: this.mountPoint });
    this.storage = new SwitchedStorage(`${name} card`, () => this.mountedStorage());
    this.sealSub = this.sealInput.changes$.subscribe(({ value }) => this.onSealLevel(value));
    this.timer = options.clock.setInterval(() => void this.refresh().catch(() => undefined), pollMs);
    void this.refresh().catch(() => undefined);
  }

  get changes$(): Observable<CardStatus> {
    return this.changes.asObservable();
  }

  /** The identity found by the last read (why a CID is not trusted, for diagnostics). */
  identity(): CardIdentity {
    return this.lastIdentity;
  }

  async status(): Promise<CardStatus> {
    return (await this.read()).status;
  }

  private async read(): Promise<{ status: CardStatus; instance: string | null }> {
    this.assertOpen();
    const [id, level] = await Promise.all([this.readIdentity(), this.sealInput.read()]);
    this.lastIdentity = id;
    return { status: { present: id.present, cid: id.cid?.hex ?? null, sealClosed: level === this.sealClosedLevel }, instance: id.instance };
  }

  /** Polls once now: reads the slot and emits on `changes$` if anything differs from the last poll. */
  refresh(): Promise<CardStatus> {
    this.assertOpen();
    this.inFlight ??= this.read()
      .then(({ status, instance }) => {
        if (!this.closed) this.update(status, instance);
        return status;
      })
      .finally(() => {
        this.inFlight = null;
      });
    return this.inFlight;
  }

  protected override async onClose(): Promise<void> {
    this.timer.cancel();
    this.sealSub.unsubscribe();
    await this.inFlight?.catch(() => undefined);
    this.changes.complete();
    await this.storage.close();
    await this.fs.close();
  }

  private update(next: CardStatus, instance: string | null): void {
    const prev = this.last;
    const prevInstance = this.lastInstance;
    this.last = next;
    this.lastInstance = instance;
    if (!prev) return;
    if (prev.present && next.present && prevInstance !== instance) {
      // Pulled and reinserted (maybe another card with the same CID) between two polls.
      this.changes.next({ present: false, cid: null, sealClosed: next.sealClosed });
      this.changes.next(next);
      return;
    }
    if (prev.present !== next.present || prev.cid !== next.cid || prev.sealClosed !== next.sealClosed) this.changes.next(next);
  }

  private onSealLevel(value: Level): void {
    if (this.closed) return;
    const sealClosed = value === this.sealClosedLevel;
    const base = this.last ?? { present: this.lastIdentity.present, cid: this.lastIdentity.cid?.hex ?? null, sealClosed: !sealClosed };
    if (base.sealClosed === sealClosed) return;
    this.last = { ...base, sealClosed };
    this.changes.next(this.last);
  }

  private readIdentity(): Promise<CardIdentity> {
    return readCardIdentity(this.deviceDir);
  }


  private async mountedStorage(): Promise<Storage> {
    this.assertOpen();
    if (!(await exists(this.deviceDir))) throw new StorageUnavailableError(this.storage.name, 'no card in the slot');
    if (!(await this.isMounted())) {
      throw new StorageUnavailableError(this.storage.name, `card filesystem is not mounted at ${this.mountPoint}`);
    }
    return this.fs;
  }

  /** True when the mounts table's last entry for the mount point comes from the card's device. */
  private async isMounted(): Promise<boolean> {
    let table: string;
    try {
      table = await fsp.readFile(this.mountsFile, 'utf8');
    } catch {
      return false;
    }
    let source: string | null = null;
    for (const line of table.split('\n')) {
      const fields = line.split(' ');
      if (fields.length < 3) continue;
      // /proc/mounts escapes space, tab, newline and backslash as octal (\040 …).
      if (path.resolve(unescapeMount(fields[1])) === this.mountPoint) source = unescapeMount(fields[0]);
    }
    return source !== null && source.startsWith(this.mountSourcePrefix);
  }
}

function unescapeMount(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/**
 * Reads and checks the identity of the card behind `/sys/block/mmcblkN/device` (`deviceDir`):
 * presence, insertion identity, type, CID (CRC7) and the cross-check against the other attribute
 * files. Used by the slot on every poll and by `dozor card inspect`.
 */
export async function readCardIdentity(deviceDir: string): Promise<CardIdentity> {
  let instance: string;
  try {
    const st = await fsp.stat(deviceDir);
    if (!st.isDirectory()) return { present: false, instance: null, cid: null, problem: null };
    instance = `${await fsp.realpath(deviceDir)}#${st.ino}`;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') {
      return { present: false, instance: null, cid: null, problem: null };
    }
    throw err;
  }
  const type = await readAttr(deviceDir, 'type');
  if (type !== undefined && type.replace(/\n$/, '') !== 'SD') {
    return { present: true, instance, cid: null, problem: `not an SD card (type ${JSON.stringify(type.trim())})` };
  }
  const raw = await readAttr(deviceDir, 'cid');
  // The device folder can vanish between the stat and the read when the card is pulled.
  if (raw === undefined) {
    const still = await exists(deviceDir);
    return { present: still, instance: still ? instance : null, cid: null, problem: still ? 'cid attribute unreadable' : null };
  }
  let cid: DecodedSdCid;
  try {
    cid = decodeSdCid(raw);
  } catch (err) {
    return { present: true, instance, cid: null, problem: (err as Error).message };
  }
  const files: Partial<Record<keyof SdCidSysfs, string>> = {};
  for (const a of CID_ATTRS) files[a] = await readAttr(deviceDir, a);
  const mismatches = crossCheckSysfs(cid, files);
  if (mismatches.length > 0) {
    const what = mismatches.map((m) => `${m.attribute} ${JSON.stringify(m.found)} ≠ ${JSON.stringify(m.expected)}`).join(', ');
    return { present: true, instance, cid: null, problem: `sysfs attributes contradict the CID: ${what}` };
  }
  return { present: true, instance, cid, problem: null };
}

/** A sysfs attribute as the kernel printed it (latin1: product names are raw bytes), or undefined when absent. */
async function readAttr(deviceDir: string, name: string): Promise<string | undefined> {
  try {
    return await fsp.readFile(path.join(deviceDir, name), 'latin1');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENODEV' || code === 'ENXIO' || code === 'EIO') return undefined;
    throw err;
  }
}

async function exists(p: string): Promise<boolean> {
  return fsp.stat(p).then(
    () => true,
    () => false,
  );
}
