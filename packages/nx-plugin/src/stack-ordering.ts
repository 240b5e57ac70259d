import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
// core's paths alone: its index (containers, AWS, config) costs ~0.3 s on every project graph.
import { stackPaths } from "@prebake/core/paths";
import { PluginCache, workspaceDataDirectory } from "./nx-internals.ts";
import type { StackOrder } from "./projects.ts";

/**
 * What each stack deploys after, as its rendered template's Metadata.Prebake says, read by
 * @prebake/stack (the one reader of templates). Loading that reader, and @prebake/core under it,
 * costs ~0.4 s, and every nx command builds the project graph; so, as Nx's own plugins do, the
 * answer is kept in Nx's workspace data folder by the template's content hash, and the reader is
 * loaded only for a stack.yaml not seen before. A broken template is never kept: it fails again,
 * reported by Nx against that stack.
 */
export class StackOrderings {
  private readonly workspaceRoot: string;
  private readonly cache: PluginCache<StackOrder>;
  private changed = false;

  constructor(workspaceRoot: string, cacheFile = join(workspaceDataDirectory, "prebake-stack-order.json")) {
    this.workspaceRoot = workspaceRoot;
    this.cache = new PluginCache(cacheFile);
  }

  /** The stack's order, or undefined when it has no stack.yaml yet. */
  async of(stack: string): Promise<StackOrder | undefined> {
    const file = stackPaths.template(this.workspaceRoot, stack);
    if (!existsSync(file)) return undefined;
    const key = createHash("sha256").update(readFileSync(file)).digest("hex");
    const known = this.cache.get(key);
    if (known) return known;
    const { readTemplate, templateMetadata } = await import("@prebake/stack");
    const meta = templateMetadata(readTemplate(file), relative(this.workspaceRoot, file));
    const order = { images: meta.Images, after: meta.After };
    this.cache.set(key, order);
    this.changed = true;
    return order;
  }

  save(): void {
    if (this.changed) this.cache.writeToDisk();
  }
}
