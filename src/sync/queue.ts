/**
 * The engine's queue of transfers (rclone's toBeUploaded pipe): a bounded backlog in front
 * of a fixed number of workers, taken in listing order or, with --order-by, smallest (or
 * largest) first, and held back until start() under --check-first.
 */
export interface QueueOptions<T> {
  workers: number;
  /**
   * How many items may wait unstarted before put() waits for room (--max-backlog);
   * negative for no bound. 0 makes put() wait until a worker has taken its item.
   */
  backlog: number;
  /** Order of the waiting items (negative: a first); undefined for first in, first out. */
  compare?: (a: T, b: T) => number;
  /** --order-by ...,mixed: the percentage of workers that take the smallest; the others take the largest. */
  mixed?: number;
  /** false to hold every item until start() (--check-first). */
  started: boolean;
  run: (item: T) => Promise<void>;
  /** For a run() that throws anyway (run reports its own errors). */
  onError: (err: unknown) => void;
}

export class TransferQueue<T> {
  private readonly fifo: T[] = [];
  private fifoHead = 0;
  private readonly heap?: DoubleHeap<T>;
  /** Per worker slot: busy or not; a slot's index decides which end a mixed order takes from. */
  private readonly busy: boolean[];
  private running = 0;
  private started: boolean;
  private cancelled = false;
  private readonly backlog: number;
  private roomWaiters: (() => void)[] = [];
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly o: QueueOptions<T>) {
    this.busy = new Array<boolean>(Math.max(1, o.workers)).fill(false);
    this.backlog = o.backlog < 0 ? Infinity : o.backlog;
    this.started = o.started;
    if (o.compare) this.heap = new DoubleHeap(o.compare, o.mixed !== undefined && o.mixed >= 0);
  }

  /** Items waiting for a worker. */
  get waiting(): number {
    return this.heap ? this.heap.size : this.fifo.length - this.fifoHead;
  }

  /** Queues item; resolves once the backlog has room (at once after cancel()). */
  async put(item: T): Promise<void> {
    if (this.cancelled) return;
    if (this.heap) this.heap.push(item);
    else this.fifo.push(item);
    this.pump();
    while (!this.cancelled && this.waiting > this.backlog) await new Promise<void>((resolve) => this.roomWaiters.push(resolve));
  }

  /** Lets the workers take items (after --check-first's checks). */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.pump();
  }

  /** Drops every waiting item and takes no more; the items running finish. */
  cancel(): void {
    this.cancelled = true;
    this.fifo.length = 0;
    this.fifoHead = 0;
    this.heap?.clear();
    for (const wake of this.roomWaiters.splice(0)) wake();
    this.settle();
  }

  /** Starts the workers if held, and resolves once nothing waits and nothing runs. */
  drain(): Promise<void> {
    this.start();
    return new Promise<void>((resolve) => {
      this.idleWaiters.push(resolve);
      this.settle();
    });
  }

  private take(slot: number): T {
    if (this.heap) {
      const fromLow = this.o.mixed === undefined || this.o.mixed < 0 || (100 * slot) / this.busy.length < this.o.mixed;
      return fromLow ? this.heap.popLow()! : this.heap.popHigh()!;
    }
    const item = this.fifo[this.fifoHead]!;
    this.fifo[this.fifoHead++] = undefined as T;
    // Drop the taken head now and then, so the array does not keep every item ever queued.
    if (this.fifoHead > 1024 && this.fifoHead * 2 > this.fifo.length) {
      this.fifo.splice(0, this.fifoHead);
      this.fifoHead = 0;
    }
    return item;
  }

  private pump(): void {
    while (this.started && !this.cancelled && this.running < this.busy.length && this.waiting > 0) {
      const slot = this.busy.indexOf(false);
      const item = this.take(slot);
      this.busy[slot] = true;
      this.running++;
      void this.o
        .run(item)
        .catch(this.o.onError)
        .finally(() => {
          this.busy[slot] = false;
          this.running--;
          this.pump();
          this.settle();
        });
    }
    while (this.roomWaiters.length > 0 && this.waiting <= this.backlog) this.roomWaiters.shift()!();
  }

  private settle(): void {
    if (this.running > 0 || (this.waiting > 0 && !this.cancelled)) return;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }
}

interface HeapNode<T> {
  item: T;
  seq: number;
  taken: boolean;
}

/**
 * A double-ended priority queue: a min-heap and a max-heap over the same nodes. A node
 * taken from one heap is marked and skipped when it surfaces in the other; both are
 * rebuilt when marked nodes outnumber live ones, so memory stays proportional to what waits.
 */
class DoubleHeap<T> {
  private low: HeapNode<T>[] = [];
  private high: HeapNode<T>[] = [];
  private seq = 0;
  size = 0;
  private readonly lowFirst: (a: HeapNode<T>, b: HeapNode<T>) => boolean;
  private readonly highFirst: (a: HeapNode<T>, b: HeapNode<T>) => boolean;

  /** twoEnded: popHigh() will be used (a mixed order); else only the min-heap is kept. */
  constructor(
    compare: (a: T, b: T) => number,
    private readonly twoEnded: boolean,
  ) {
    // Equal items leave in the order they came.
    this.lowFirst = (a, b) => {
      const c = compare(a.item, b.item);
      return c < 0 || (c === 0 && a.seq < b.seq);
    };
    this.highFirst = (a, b) => {
      const c = compare(a.item, b.item);
      return c > 0 || (c === 0 && a.seq < b.seq);
    };
  }

  push(item: T): void {
    const node: HeapNode<T> = { item, seq: this.seq++, taken: false };
    heapPush(this.low, node, this.lowFirst);
    if (this.twoEnded) heapPush(this.high, node, this.highFirst);
    this.size++;
  }

  popLow(): T | undefined {
    return this.pop(this.low, this.lowFirst);
  }

  popHigh(): T | undefined {
    return this.pop(this.high, this.highFirst);
  }

  clear(): void {
    this.low = [];
    this.high = [];
    this.size = 0;
  }

  private pop(heap: HeapNode<T>[], first: (a: HeapNode<T>, b: HeapNode<T>) => boolean): T | undefined {
    while (heap.length > 0) {
      const node = heapPop(heap, first);
      if (node.taken) continue;
      node.taken = true;
      this.size--;
      this.compact();
      return node.item;
    }
    return undefined;
  }

  private compact(): void {
    if (this.low.length + this.high.length <= 4 * this.size + 64) return;
    const live = this.low.filter((n) => !n.taken);
    this.low = [];
    this.high = [];
    for (const n of live) {
      heapPush(this.low, n, this.lowFirst);
      if (this.twoEnded) heapPush(this.high, n, this.highFirst);
    }
  }
}

function heapPush<N>(heap: N[], node: N, first: (a: N, b: N) => boolean): void {
  heap.push(node);
  let i = heap.length - 1;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (!first(heap[i]!, heap[parent]!)) break;
    [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
    i = parent;
  }
}

function heapPop<N>(heap: N[], first: (a: N, b: N) => boolean): N {
  const top = heap[0]!;
  const last = heap.pop()!;
  if (heap.length > 0) {
    heap[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let best = i;
      if (l < heap.length && first(heap[l]!, heap[best]!)) best = l;
      if (r < heap.length && first(heap[r]!, heap[best]!)) best = r;
      if (best === i) break;
      [heap[i], heap[best]] = [heap[best]!, heap[i]!];
      i = best;
    }
  }
  return top;
}
