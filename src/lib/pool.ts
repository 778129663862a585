import pLimit, { type LimitFunction } from 'p-limit';

/**
 * A worker pool with a bounded queue: submit() resolves once the task is accepted, and
 * waits while the pool is full. That back-pressure keeps memory flat however many
 * tasks a producer (the march) generates. Tasks report their own errors; a task that
 * throws anyway is passed to onError.
 */
export class BoundedPool {
  private readonly limit: LimitFunction;
  private readonly capacity: number;
  private waiting: (() => void)[] = [];
  private readonly running = new Set<Promise<void>>();

  constructor(
    concurrency: number,
    private readonly onError: (err: unknown) => void,
    queue = concurrency,
  ) {
    this.limit = pLimit(concurrency);
    this.capacity = concurrency + queue;
  }

  async submit(task: () => Promise<void>): Promise<void> {
    while (this.running.size >= this.capacity) await new Promise<void>((resolve) => this.waiting.push(resolve));
    const p: Promise<void> = this.limit(task)
      .catch(this.onError)
      .finally(() => {
        this.running.delete(p);
        this.waiting.shift()?.();
      });
    this.running.add(p);
  }

  /** Resolves when every accepted task has finished. */
  async drain(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running]);
  }
}
