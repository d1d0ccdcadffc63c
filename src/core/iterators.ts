// Async iterators that the runtime hands out before the real stream exists, or instead of it.

/** An iterator that opens its source on the first next(), e.g. once a link to the actor is ready. */
export function lazyIterator<T>(open: () => Promise<AsyncIterableIterator<T>>): AsyncIterableIterator<T> {
  let inner: Promise<AsyncIterableIterator<T>> | undefined;
  const iterator: AsyncIterableIterator<T> = {
    [Symbol.asyncIterator]: () => iterator,
    next: async () => (await (inner ??= open())).next(),
    return: async () => (inner ? (await inner).return!() : { done: true, value: undefined }),
  };
  return iterator;
}

/** An iterator whose first next() rejects with `err`. */
export function failedIterator<T = unknown>(err: Error): AsyncIterableIterator<T> {
  const iterator: AsyncIterableIterator<T> = {
    [Symbol.asyncIterator]: () => iterator,
    next: () => Promise.reject(err),
    return: async () => ({ done: true, value: undefined }),
  };
  return iterator;
}
