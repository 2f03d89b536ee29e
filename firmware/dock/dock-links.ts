/**
 * Runs a device session on every link a `LinkPort` hands out: the dock connector (one link per
 * docking), a TCP listener in the simulator, or the field uplink's modem. One session per link,
 * all served by the same dock service.
 */
import type { Subscription } from 'rxjs';
import type { Clock } from '../../hal/clock.ts';
import type { LinkPort, ByteLink } from '../../hal/link.ts';
import type { Random } from '../../hal/random.ts';
import { DeviceSession, type DeviceSessionHandlers } from '../../protocol/device-session.ts';

export interface DockLinksOptions {
  port: LinkPort;
  clock: Clock;
  random: Random;
  handlers: DeviceSessionHandlers;
  maxBody?: number;
  /** Told when a session starts (the application may notify status, start charging…). */
  onSession?: (session: DeviceSession) => void;
}

export class DockLinks {
  private readonly sessions = new Set<DeviceSession>();
  private readonly subscription: Subscription;
  private readonly done: Promise<void>[] = [];

  constructor(private readonly options: DockLinksOptions) {
    this.subscription = options.port.links$.subscribe((link) => this.serve(link));
  }

  /** Sessions currently open. */
  get active(): readonly DeviceSession[] {
    return [...this.sessions];
  }

  private serve(link: ByteLink): void {
    const session = new DeviceSession({
      link,
      clock: this.options.clock,
      random: this.options.random,
      handlers: this.options.handlers,
      maxBody: this.options.maxBody,
    });
    this.sessions.add(session);
    this.options.onSession?.(session);
    this.done.push(
      session.run().finally(() => {
        this.sessions.delete(session);
        void link.close();
      }),
    );
  }

  /** Stops accepting links and closes every open session. */
  async close(): Promise<void> {
    this.subscription.unsubscribe();
    await Promise.all([...this.sessions].map((s) => s.close('device shutting down')));
    await Promise.allSettled(this.done);
  }
}
