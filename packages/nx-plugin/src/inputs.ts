/**
 * The input sets of the cached targets, in one place so `render`, `check` and `lint` cannot
 * drift apart. Nx hashes every task of a run before any of them runs, so a target that reads
 * another's output (lint reads what render writes) lists what that output is made from too:
 * otherwise a changed stack.ts would lint the old stack.yaml's hash and replay its pass.
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
export const LINT_INPUTS: Input[] = [...STACK_SOURCES, RENDERED_TEMPLATE, CFN_LINT_VERSION];
