/**
 * Which stacks exist: folders under stacks/ (paths from @prebake/core). One place names the
 * stacks for render, lint, deploy and the local CodeBuild runner, with one message for a name
 * that is not there.
 */
import { existsSync, readdirSync } from "node:fs";
import { ConfigError, stackPaths } from "@prebake/core";

/** What makes a folder a stack: a stack.ts to render, or (for deploy) a rendered stack.yaml too. */
export type StackKind = "source" | "source-or-template";

const isStack = (root: string, name: string, kind: StackKind) =>
  existsSync(stackPaths.source(root, name)) ||
  (kind === "source-or-template" && existsSync(stackPaths.template(root, name)));

/** Stack names, sorted: folders under stacks/ with a stack.ts (or, for deploy, a stack.yaml). */
export function listStacks(root: string, kind: StackKind = "source"): string[] {
  const dir = stackPaths.dir(root);
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && isStack(root, e.name, kind))
    .map((e) => e.name)
    .sort();
}

/** A name the user gave must be a stack; otherwise one ConfigError listing the known ones. */
export function checkStackName(root: string, name: string, kind: StackKind = "source"): void {
  if (name && !name.includes("/") && isStack(root, name, kind)) return;
  const known = listStacks(root, kind);
  throw new ConfigError(`unknown stack '${name}'`, {
    where: `stacks/${name}`,
    fix: known.length ? `use one of: ${known.join(", ")}` : "no stacks exist yet: add stacks/<name>/stack.ts",
  });
}

/** The stacks named on the command line (none means all), each checked. */
export function resolveStackNames(root: string, names: string[]): string[] {
  if (names.length === 0) return listStacks(root);
  for (const name of names) checkStackName(root, name);
  return names;
}

/** The CloudFormation stack name: <project>-<name>, e.g. prebake-ci. */
export const cloudFormationStackName = (project: string, name: string) => `${project}-${name}`;
