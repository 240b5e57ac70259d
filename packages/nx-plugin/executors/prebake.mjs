// Plain JavaScript on purpose. Nx loads a TypeScript executor through its own TypeScript hooks,
// which then sit in front of every module the task imports (the whole CLI): a no-op deploy batch
// took twice as long. From here Node strips the types itself, with its compile cache on (as the
// prebake binary has it), so the sources are not type-stripped and compiled again in every task.
import { enableCompileCache } from "node:module";

enableCompileCache();

export default async function prebakeExecutor(options, context) {
  const { default: run } = await import("../src/executor/prebake.ts");
  return run(options, context);
}
