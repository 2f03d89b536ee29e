/**
 * A FIFO lock for async work: transactions that must not interleave (select a multiplexer
 * channel, then talk to the chip behind it; change a sensor's range, wait, then read).
 */
export class Mutex {
  private tail: Promise<unknown> = Promise.resolve();
  private queued = 0;
  private readonly release = (): void => {
    this.queued -= 1;
  };

  /** Runs `task` after every task queued before it has settled (at once when the lock is free). */
  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.queued === 0 ? task() : this.tail.then(task);
    this.queued += 1;
    this.tail = result.then(this.release, this.release);
    return result;
  }
}
