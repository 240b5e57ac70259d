/**
 * The names a team gives its folders (images/<name>, stacks/<name>, apps/<name>, layers/<name>):
 * one rule per kind, here and nowhere else. The definitions' schemas (image.yaml, layer.yaml,
 * app.yaml), the ci stack's render and the Nx generators all check names with these rules.
 * Light on purpose (no zod, no core index): the Nx plugin's generators import it.
 */
import type { ProjectKind } from "./paths.ts";

export interface NameRule {
  pattern: RegExp;
  /** What a bad name is told, after "must be" (the schemas' wording). */
  message: string;
}

/**
 * Lowercase words of letters and digits joined by single dashes, each word starting with a letter:
 * `hello-erlang`. Such a name maps one-to-one to a CloudFormation logical id (`HelloErlang`), which
 * an app's CodeBuild project, log group and alarms are named by.
 */
const WORDS: NameRule = {
  pattern: /^(?=.{1,63}$)[a-z][a-z0-9]*(-[a-z][a-z0-9]*)*$/,
  message:
    "must be lowercase words of letters and digits joined by single dashes, each starting with a letter (at most 63 characters)",
};

export const NAME_RULES: Record<ProjectKind, NameRule> = {
  // A repository path segment and a Docker tag's name part.
  image: {
    pattern: /^[a-z0-9][a-z0-9._-]{0,127}$/,
    message: "must be lowercase letters, digits, dots, dashes or underscores",
  },
  // The Lambda layer name by default, and the layer project's PREBAKE_LAYER.
  layer: { pattern: /^[a-z][a-z0-9-]{0,62}$/, message: "must be lowercase letters, digits and dashes" },
  app: WORDS,
  // Part of the CloudFormation stack name <project>-<environment>-<stack>.
  stack: WORDS,
};

/** What is wrong with `name` as a `kind`'s name, or undefined when it is a good one. */
export function nameProblem(kind: ProjectKind, name: string): string | undefined {
  const rule = NAME_RULES[kind];
  return rule.pattern.test(name) ? undefined : `'${name}' ${rule.message}`;
}

/**
 * A name of the WORDS rule as a CloudFormation logical id part: `hello-erlang` -> `HelloErlang`.
 * One-to-one for names of that rule (a capital marks where a word starts).
 */
export function pascalCase(name: string): string {
  return name
    .split("-")
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join("");
}

/**
 * The logical id prefix of an app's resources in stacks/ci: `hello-erlang` -> `HelloErlangApp`
 * (HelloErlangAppProject, HelloErlangAppLogGroup, HelloErlangApp*Alarm). The stack renders them
 * by it and `nx run <app>:codebuild` runs `ci/<prefix>Project`. The suffix keeps an app's ids
 * apart from the stack's fixed ones (an app named layer-build is not the LayerBuildProject).
 */
export const appResourceId = (app: string): string => `${pascalCase(app)}App`;
