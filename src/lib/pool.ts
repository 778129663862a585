const ACCEPTED: Promise<void> = Promise.resolve();

/**
 * A worker pool with a bounded queue: submit() resolves once the task is accepted, and
 * waits while the pool is full. That back-pressure keeps memory flat however many
 * tasks a producer (the march) generates. Tasks report their own errors; a task that
 * throws anyway is passed to onError.
 *
 * A sync checks every object through one of these, so accepting and starting a task
 * allocates as little as it can: no promise of its own unless the pool is full (p-limit
 * made four per task; bench/RESULTS.md, "Allocations per object").
 */
export class BoundedPool {
  private readonly capacity: number;
  private active = 0;
  /** Accepted tasks waiting for a free slot, oldest first from head. */
  private queued: (() => Promise<void>)[] = [];
  private head = 0;
  private roomWaiters: (() => void)[] = [];
  /** submit() calls waiting for room: their tasks are the pool's too, for drain(). */
  private submitting = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly concurrency: number,
    private readonly onError: (err: unknown) => void,
    queue = concurrency,
  ) {
    this.capacity = concurrency + queue;
  }

  private get size(): number {
    return this.active + this.queued.length - this.head;
  }

  submit(task: () => Promise<void>): Promise<void> {
    return this.offer(task) ? ACCEPTED : this.submitWhenRoom(task);
  }

  /** Accepts task if the pool has room now (true); if not (false), submit() waits for it. */
  offer(task: () => Promise<void>): boolean {
    if (this.size >= this.capacity) return false;
    this.accept(task);
    return true;
  }

  private async submitWhenRoom(task: () => Promise<void>): Promise<void> {
    this.submitting++;
    try {
      while (this.size >= this.capacity) await new Promise<void>((resolve) => this.roomWaiters.push(resolve));
    } finally {
      this.submitting--;
    }
    this.accept(task);
  }

  private accept(task: () => Promise<void>): void {
    if (this.active < this.concurrency) this.start(task);
    else this.queued.push(task);
  }

  private start(task: () => Promise<void>): void {
    this.active++;
    let running: Promise<void>;
    try {
      running = task();
    } catch (err) {
      running = Promise.reject(err);
    }
    running.then(this.finished, this.failed);
  }

  private readonly failed = (err: unknown): void => {
    try {
      this.onError(err);
    } finally {
      this.finished();
    }
  };

  private readonly finished = (): void => {
    this.active--;
    if (this.head < this.queued.length) {
      const next = this.queued[this.head]!;
      this.queued[this.head++] = undefined as never;
      if (this.head > 1024 && this.head * 2 > this.queued.length) {
        this.queued = this.queued.slice(this.head);
        this.head = 0;
      }
      this.start(next);
    }
    this.roomWaiters.shift()?.();
    if (this.size === 0 && this.submitting === 0 && this.idleWaiters.length > 0) for (const wake of this.idleWaiters.splice(0)) wake();
  };

  /** Resolves when every task submitted so far (accepted or waiting for room) has finished. */
  drain(): Promise<void> {
    if (this.size === 0 && this.submitting === 0) return ACCEPTED;
    return new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }
}
