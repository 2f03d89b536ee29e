/**
 * A simulated GNSS receiver (u-blox-like, 1 Hz) at a roadside position: after a cold-start
 * acquisition time with no-fix sentences it emits real RMC and GGA sentences (checksummed, CR LF)
 * every second with the true UTC time, a position wandering by a metre or two, and a GSV line
 * the driver must accept and ignore. One clock event per second.
 */
import { DeviceBase } from '../hal/device.ts';
import { InvalidOptionsError } from '../hal/errors.ts';
import type { TimerHandle } from '../hal/clock.ts';
import type { ByteLink } from '../hal/link.ts';
import { formatCoordinate, formatDate, formatTimeOfDay, nmeaSentence } from '../hal/drivers/nmea.ts';
import type { SeededRandom } from './random.ts';
import type { VirtualClock } from './virtual-clock.ts';

export interface SimGnssOptions {
  name?: string;
  /** The receiver's end of the serial link. */
  link: ByteLink;
  /** The true UTC time comes from the virtual clock's world time. */
  clock: VirtualClock;
  random: SeededRandom;
  latitude: number;
  longitude: number;
  altitudeM?: number;
  /** Seconds without a fix after power-on (default 25). */
  acquisitionS?: number;
  /** Talker id: GP (GPS only) or GN (multi-constellation, u-blox M8 and later). */
  talker?: 'GP' | 'GN';
}

export class SimGnss extends DeviceBase {
  private timer: TimerHandle;
  private readonly o: Required<Omit<SimGnssOptions, 'name'>>;
  private seconds = 0;
  private northM = 0;
  private eastM = 0;
  /** Epochs sent. */
  epochs = 0;

  constructor(options: SimGnssOptions) {
    super(options.name ?? 'sim GNSS');
    if (Math.abs(options.latitude) > 90 || Math.abs(options.longitude) > 180) throw new InvalidOptionsError(`${this.name}: position out of range`);
    this.o = { altitudeM: 350, acquisitionS: 25, talker: 'GP', ...options };
    // Receivers send on whole UTC seconds.
    const t = options.clock.trueTime();
    const first = 1000 - (t % 1000);
    this.timer = options.clock.setTimeout(() => {
      this.epoch();
      this.timer = options.clock.setInterval(() => this.epoch(), 1000);
    }, first);
  }

  protected override onClose(): void {
    this.timer.cancel();
  }

  private epoch(): void {
    if (this.closed || !this.o.link.isOpen) return;
    this.seconds += 1;
    this.epochs += 1;
    const { talker, random } = this.o;
    const utc = Math.round(this.o.clock.trueTime() / 10) * 10;
    const lines: string[] = [];
    if (this.seconds <= this.o.acquisitionS) {
      lines.push(nmeaSentence(`${talker}RMC,,V,,,,,,,,,,N`), nmeaSentence(`${talker}GGA,,,,,,0,00,99.99,,,,,,`));
    } else {
      // A slow random walk of the position solution, pulled back to the true position.
      this.northM = 0.9 * this.northM + 0.4 * random.gaussian();
      this.eastM = 0.9 * this.eastM + 0.4 * random.gaussian();
      const lat = this.o.latitude + this.northM / 111_320;
      const lon = this.o.longitude + this.eastM / (111_320 * Math.cos((this.o.latitude * Math.PI) / 180));
      const [la, ns] = formatCoordinate(lat, 'lat');
      const [lo, ew] = formatCoordinate(lon, 'lon');
      const time = formatTimeOfDay(utc);
      const sats = 7 + random.int(0, 4);
      const hdop = (0.8 + random.next() * 0.6).toFixed(2);
      const alt = (this.o.altitudeM + random.gaussian()).toFixed(1);
      const knots = (random.next() * 0.05).toFixed(3);
      lines.push(nmeaSentence(`${talker}RMC,${time},A,${la},${ns},${lo},${ew},${knots},,${formatDate(utc)},,,A`));
      lines.push(nmeaSentence(`${talker}GGA,${time},${la},${ns},${lo},${ew},1,${String(sats).padStart(2, '0')},${hdop},${alt},M,-1.0,M,,`));
      lines.push(nmeaSentence(`GPGSV,1,1,04,01,40,083,46,02,17,308,41,12,07,344,39,14,22,228,45`));
    }
    this.o.link.write(new TextEncoder().encode(lines.map((l) => `${l}\r\n`).join(''))).catch(() => undefined);
  }
}
