import { existsSync } from "node:fs";
import { join } from "node:path";
import { readTemplate, templateMetadata } from "@prebake/stack";
import type { StackOrdering } from "./projects.ts";

/**
 * A stack's ordering as its rendered template's Metadata.Prebake says, read by @prebake/stack
 * (the one reader of templates). A stack with no stack.yaml yet has none; a broken one is an
 * error Nx reports against that stack's file.
 */
export function stackOrdering(workspaceRoot: string): StackOrdering {
  return (stack) => {
    const file = join(workspaceRoot, "stacks", stack, "stack.yaml");
    if (!existsSync(file)) return undefined;
    const meta = templateMetadata(readTemplate(file), `stacks/${stack}/stack.yaml`);
    return { images: meta.Images, after: meta.After };
  };
}
