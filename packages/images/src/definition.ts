import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError, editorJsonSchema, imagePaths, NAME_RULES, parseValidatedYaml } from "@prebake/core";
import { z } from "zod";

/**
 * The image definition contract: images/<name>/image.yaml. This module owns its schema; other
 * packages (nx-plugin, stack render) only rely on the fields documented in the team brief.
 */

// ECR repository names: lowercase path segments separated by "/".
const REPOSITORY = /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
// A version becomes a Docker tag prefix ("<version>-<hash12>"), so it must be a valid tag start.
const VERSION = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,100}$/;
const BUILD_ARG = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** BASE_IMAGE is chosen per profile from `base`; a build arg of that name would silently fight it. */
const buildArgsSchema = z
  .record(
    z.string().regex(BUILD_ARG, "build arg names are letters, digits and underscores"),
    z.union([z.string(), z.number(), z.boolean()]).transform(String),
  )
  .refine((args) => !("BASE_IMAGE" in args), {
    message: "BASE_IMAGE cannot be a build arg here: prebake sets it from `base` for the profile",
  })
  .default({});

/**
 * A build secret (`RUN --mount=type=secret,id=<id>` in the Dockerfile): where its value comes from
 * at build time. The value is never part of the content hash (a new credential for the same mirror
 * is the same image), never a build arg or a label, so never in the image or its history.
 */
const buildSecretSchema = z.union(
  [
    z.object({ env: z.string().regex(BUILD_ARG, "must be an environment variable name") }).strict(),
    z.object({ file: z.string().min(1) }).strict(),
  ],
  { error: "must be { env: VARIABLE } or { file: path }: where the value is read at build time" },
);

/** A path inside the image folder: the build context. */
const contextPath = z
  .string()
  .min(1)
  .refine((p) => !p.startsWith("/") && !p.split("/").includes(".."), {
    message: "must be a path inside the image folder",
  });

/**
 * A file the build context gets on the host before it is hashed (src/generated.ts): a pinned npm
 * package's tarball, or what a command of the repository writes.
 */
const generatedFileSchema = z.union(
  [
    z
      .object({
        path: contextPath,
        npm: z.string().regex(/^(@[a-z0-9-~][a-z0-9-._~]*\/)?[a-z0-9-~][a-z0-9-._~]*@\d[^\s]*$/, {
          message: "must be <package>@<exact version>",
        }),
        integrity: z.string().regex(/^sha512-[A-Za-z0-9+/]{86}==$/, {
          message: "must be the package's sha512 integrity (npm view <package>@<version> dist.integrity)",
        }),
      })
      .strict(),
    z.object({ path: contextPath, run: z.array(z.string().min(1)).min(1) }).strict(),
  ],
  {
    error:
      "must be { path, npm: <package>@<version>, integrity: sha512-... } or { path, run: [command, args...] }",
  },
);

const baseSchema = z
  .object({
    local: z.string().min(1, "must name an image").optional(),
    aws: z.string().min(1, "must name an image").optional(),
  })
  .strict();

const lifecycleSchema = z
  .object({
    /** Images kept per version line (tag prefix "<version>-"); older ones expire. */
    keepPerVersion: z.number().int().min(1).max(1000).default(3),
    /** Untagged images (moving tags moved away, failed pushes) expire after this many days. */
    untaggedExpireDays: z.number().int().min(1).max(3650).default(7),
  })
  .strict();

const versionSchema = z
  .object({
    buildArgs: buildArgsSchema,
    /** Overrides the definition's base for this version line only (per profile kind). */
    base: baseSchema.optional(),
  })
  .strict();

export const imageDefinitionSchema = z
  .object({
    name: z.string().regex(NAME_RULES.image.pattern, NAME_RULES.image.message),
    repository: z.string().regex(REPOSITORY, "must be an ECR repository name such as prebake/erlang-otp"),
    description: z.string().optional(),
    dockerfile: z.string().min(1).default("Dockerfile"),
    platform: z
      .string()
      .regex(/^linux\/(amd64|arm64)(\/v\d)?$/, "must be linux/amd64 or linux/arm64")
      .default("linux/amd64"),
    /**
     * The version a plain `push <name>` builds and `latest` follows. Either one version, or one per
     * profile kind ({ aws: "27.1", local: "27.3.4.1" }) when a source is only reachable from one.
     */
    defaultVersion: z
      .union([
        z.union([z.string(), z.number()]).transform(String),
        z
          .object({
            local: z.union([z.string(), z.number()]).transform(String),
            aws: z.union([z.string(), z.number()]).transform(String),
          })
          .strict(),
      ])
      .transform((v) => (typeof v === "string" ? { local: v, aws: v } : v)),
    base: baseSchema.refine((b) => b.local || b.aws, { message: "name a base image for local and/or aws" }),
    buildArgs: buildArgsSchema,
    versions: z
      .record(z.string().regex(VERSION, "a version must be a valid Docker tag start"), versionSchema)
      .refine((v) => Object.keys(v).length > 0, { message: "list at least one version" }),
    labels: z.record(z.string(), z.union([z.string(), z.number()]).transform(String)).default({}),
    repositoryTags: z.record(z.string(), z.string()).default({}),
    lifecycle: lifecycleSchema.default({ keepPerVersion: 3, untaggedExpireDays: 7 }),
    /**
     * Size budget: the compressed bytes a pull transfers (config + all layers, base included) are
     * what CodeBuild's PROVISIONING pays at every build for a custom image. `prebake report` draws
     * each version line's pushed size against it.
     */
    budget: z.object({ compressedMB: z.number().positive() }).strict().optional(),
    /** Files made on the host before the context is hashed (src/generated.ts), in order. */
    generated: z.array(generatedFileSchema).default([]),
    /** Build secrets by id: `{ env: NAME }` or `{ file: path }` (relative to the repository root). */
    secrets: z
      .record(
        z.string().regex(/^[A-Za-z0-9_.-]+$/, "a secret id is letters, digits, '.', '-' and '_'"),
        buildSecretSchema,
      )
      .default({}),
  })
  .strict()
  .superRefine((def, ctx) => {
    const { local, aws } = def.defaultVersion;
    const checks =
      local === aws
        ? [[local, ""]]
        : [
            [local, " (local)"],
            [aws, " (aws)"],
          ];
    for (const [v, kind] of checks) {
      if (!(v! in def.versions)) {
        ctx.addIssue({
          code: "custom",
          path: ["defaultVersion"],
          message: `'${v}'${kind} is not one of versions (${Object.keys(def.versions).join(", ")})`,
        });
      }
    }
  });

/** The JSON Schema of image.yaml for editors (schemas/image.schema.json). */
export const imageDefinitionJsonSchema = () =>
  editorJsonSchema(imageDefinitionSchema, {
    title: "image.yaml",
    description: "One image prebake builds and pushes: images/<name>/image.yaml (packages/images/README.md).",
  });

export type ImageDefinitionFields = z.infer<typeof imageDefinitionSchema>;

export interface ImageDefinition extends ImageDefinitionFields {
  /** images/<name>: the build context. */
  dir: string;
  /** The definition file as users see it, e.g. images/erlang-otp/image.yaml (for error messages). */
  file: string;
}

/** Parse and validate one image.yaml; every problem is one ConfigError naming the file and field. */
export function parseImageDefinition(text: string, shownFile: string, dir: string, folderName: string) {
  const fields = parseValidatedYaml(text, shownFile, imageDefinitionSchema, (message) =>
    message.includes("BASE_IMAGE")
      ? "replace buildArgs.BASE_IMAGE with `base: { aws: <image> }` (and/or local:) under the same version"
      : "the fields: @prebake/images' README, packages/images/README.md#imagesnameimageyaml",
  );
  const def: ImageDefinition = { ...fields, dir, file: shownFile };
  if (def.name !== folderName) {
    throw new ConfigError(`'${def.name}' must equal the folder name '${folderName}'`, {
      where: `${shownFile}: name`,
      fix: `rename the folder or set name: ${folderName}`,
    });
  }
  assertVersionLinesApart(def);
  const dockerfile = join(dir, def.dockerfile);
  if (def.dockerfile.startsWith("/") || def.dockerfile.split("/").includes("..")) {
    throw new ConfigError("must be a path inside the image folder", {
      where: `${shownFile}: dockerfile`,
      fix: "use a relative path such as Dockerfile",
    });
  }
  if (!existsSync(dockerfile)) {
    throw new ConfigError(`no such file ${def.dockerfile} in images/${def.name}/`, {
      where: `${shownFile}: dockerfile`,
      fix: `add images/${def.name}/${def.dockerfile} or point dockerfile: at the right file`,
    });
  }
  return def;
}

/**
 * Each version line's lifecycle rule selects the tags starting "<version>-". When one version,
 * followed by "-", starts another's name (27 and 27-slim; 1.0 and 1.0-rc), that rule also sees
 * the other line's images, and ECR (which still counts images a higher rule matched) can expire
 * images the definition meant to keep. Such names are refused.
 */
function assertVersionLinesApart(def: ImageDefinition): void {
  const versions = Object.keys(def.versions);
  for (const a of versions) {
    const b = versions.find((v) => v !== a && v.startsWith(`${a}-`));
    if (!b) continue;
    throw new ConfigError(
      `version lines '${a}' and '${b}' overlap: the lifecycle rule for ${a} (tags starting "${a}-") also selects ${b}'s images`,
      {
        where: `${def.file}: versions`,
        fix: `rename one so that neither name, followed by "-", starts the other (e.g. ${b} -> ${b.slice(a.length + 1)}-${a})`,
      },
    );
  }
}

/** Folder that holds the image definitions (core's imagePaths owns the layout). */
export function imagesDir(rootDir: string): string {
  return imagePaths.dir(rootDir);
}

/** Whether images/<name>/image.yaml exists (callers that treat an unknown image as "not ours"). */
export function imageDefinitionExists(rootDir: string, name: string): boolean {
  return existsSync(imagePaths.definition(rootDir, name));
}

export function listImageNames(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(dir, e.name, "image.yaml")))
    .map((e) => e.name)
    .sort();
}

export function loadImageDefinition(dir: string, name: string): ImageDefinition {
  const folder = join(dir, name);
  const file = join(folder, "image.yaml");
  const shown = `images/${name}/image.yaml`;
  if (!existsSync(file)) {
    const known = listImageNames(dir);
    throw new ConfigError(`no image definition named '${name}'`, {
      where: shown,
      fix: known.length ? `use one of: ${known.join(", ")}` : "create images/<name>/image.yaml",
    });
  }
  const text = readFileSync(file, "utf8");
  const known = loaded.get(file);
  if (known?.text === text) return structuredClone(known.def);
  const def = parseImageDefinition(text, shown, folder, name);
  loaded.set(file, { text, def: structuredClone(def) });
  return def;
}

/**
 * Definitions loaded in this process, by file, with the text they came from. A batch loads each
 * image's definition once per task that names it (its own task, every stack deploy that feeds its
 * reference to a parameter, every layer built in it): 30 YAML parses and validations of 8 files,
 * about 70 ms, in a no-op of 31 items. Callers get their own copy; a changed file is parsed again.
 */
const loaded = new Map<string, { text: string; def: ImageDefinition }>();

/** The default version line for a profile kind. */
export function defaultVersionFor(def: ImageDefinition, profileKind: "local" | "aws"): string {
  return def.defaultVersion[profileKind];
}

/** The version to build: the given one (which must be defined) or the definition's default for the profile. */
export function resolveVersion(def: ImageDefinition, profileKind: "local" | "aws", version?: string): string {
  const v = version ?? defaultVersionFor(def, profileKind);
  if (!(v in def.versions)) {
    throw new ConfigError(`unknown version '${v}' of image ${def.name}`, {
      where: `${def.file}: versions`,
      fix: `use one of: ${Object.keys(def.versions).join(", ")} (or add it under versions:)`,
    });
  }
  return v;
}
