/**
 * The input sets of the cached targets, in one place so `render`, `check` and `lint` cannot
 * drift apart. Nx hashes a task's files before the run starts, so a target that reads another's
 * output (lint reads what render writes) names that output as a dependent task's output: Nx then
 * hashes it after the render ran (in a batch too: it runs the task in the same wave and hashes it
 * again before storing the result). Named as a plain file, a new stack's lint was stored under the
 * hash of a stack.yaml not yet written, so the next run missed the cache and linted it again.
 */
import type { TargetConfiguration } from "@nx/devkit";

export type Input = NonNullable<TargetConfiguration["inputs"]>[number];

/**
 * What a rendered template is made from: the stack's source, the helpers the stacks share, the
 * image definitions (IAM policies name their repositories), the app and layer folders (stacks/ci
 * has a project and a pipeline action per app and per layer: a folder added or removed changes
 * what these globs match), and the code the render runs (stack.ts imports @prebake/stack,
 * @prebake/images and @prebake/codebuild, which import @prebake/core).
 */
export const STACK_SOURCES: string[] = [
  "{projectRoot}/stack.ts",
  "{workspaceRoot}/stacks/*.ts",
  "{workspaceRoot}/images/*/image.yaml",
  "{workspaceRoot}/apps/*/app.yaml",
  "{workspaceRoot}/apps/*/rebar.config",
  "{workspaceRoot}/layers/*/layer.yaml",
  "{workspaceRoot}/packages/stack/src/**/*.ts",
  "{workspaceRoot}/packages/images/src/**/*.ts",
  "{workspaceRoot}/packages/codebuild/src/**/*.ts",
  "{workspaceRoot}/packages/core/src/**/*.ts",
];

/** The committed (or just rendered) template. */
export const RENDERED_TEMPLATE = "{projectRoot}/stack.yaml";

/**
 * The installed cfn-lint's version: a new cfn-lint has new rules, so its first lint must run.
 * Pinned to the workspace's Node 24 (a global `node` may be too old to run TypeScript).
 */
export const CFN_LINT_VERSION: Input = {
  runtime: "node_modules/.bin/node packages/stack/bin/cfn-lint-version.mjs",
};

export const RENDER_INPUTS: Input[] = [...STACK_SOURCES];
/** A fresh render compared with the committed file: both sides are inputs. */
export const CHECK_INPUTS: Input[] = [...STACK_SOURCES, RENDERED_TEMPLATE];
/** The template the `render` it depends on wrote, hashed once it is written. */
export const RENDER_OUTPUT: Input = { dependentTasksOutputFiles: "**/stack.yaml", transitive: false };
/** What lint reads: the rendered template (and what it is made from), with the cfn-lint version. */
export const LINT_INPUTS: Input[] = [...STACK_SOURCES, RENDER_OUTPUT, CFN_LINT_VERSION];
