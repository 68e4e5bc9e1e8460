/**
 * The async iterator one GraphQL subscription reads: items pushed by the event feed wait in a bounded
 * buffer until graphql-ws asks for them. `fail` ends it with an error the client receives (credentials
 * ended, a subscriber too slow to keep up); `return` (the client completed or disconnected) ends it
 * quietly. Either way `onEnd` runs once.
 */
export class EventStream<T> implements AsyncIterableIterator<T> {
  private readonly buffer: T[] = [];
  private waiting?: { resolve(result: IteratorResult<T>): void; reject(error: unknown): void };
  private failure?: Error;
  private ended = false;

  constructor(
    private readonly maxBuffered: number,
    private readonly onEnd: () => void,
    private readonly tooSlow: () => Error,
  ) {}

  get isEnded(): boolean {
    return this.ended;
  }

  push(item: T): void {
    if (this.ended) return;
    if (this.waiting) {
      const { resolve } = this.waiting;
      this.waiting = undefined;
      resolve({ value: item, done: false });
    } else if (this.buffer.length >= this.maxBuffered) {
      this.fail(this.tooSlow());
    } else {
      this.buffer.push(item);
    }
  }

  /** Ends the stream now (what is buffered is dropped): the reader's next call throws `error`. */
  fail(error: Error): void {
    if (this.ended) return;
    this.finish();
    this.buffer.length = 0;
    if (this.waiting) {
      const { reject } = this.waiting;
      this.waiting = undefined;
      reject(error);
    } else {
      this.failure = error;
    }
  }

  next(): Promise<IteratorResult<T>> {
    if (this.buffer.length) return Promise.resolve({ value: this.buffer.shift()!, done: false });
    if (this.failure) {
      const failure = this.failure;
      this.failure = undefined;
      return Promise.reject(failure);
    }
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => (this.waiting = { resolve, reject }));
  }

  return(): Promise<IteratorResult<T>> {
    this.finish();
    this.buffer.length = 0;
    this.failure = undefined;
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.resolve({ value: undefined, done: true });
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private finish(): void {
    if (this.ended) return;
    this.ended = true;
    this.onEnd();
  }
}
