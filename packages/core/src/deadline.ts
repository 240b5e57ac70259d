/**
 * Settle with `work`, or reject with the error `onTimeout` makes once `ms` have passed. Every wait
 * on something outside this process (the Docker engine, CodeBuild) goes through a deadline, so a
 * service that stops answering ends the command with a clear error instead of a hang.
 */
export function withDeadline<T>(work: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
  });
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}

/** "90 s", "2 min": how a deadline reads in a message. */
export function describeMs(ms: number): string {
  return ms < 120_000 ? `${Math.round(ms / 1000)} s` : `${Math.round(ms / 60_000)} min`;
}
