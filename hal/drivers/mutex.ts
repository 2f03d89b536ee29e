/**
 * A FIFO lock for async work: transactions that must not interleave (select a multiplexer
 * channel, then talk to the chip behind it; change a sensor's range, wait, then read).
 */
export class Mutex {
  private tail: Promise<unknown> = Promise.resolve();

  /** Runs `task` after every task queued before it has settled. */
  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task);
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}
