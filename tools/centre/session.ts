/**
 * The centre's side of one uplink connection, speaking the INTERIM framing of
 * `firmware/radar/uplink-interim.ts` (to be replaced with the dock protocol's framing and
 * sessions by the lead). Stores what a radar submits and acknowledges it.
 */
import type { ByteLink } from '../../hal/link.ts';
import { FrameDecoder, encodeFrame, type UplinkMessage } from '../../firmware/radar/uplink-interim.ts';
import type { CentreStore } from './centre-store.ts';

export interface SessionEvents {
  onSubmit?(device: string, stored: number, duplicates: number, refused: number): void;
}

/** Serves one connected link until it closes or sends garbage; resolves when it ends. */
export function serveCentreSession(link: ByteLink, store: CentreStore, events: SessionEvents = {}): Promise<void> {
  return new Promise((resolve) => {
    const decoder = new FrameDecoder();
    let device: string | null = null;
    const end = () => {
      sub.unsubscribe();
      void link.close().catch(() => undefined);
      resolve();
    };
    const reply = (m: UplinkMessage) => link.write(encodeFrame(m)).catch(() => end());
    const sub = link.data$.subscribe({
      next: (chunk) => {
        let msgs: UplinkMessage[];
        try {
          msgs = decoder.push(chunk);
        } catch {
          end();
          return;
        }
        for (const m of msgs) {
          if (m.t === 'hello' && typeof m.device === 'string') {
            device = m.device;
          } else if (m.t === 'submit') {
            if (!device || !Array.isArray(m.items)) {
              void reply({ t: 'error', rid: m.rid, message: 'hello first, then items' });
              continue;
            }
            const r = store.submit(device, m.items);
            events.onSubmit?.(device, r.stored, r.duplicates, r.refused.length);
            void reply({ t: 'ack', rid: m.rid, ids: r.acked });
          }
        }
      },
      error: () => end(),
      complete: () => end(),
    });
  });
}
