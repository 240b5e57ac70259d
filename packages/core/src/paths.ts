import { randomBytes } from "node:crypto";
import { existsSync, readdirSync } from "node:fs";
import { mkdir, open, rename, rm } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { ConfigError } from "./errors.ts";

export const CONFIG_FILE_NAME = "prebake.config.yaml";

/**
 * The repository root: the nearest folder upwards that holds prebake.config.yaml or nx.json.
 * Falls back to the start folder so prebake also works in a folder with no config (embedded defaults).
 */
export function findRepoRoot(start: string = process.cwd()): string {
  let dir = resolve(start);
  for (;;) {
    if (existsSync(join(dir, CONFIG_FILE_NAME)) || existsSync(join(dir, "nx.json"))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return resolve(start);
    dir = parent;
  }
}

/**
 * The repository's source folders: one folder per stack, image, app and layer. Every package
 * builds these paths here, so moving a folder is one edit. Names follow names.ts; the definitions
 * are validated by their owners (@prebake/images for image.yaml, @prebake/layers for layer.yaml,
 * @prebake/codebuild for app.yaml).
 */
export const stackPaths = {
  dir: (root: string) => join(root, "stacks"),
  folder: (root: string, name: string) => join(root, "stacks", name),
  /** stacks/<name>/stack.ts: the source `prebake render` loads. */
  source: (root: string, name: string) => join(root, "stacks", name, "stack.ts"),
  /** stacks/<name>/stack.yaml: the rendered, committed template `deploy` sends. */
  template: (root: string, name: string) => join(root, "stacks", name, "stack.yaml"),
};

/** What makes a folder a stack: a stack.ts to render, or (for deploy) a rendered stack.yaml too. */
export type StackKind = "source" | "source-or-template";

const isStack = (root: string, name: string, kind: StackKind) =>
  existsSync(stackPaths.source(root, name)) ||
  (kind === "source-or-template" && existsSync(stackPaths.template(root, name)));

/**
 * The repository's stacks, sorted: folders under stacks/ with a stack.ts (or, for deploy, a
 * rendered stack.yaml). One list for render, lint, deploy, the CodeBuild runner and the in-use scan.
 */
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

export const imagePaths = {
  dir: (root: string) => join(root, "images"),
  folder: (root: string, name: string) => join(root, "images", name),
  /** images/<name>/image.yaml: the image definition. */
  definition: (root: string, name: string) => join(root, "images", name, "image.yaml"),
};

export const layerPaths = {
  dir: (root: string) => join(root, "layers"),
  folder: (root: string, name: string) => join(root, "layers", name),
  /** layers/<name>/layer.yaml: the layer definition. */
  definition: (root: string, name: string) => join(root, "layers", name, "layer.yaml"),
  /**
   * layers/<name>/layer.yaml: where layers lived before layers/ (an old checkout's own layers),
   * so a lookup that misses can say where the folder moved.
   */
  formerDefinition: (root: string, name: string) => join(root, "examples", name, "layer.yaml"),
};

/** The repository's layers, sorted: folders under layers/ with a layer.yaml. */
export function listLayers(root: string): string[] {
  return foldersWith(layerPaths.dir(root), ["layer.yaml"]);
}

/**
 * An app is a folder under apps/ that CodeBuild builds: an optional app.yaml says how (image,
 * buildspec, compute, variables); without one, a rebar.config makes it an Erlang app built with
 * the defaults. stacks/ci gives every app its own CodeBuild project and pipeline action.
 */
export const APP_MARKERS = ["app.yaml", "rebar.config"] as const;

/** What an app without an app.yaml (or one that leaves these out) builds with. */
export const APP_DEFAULTS = { image: "erlang-otp", buildspec: "buildspecs/erlang-app.yml" } as const;

export const appPaths = {
  dir: (root: string) => join(root, "apps"),
  folder: (root: string, name: string) => join(root, "apps", name),
  /** apps/<name>/app.yaml: the app's optional definition. */
  definition: (root: string, name: string) => join(root, "apps", name, "app.yaml"),
};

/** The repository's apps, sorted: folders under apps/ with an app.yaml or a rebar.config. */
export function listApps(root: string): string[] {
  return foldersWith(appPaths.dir(root), APP_MARKERS);
}

/** The folders of `dir` holding at least one of `markers`, sorted. */
function foldersWith(dir: string, markers: readonly string[]): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && markers.some((m) => existsSync(join(dir, e.name, m))))
    .map((e) => e.name)
    .sort();
}

/**
 * The four kinds of folder that are Nx projects. Project names are the folder names, so a name is
 * taken when a folder of that name exists under any of them (not only under its own kind's).
 */
export const PROJECT_FOLDERS = { image: "images", stack: "stacks", app: "apps", layer: "layers" } as const;
export type ProjectKind = keyof typeof PROJECT_FOLDERS;

/**
 * The existing folder (relative to the root) a new project `name` would clash with, if any.
 * `exists` says whether a folder relative to the root exists (an Nx generator asks its Tree).
 */
export function takenProjectFolder(name: string, exists: (folder: string) => boolean): string | undefined {
  return Object.values(PROJECT_FOLDERS)
    .map((dir) => `${dir}/${name}`)
    .find((folder) => exists(folder));
}

/** Where generated files live; other steps read them (stack render reads image manifests). */
export const distPaths = {
  imageManifest: (root: string, name: string, version: string) =>
    join(root, "dist", "images", `${name}-${version}.json`),
  imagesDir: (root: string) => join(root, "dist", "images"),
  /**
   * A deployed stack's outputs: dist/stacks/<stack>.json in the implicit environment,
   * dist/<env>/stacks/<stack>.json in a named one (`environmentSegment` gives `environment`).
   */
  stackOutputs: (root: string, stack: string, environment?: string) =>
    environment
      ? join(root, "dist", environment, "stacks", `${stack}.json`)
      : join(root, "dist", "stacks", `${stack}.json`),
  layerManifest: (root: string, layer: string) => join(root, "dist", "layers", `${layer}.json`),
  /** dist/layers/<name>/: a layer's build folder (its zip and build record). */
  layerBuildDir: (root: string, layer: string) => join(root, "dist", "layers", layer),
  /** dist/pipelines/<stack>/: the artifact zips of the last local run of a stack's pipeline. */
  pipelineArtifacts: (root: string, stack: string) => join(root, "dist", "pipelines", stack),
};

/**
 * .prebake/: what prebake keeps between runs besides its results (dist/): run history, memos and
 * caches. Git ignores it and a local CodeBuild run's source leaves it out. (core/tool-answer.ts
 * names its own files: bin scripts load that module alone, without this one.)
 */
export const statePaths = {
  /** .prebake/history/: the run history's default place (historyDir). */
  history: (root: string) => join(root, ".prebake", "history"),
  /** .prebake/lint-passed/<key>: a template body that passed cfn-lint, by body and version. */
  lintPassed: (root: string, key: string) => join(root, ".prebake", "lint-passed", key),
  /** .prebake/file-digests.json: large files' digests by stamp (FileDigests). */
  fileDigests: (root: string) => join(root, ".prebake", "file-digests.json"),
  /** .prebake/parsed-templates/<stack>.json: a rendered template's parsed form, by its sha256. */
  parsedTemplate: (root: string, stack: string) =>
    join(root, ".prebake", "parsed-templates", `${stack}.json`),
};

/**
 * Write a file so that readers see either the old or the new content, never half of it:
 * write a sibling temp file, then rename over the target (atomic on one filesystem).
 */
export async function writeFileAtomic(path: string, content: string | Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  // Unique per call: two writes of one file in one process (a batch of tasks) must not share a temp file.
  const tmp = `${path}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`;
  try {
    const handle = await open(tmp, "wx", 0o644);
    try {
      await handle.writeFile(content);
      await handle.sync(); // the bytes are on disk before the name points at them...
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
    await syncFolder(dirname(path)); // ...and the new name is on disk before we say it is done
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/** fsync a folder: what makes a rename in it survive a crash (best effort where a folder cannot be opened). */
async function syncFolder(dir: string): Promise<void> {
  const handle = await open(dir, "r").catch(() => undefined);
  if (!handle) return;
  try {
    await handle.sync().catch(() => undefined);
  } finally {
    await handle.close();
  }
}

export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}
