/**
 * Work to undo when the user interrupts (Ctrl-C): a container to remove, a temp file to delete.
 * The CLI's SIGINT handler runs every registered cleanup before it exits with 130, so an
 * interrupted command leaves nothing of its own behind.
 */
const cleanups = new Set<() => Promise<unknown> | unknown>();

/** Register a cleanup; call the returned function once the work is done and nothing needs undoing. */
export function onInterrupt(cleanup: () => Promise<unknown> | unknown): () => void {
  cleanups.add(cleanup);
  return () => cleanups.delete(cleanup);
}

export async function runInterruptCleanups(): Promise<void> {
  const pending = [...cleanups];
  cleanups.clear();
  await Promise.allSettled(pending.map(async (c) => c()));
}
