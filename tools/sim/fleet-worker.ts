/**
 * A fleet worker thread: runs the shifts the main thread hands it, one at a time, and posts each
 * outcome back. Loaded through tsx's API (see `fleet.ts`), so it runs the TypeScript sources.
 */
import { parentPort } from 'node:worker_threads';
import { runShiftJob, type ShiftJob } from './shift-job.ts';

export type WorkerRequest = { type: 'job'; job: ShiftJob } | { type: 'stop' };
export type WorkerReply = { type: 'ready' } | { type: 'done'; outcome: Awaited<ReturnType<typeof runShiftJob>> } | { type: 'failed'; seed: number; error: string };

const port = parentPort;
if (!port) throw new Error('fleet-worker.ts runs as a worker thread');

port.on('message', (msg: WorkerRequest) => {
  if (msg.type === 'stop') {
    port.close();
    return;
  }
  runShiftJob(msg.job).then(
    (outcome) => port.postMessage({ type: 'done', outcome } satisfies WorkerReply),
    (err: unknown) => port.postMessage({ type: 'failed', seed: msg.job.seed, error: err instanceof Error ? (err.stack ?? err.message) : String(err) } satisfies WorkerReply),
  );
});
port.postMessage({ type: 'ready' } satisfies WorkerReply);
