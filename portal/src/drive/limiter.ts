// Uploads a few at a time: a browser opens about six connections to a host, and an
// upload's URLs are good for minutes — those queued behind the connections would expire
// before their turn. Each is handed out by the cloud only when its turn comes.

/** Runs the tasks given to it `width` at a time, in the order given. */
export function limiter(width: number) {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async function run<T>(task: () => Promise<T>): Promise<T> {
    if (running < width) running++;
    // A finishing task hands its place to the first waiting, so none can jump the queue.
    else await new Promise<void>((resolve) => waiting.push(resolve));
    try {
      return await task();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else running--;
    }
  };
}
