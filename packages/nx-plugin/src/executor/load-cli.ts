import { enableCompileCache } from "node:module";

/**
 * The prebake CLI (and core, for its signal handling), loaded on demand after turning on Node's
 * compile cache, as the `prebake` binary does: with it, the TypeScript sources are not
 * type-stripped and compiled again in every task process. Nothing heavy may be imported
 * statically by the executors, or it loads before this.
 */
export async function loadPrebake() {
  enableCompileCache();
  const cli = await import("@prebake/cli");
  const core = await import("@prebake/core");
  return { cli, core };
}
