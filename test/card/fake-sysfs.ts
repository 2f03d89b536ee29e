/**
 * A faithful fake of what the Linux kernel shows for an SD card slot: the
 * `/sys/block/mmcblkN/device/` attribute files (formatted as drivers/mmc/core/sd.c prints them),
 * the mounts table, the mount point (an empty folder until the card's filesystem is "mounted",
 * modelled by a symlink to that card's own folder), and the seal switch as a GPIO input.
 */
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Subject, type Observable } from 'rxjs';
import type { DigitalInput, Level } from '../../hal/bus/gpio.ts';
import { decodeSdCid, sysfsAttributes } from '../../hal/drivers/sd-cid.ts';

export class FakeSealInput implements DigitalInput {
  readonly name = 'seal switch';
  readonly line = 26;
  private level: Level;
  private readonly subject = new Subject<{ value: Level; at: number }>();
  reads = 0;

  constructor(initial: Level = 1) {
    this.level = initial;
  }
  get changes$(): Observable<{ value: Level; at: number }> {
    return this.subject.asObservable();
  }
  async read(): Promise<Level> {
    this.reads += 1;
    return this.level;
  }
  /** Changes the level; `edge: false` models a missed interrupt (only a poll can see it). */
  set(value: Level, edge = true): void {
    if (value === this.level) return;
    this.level = value;
    if (edge) this.subject.next({ value, at: 0 });
  }
  async close(): Promise<void> {}
}

export interface FakeCardSpec {
  label: string;
  cid: string;
  /** `type` attribute (default SD). */
  type?: string;
  /** Attributes to write instead of the ones derived from the CID (e.g. a real post's values, or a tampered serial). */
  attrs?: Record<string, string>;
  /** Leave the filesystem unmounted. */
  unmounted?: boolean;
  /** Mount source (default /dev/<blockDevice>p1). */
  mountSource?: string;
}

export class FakeSysfsTree {
  readonly sysfsRoot: string;
  readonly mountPoint: string;
  readonly mountsFile: string;
  readonly deviceDir: string;

  private constructor(
    readonly root: string,
    readonly blockDevice: string,
    mountPointName: string,
  ) {
    this.sysfsRoot = path.join(root, 'sys');
    this.mountPoint = path.join(root, mountPointName);
    this.mountsFile = path.join(root, 'proc-self-mounts');
    this.deviceDir = path.join(this.sysfsRoot, 'block', blockDevice, 'device');
  }

  static async create(blockDevice = 'mmcblk1', mountPointName = 'media/evidence'): Promise<FakeSysfsTree> {
    const root = await mkdtemp(path.join(tmpdir(), 'dozor-sysfs-'));
    const t = new FakeSysfsTree(root, blockDevice, mountPointName);
    await mkdir(path.join(t.sysfsRoot, 'block'), { recursive: true });
    await mkdir(t.mountPoint, { recursive: true });
    await t.writeMounts(null);
    return t;
  }

  /** The folder holding this card's files (its "filesystem"). */
  cardDir(label: string): string {
    return path.join(this.root, 'cards', label.replace(/[^A-Za-z0-9_-]/g, '_'));
  }

  private insertions = 0;

  async insert(card: FakeCardSpec): Promise<void> {
    // As in sysfs: /sys/block/mmcblk1/device is a link to the card's node, new for each insertion.
    this.insertions += 1;
    const node = path.join(this.sysfsRoot, 'devices', 'mmc_host', 'mmc1', `mmc1:${(0xaaaa + this.insertions).toString(16)}`);
    await mkdir(node, { recursive: true });
    await mkdir(path.dirname(this.deviceDir), { recursive: true });
    await symlink(node, this.deviceDir);
    const derived: Record<string, string> = { ...sysfsAttributes(decodeSdCid(card.cid)), type: card.type ?? 'SD' };
    const attrs = { ...derived, ...card.attrs, cid: card.attrs?.cid ?? card.cid };
    for (const [k, v] of Object.entries(attrs)) await writeFile(path.join(this.deviceDir, k), `${v}\n`, 'latin1');
    await mkdir(this.cardDir(card.label), { recursive: true });
    if (!card.unmounted) await this.mount(card.label, card.mountSource ?? `/dev/${this.blockDevice}p1`);
  }

  async mount(label: string, source: string): Promise<void> {
    await rm(this.mountPoint, { recursive: true, force: true });
    await symlink(this.cardDir(label), this.mountPoint);
    await this.writeMounts(source);
  }

  async remove(): Promise<void> {
    await rm(path.join(this.sysfsRoot, 'block', this.blockDevice), { recursive: true, force: true });
    await rm(path.join(this.sysfsRoot, 'devices'), { recursive: true, force: true });
    await rm(this.mountPoint, { recursive: true, force: true });
    await mkdir(this.mountPoint, { recursive: true });
    await this.writeMounts(null);
  }

  async writeMounts(cardSource: string | null): Promise<void> {
    const escaped = this.mountPoint.replace(/ /g, '\\040');
    const lines = ['/dev/root / ext4 rw,noatime 0 0', 'proc /proc proc rw,relatime 0 0', 'tmpfs /run tmpfs rw,nosuid,nodev 0 0'];
    if (cardSource) lines.push(`${cardSource} ${escaped} vfat rw,relatime,fmask=0022 0 0`);
    await writeFile(this.mountsFile, `${lines.join('\n')}\n`);
  }

  async cleanup(): Promise<void> {
    await rm(this.root, { recursive: true, force: true });
  }
}
