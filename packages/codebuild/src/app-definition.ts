/**
 * The app definition contract: apps/<name>/app.yaml, optional. An app is a folder CodeBuild builds;
 * stacks/ci renders one CodeBuild project (with its log group, alarms and pipeline action) per app,
 * and this says how that project builds it. Without app.yaml, an app with a rebar.config builds
 * with the defaults: the erlang-otp image and buildspecs/erlang-app.yml.
 */
import { existsSync, readFileSync } from "node:fs";
import { isAbsolute, join, normalize, relative } from "node:path";
import {
  APP_DEFAULTS,
  appPaths,
  ConfigError,
  editorJsonSchema,
  imagePaths,
  listApps,
  NAME_RULES,
  nameProblem,
  parseValidatedYaml,
} from "@prebake/core";
import { imageDefinitionExists, listImageNames } from "@prebake/images";
import { z } from "zod";
import { COMPUTE_TYPES, type ComputeType } from "./compute-types.ts";

/** What the app's project tells the shared buildspec: the app's folder, and its artifact's name. */
export const APP_DIR_VARIABLE = "PREBAKE_APP_DIR";
export const ARTIFACT_VARIABLE = "PREBAKE_ARTIFACT_NAME";
/** Variables every app project sets itself, so app.yaml's environment cannot name them. */
const PROJECT_VARIABLES = [APP_DIR_VARIABLE, ARTIFACT_VARIABLE, "ERLANG_VERSION"];

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
// CodePipeline's artifact names.
const ARTIFACT = /^[A-Za-z0-9_-]{1,100}$/;

const appSchema = z
  .object({
    /** The project's description in CodeBuild. */
    description: z.string().min(1).max(255).optional(),
    /** The image folder (images/<image>) whose pushed, digest-pinned image the project runs in. */
    image: z.string().regex(NAME_RULES.image.pattern, NAME_RULES.image.message).default(APP_DEFAULTS.image),
    /** The buildspec, relative to the repository root (the project's Source.BuildSpec). */
    buildspec: z.string().min(1).default(APP_DEFAULTS.buildspec),
    /** A fixed compute type; without it, the ci stack's ComputeType parameter. */
    computeType: z.enum(COMPUTE_TYPES).optional(),
    /** Plain variables the project sets (secrets belong in the buildspec's parameter-store/secrets-manager). */
    environment: z
      .record(
        z.string().regex(ENV_NAME, "variable names are letters, digits and underscores"),
        z.union([z.string(), z.number(), z.boolean()]).transform(String),
      )
      .default({}),
    /** The pipeline action's output artifact (and a local run's artifact folder); default <name>-release. */
    artifact: z.string().regex(ARTIFACT, "must be letters, digits, - and _ (CodePipeline's rule)").optional(),
  })
  .strict();

/** The JSON Schema of app.yaml for editors (schemas/app.schema.json). */
export const appDefinitionJsonSchema = () =>
  editorJsonSchema(appSchema, {
    title: "app.yaml",
    description:
      "How stacks/ci builds one app: apps/<name>/app.yaml, every key optional (packages/codebuild/README.md, apps/<name>/app.yaml).",
  });

export interface AppDefinition {
  name: string;
  /** apps/<name>, relative to the repository root: the project's PREBAKE_APP_DIR. */
  folder: string;
  /** apps/<name>/app.yaml when the app has one (for messages), else undefined: all defaults. */
  file: string | undefined;
  description: string | undefined;
  image: string;
  buildspec: string;
  computeType: ComputeType | undefined;
  environment: Record<string, string>;
  artifact: string;
}

const FIELDS = "the fields: @prebake/codebuild's README, packages/codebuild/README.md#appsnameappyaml";

function fail(message: string, where: string, fix: string): never {
  throw new ConfigError(message, { where, fix });
}

/** The checks a schema cannot make: the image and buildspec exist, no variable the project sets itself. */
function checkReferences(root: string, def: z.infer<typeof appSchema>, shown: string): void {
  if (!imageDefinitionExists(root, def.image)) {
    const images = listImageNames(imagePaths.dir(root));
    const fix = images.length ? `use one of: ${images.join(", ")}` : "add the image under images/<name>/";
    fail(`no image '${def.image}' (images/${def.image}/image.yaml)`, `${shown}: image`, fix);
  }
  const buildspec = normalize(def.buildspec);
  if (isAbsolute(buildspec) || buildspec.startsWith("..")) {
    fail(
      `'${def.buildspec}' is outside the repository`,
      `${shown}: buildspec`,
      "give a path relative to the root",
    );
  }
  if (!existsSync(join(root, buildspec))) {
    fail(`buildspec ${def.buildspec} does not exist`, `${shown}: buildspec`, "create it or fix the path");
  }
  for (const name of Object.keys(def.environment)) {
    if (PROJECT_VARIABLES.includes(name) || name.startsWith("CODEBUILD_")) {
      fail(
        `${name} is set by the project itself`,
        `${shown}: environment.${name}`,
        `remove it (the project sets ${PROJECT_VARIABLES.join(", ")}; CodeBuild reserves CODEBUILD_*)`,
      );
    }
  }
}

/** Load apps/<name>: its app.yaml when there is one, the defaults otherwise. */
export function loadAppDefinition(root: string, name: string): AppDefinition {
  const folder = relative(root, appPaths.folder(root, name));
  const problem = nameProblem("app", name);
  if (problem) fail(`app ${problem}`, folder, "rename the folder (it names the app's CodeBuild project)");
  if (!existsSync(appPaths.folder(root, name))) {
    const known = listApps(root);
    fail(
      `no app named '${name}'`,
      folder,
      known.length ? `use one of: ${known.join(", ")}` : "add apps/<name>",
    );
  }
  const path = appPaths.definition(root, name);
  const file = existsSync(path) ? relative(root, path) : undefined;
  const def = parseValidatedYaml(file ? readFileSync(path, "utf8") : "{}", file ?? folder, appSchema, FIELDS);
  checkReferences(root, def, file ?? folder);
  return {
    name,
    folder,
    file,
    description: def.description,
    image: def.image,
    buildspec: normalize(def.buildspec),
    computeType: def.computeType,
    environment: def.environment,
    artifact: def.artifact ?? `${name}-release`,
  };
}

/** Every app of the repository (core's list of apps/), loaded and checked. */
export function loadAppDefinitions(root: string): AppDefinition[] {
  return listApps(root).map((name) => loadAppDefinition(root, name));
}
