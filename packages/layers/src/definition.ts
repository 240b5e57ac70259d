import { existsSync, readFileSync, realpathSync, statSync } from "node:fs";
import { isAbsolute, join, relative, resolve, sep } from "node:path";
import { ConfigError, editorJsonSchema, layerPaths, NAME_RULES, parseValidatedYaml } from "@prebake/core";
import { z } from "zod";
import { ARCHITECTURES, type Architecture, PYTHON_RUNTIMES } from "./runtimes.ts";

/** Lambda's quota for a function and all its layers, unzipped: 250 MB = 262,144,000 bytes. */
export const LAMBDA_UNZIPPED_LIMIT_BYTES = 262_144_000;
/** Largest zip PublishLayerVersion accepts inline; bigger ones go through S3. */
export const LAMBDA_DIRECT_UPLOAD_LIMIT_BYTES = 50 * 1024 * 1024;

const MB = 1024 * 1024;
/** prebake's default goal: a layer adds less than 200 ms to a cold start. */
export const DEFAULT_COLD_START_MS = 200;

const layerSchema = z
  .object({
    /** = folder name under layers/ = Nx project name. */
    name: z.string().regex(NAME_RULES.layer.pattern, NAME_RULES.layer.message),
    description: z.string().max(200).optional(),
    /** Lambda layer name; defaults to `name`. A layer for several architectures gets `-<arch>` appended. */
    layerName: z
      .string()
      .regex(/^[a-zA-Z0-9_-]{1,100}$/, "must be letters, digits, - and _ (Lambda's rule)")
      .optional(),
    /** Requirements file relative to the folder. Best: a lock with hashes (pip-compile --generate-hashes). */
    requirements: z.string().min(1),
    /** The layer's own Python packages: a folder whose contents are copied into python/. */
    source: z.string().min(1).optional(),
    pythonVersions: z
      .array(
        z
          .string()
          .refine((v) => v in PYTHON_RUNTIMES, `must be one of ${Object.keys(PYTHON_RUNTIMES).join(", ")}`),
      )
      .min(1)
      .default(["3.11"]),
    architectures: z.array(z.enum(ARCHITECTURES)).min(1).default(["x86_64"]),
    /** pypi (default), local (this machine's pip indexes), or an index URL / absolute path. */
    index: z.string().min(1).default("pypi"),
    budget: z
      .object({
        /** Warn when the total (this layer + other layers + function code) passes this share of 250 MB. */
        warnAtPercent: z.number().gt(0).max(100).default(80),
        /** The other layers of the functions this layer is meant for, with their unzipped sizes. */
        otherLayers: z
          .array(z.object({ name: z.string().min(1), sizeMB: z.number().min(0) }).strict())
          .default([]),
        /** The largest unzipped function package among those functions. */
        functionCodeMB: z.number().min(0).default(0),
        /**
         * Cold-start budget per top-level module: the import test warns when a module's cold import
         * takes longer (fails with --strict). 200 ms: a cold start grows by less than 200 ms.
         */
        coldStartMs: z.number().positive().default(DEFAULT_COLD_START_MS),
      })
      .strict()
      .default({ warnAtPercent: 80, otherLayers: [], functionCodeMB: 0, coldStartMs: DEFAULT_COLD_START_MS }),
    slim: z
      .object({
        pycache: z.boolean().default(true),
        tests: z.boolean().default(true),
        /** Removing dist-info breaks packages that read their own metadata (pydantic does). Off by default. */
        distInfo: z.boolean().default(false),
        /** Extra paths (relative to the install dir, glob with * and **) to remove. */
        exclude: z.array(z.string().min(1)).default([]),
      })
      .strict()
      .default({ pycache: true, tests: true, distInfo: false, exclude: [] }),
    publish: z
      .object({
        licenseInfo: z.string().max(512).optional(),
        /** Bucket for zips over 50 MB; default <project>-layers-<account>-<region>, created if missing, versioned, the caller's own. */
        s3Bucket: z.string().min(3).optional(),
      })
      .strict()
      .default({}),
  })
  .strict();

/** The JSON Schema of layer.yaml for editors (schemas/layer.schema.json). */
export const layerDefinitionJsonSchema = () =>
  editorJsonSchema(layerSchema, {
    title: "layer.yaml",
    description:
      "One Python Lambda layer: layers/<name>/layer.yaml (layers/common-utils/README.md, layer.yaml).",
  });

export type LayerDefinitionFile = z.infer<typeof layerSchema>;

export interface LayerDefinition extends LayerDefinitionFile {
  /** Absolute folder of the definition. */
  dir: string;
  /** layer.yaml relative to the repository root, for messages. */
  file: string;
  requirementsPath: string;
  sourcePath: string | undefined;
  architectures: Architecture[];
  /** True when every requirement line carries --hash (pip then runs in hash-checking mode). */
  hashedRequirements: boolean;
}

export const layerDir = (rootDir: string, name: string) => layerPaths.folder(rootDir, name);

/** Parse and check a layer.yaml text; `file` is the path shown in messages. */
export function parseLayerDefinition(text: string, file: string, dir: string): LayerDefinition {
  const def = parseValidatedYaml(
    text,
    file,
    layerSchema,
    "the fields: @prebake/layers' README, packages/layers/README.md#layersnamelayeryaml",
  );
  const requirementsPath = resolve(dir, def.requirements);
  assertInsideLayer(dir, requirementsPath, def.requirements, `${file}: requirements`);
  if (!existsSync(requirementsPath)) {
    throw new ConfigError(`requirements file ${def.requirements} does not exist`, {
      where: `${file}: requirements`,
      fix: "create it (pinned versions, ideally a lock with hashes) or fix the path",
    });
  }
  const sourcePath = def.source ? resolve(dir, def.source) : undefined;
  if (def.source && sourcePath) assertInsideLayer(dir, sourcePath, def.source, `${file}: source`);
  if (sourcePath && !(existsSync(sourcePath) && statSync(sourcePath).isDirectory())) {
    throw new ConfigError(`source folder ${def.source} does not exist`, {
      where: `${file}: source`,
      fix: "point it at the folder holding the layer's own packages (copied into python/)",
    });
  }
  if (new Set(def.architectures).size !== def.architectures.length) {
    throw new ConfigError("lists an architecture twice", {
      where: `${file}: architectures`,
      fix: "remove the duplicate",
    });
  }
  return {
    ...def,
    dir,
    file,
    requirementsPath,
    sourcePath,
    architectures: def.architectures,
    hashedRequirements: requirementsHaveHashes(readFileSync(requirementsPath, "utf8")),
  };
}

/**
 * `requirements` and `source` name files of the layer's own folder: the build mounts only that folder,
 * and a path (or a symlink on the way) that leads elsewhere would read, and ship, files of the host.
 * Judged on the written path and on the real one, symlinks resolved.
 */
function assertInsideLayer(dir: string, path: string, written: string, where: string): void {
  const inside = (folder: string, p: string) => {
    const rel = relative(folder, p);
    return rel === "" || (rel !== ".." && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
  };
  const real = (p: string) => (existsSync(p) ? realpathSync(p) : p);
  if (inside(dir, path) && inside(real(dir), real(path))) return;
  throw new ConfigError(`${written} is outside the layer's folder`, {
    where,
    fix: "keep the layer's requirements and sources inside its folder (no '..', no absolute path, no symlink out)",
  });
}

/** Load layers/<name>/layer.yaml. */
export function loadLayerDefinition(rootDir: string, name: string): LayerDefinition {
  const dir = layerDir(rootDir, name);
  const path = join(dir, "layer.yaml");
  const shown = relative(rootDir, path);
  if (!existsSync(path)) {
    // A checkout from before layers/ may still hold its own layers under examples/.
    const moved = existsSync(layerPaths.formerDefinition(rootDir, name));
    throw new ConfigError(
      moved ? `layer '${name}' is still in examples/${name}` : `no layer named '${name}'`,
      {
        where: shown,
        fix: moved
          ? `layers moved from examples/ to layers/: git mv examples/${name} layers/${name}`
          : "create layers/<name>/layer.yaml (nx g @prebake/nx-plugin:layer <name>, or see layers/common-utils/layer.yaml)",
      },
    );
  }
  const def = parseLayerDefinition(readFileSync(path, "utf8"), shown, dir);
  if (def.name !== name) {
    throw new ConfigError(`name '${def.name}' differs from its folder '${name}'`, {
      where: `${shown}: name`,
      fix: `set name: ${name}`,
    });
  }
  return def;
}

/** Requirement lines (continuations joined, comments dropped). */
export function requirementLines(text: string): string[] {
  return text
    .replace(/\\\r?\n/g, " ")
    .split(/\r?\n/)
    .map((l) => l.replace(/(^|\s)#.*$/, "").trim())
    .filter((l) => l.length > 0);
}

export function requirementsHaveHashes(text: string): boolean {
  const reqs = requirementLines(text).filter((l) => !l.startsWith("-"));
  return reqs.length > 0 && reqs.every((l) => /--hash[= ]/.test(l));
}

/** The Lambda layer name(s): one per architecture when there are several. */
export function publishedLayerName(
  def: Pick<LayerDefinition, "name" | "layerName" | "architectures">,
  arch: Architecture,
) {
  const base = def.layerName ?? def.name;
  return def.architectures.length > 1 ? `${base}-${arch}` : base;
}

export const mbToBytes = (mb: number) => Math.round(mb * MB);
