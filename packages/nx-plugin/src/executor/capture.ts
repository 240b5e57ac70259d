/**
 * Each task's own terminal output, while several run at once in one process: whatever is written
 * to stdout or stderr inside `captureOutput(run)` (however deep in async calls) is also recorded
 * for that task. Nx prints it as the task's output and stores it with a cached result.
 * Output a command's child process writes straight to the inherited descriptors is not seen;
 * prebake's commands pipe theirs through Output.
 */
import { AsyncLocalStorage } from "node:async_hooks";

const currentTask = new AsyncLocalStorage<string[]>();
let installed = false;

function record(stream: NodeJS.WriteStream): void {
  const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
  stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    currentTask.getStore()?.push(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"));
    return write(chunk, ...rest);
  }) as NodeJS.WriteStream["write"];
}

export async function captureOutput<T>(run: () => Promise<T>): Promise<{ value: T; output: string }> {
  if (!installed) {
    record(process.stdout);
    record(process.stderr);
    installed = true;
  }
  const chunks: string[] = [];
  const value = await currentTask.run(chunks, run);
  return { value, output: chunks.join("") };
}
