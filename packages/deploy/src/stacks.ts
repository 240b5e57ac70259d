/** Where stacks live: stacks/<name>/stack.yaml (rendered, committed) under the repository root. */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { ConfigError } from "@prebake/core";

export const stacksDir = (rootDir: string) => join(rootDir, "stacks");

/** Stack names: folders under stacks/ that hold a stack.yaml or a stack.ts. */
export function listStackNames(rootDir: string): string[] {
  const dir = stacksDir(rootDir);
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .filter((name) => existsSync(join(dir, name, "stack.yaml")) || existsSync(join(dir, name, "stack.ts")))
    .sort();
}

/** The rendered template of a stack; an unknown name or an unrendered stack is a ConfigError. */
export function stackTemplatePath(rootDir: string, name: string): string {
  const known = listStackNames(rootDir);
  if (!known.includes(name)) {
    throw new ConfigError(`unknown stack '${name}'`, {
      where: `stacks/${name}`,
      fix: known.length
        ? `use one of: ${known.join(", ")}`
        : "no stacks exist yet: add stacks/<name>/stack.ts",
    });
  }
  const file = join(stacksDir(rootDir), name, "stack.yaml");
  if (!existsSync(file)) {
    throw new ConfigError("stack has no rendered template", {
      where: `stacks/${name}/stack.yaml`,
      fix: `render it first: prebake render ${name}`,
    });
  }
  return file;
}

/** The CloudFormation stack name: <project>-<name>, e.g. prebake-ci. */
export const cloudFormationStackName = (project: string, name: string) => `${project}-${name}`;
