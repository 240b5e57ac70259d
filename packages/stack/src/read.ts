/**
 * Reading a rendered template back, for deploy, the Nx plugin and the local CodeBuild runner:
 * the one YAML reader with CloudFormation's short tags, and the one validated Metadata.Prebake.
 */
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, isAbsolute, relative } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { ConfigError, checkStackName, stackPaths, statePaths } from "@prebake/core";
import type { PrebakeMetadata, Template } from "./model.ts";
import { parseYaml, YamlSyntaxError } from "./yaml.ts";

/** A path as the user should see it: relative to the working directory when it is inside it. */
function shown(path: string): string {
  if (!isAbsolute(path)) return path;
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith("..") && !isAbsolute(rel) ? rel : path;
}

/**
 * Parse a template body (YAML or JSON; a rendered file, or what CloudFormation sends back).
 * Errors are one ConfigError naming `where` and the line.
 */
export function parseTemplate(body: string, where: string): Template {
  let template: Template;
  try {
    template = parseYaml(body);
  } catch (err) {
    if (!(err instanceof YamlSyntaxError)) throw err;
    throw new ConfigError(`is not valid YAML: ${err.message}`, {
      where: err.line ? `${where}:${err.line}` : where,
      fix: "render it again from stack.ts (`prebake render <stack>`) instead of editing it",
    });
  }
  if (!template || typeof template !== "object" || Array.isArray(template) || !template.Resources) {
    throw new ConfigError("is not a CloudFormation template (no Resources section)", {
      where,
      fix: "render it again from stack.ts (`prebake render <stack>`)",
    });
  }
  return template;
}

/** Read and parse a rendered template (stacks/<name>/stack.yaml). Errors name the file and line. */
export function readTemplate(path: string): Template {
  const where = shown(path);
  if (!existsSync(path)) {
    throw new ConfigError("does not exist", {
      where,
      fix: "render it first: `prebake render <stack>` (or `npx nx run <stack>:render`)",
    });
  }
  return parseTemplate(readFileSync(path, "utf8"), where);
}

/** A stack's rendered template as deploy and the CodeBuild runner need it. */
export interface StackTemplate {
  name: string;
  /** Absolute path of stacks/<name>/stack.yaml. */
  file: string;
  /** The same, as messages show it: stacks/<name>/stack.yaml. */
  where: string;
  /** The bytes as committed: what CloudFormation is sent. */
  body: string;
  template: Template;
  prebake: PrebakeMetadata;
}

/**
 * Read stacks/<name>/stack.yaml of the repository at `root`: the name must be a stack, the file
 * must be rendered and a template, and its Metadata.Prebake well formed.
 */
export function readStackTemplate(root: string, name: string): StackTemplate {
  checkStackName(root, name, "source-or-template");
  const file = stackPaths.template(root, name);
  const where = `stacks/${name}/stack.yaml`;
  if (!existsSync(file)) {
    throw new ConfigError("stack has no rendered template", {
      where,
      fix: `render it first: prebake render ${name}`,
    });
  }
  const body = readFileSync(file, "utf8");
  const template = parsedTemplate(root, name, body, where);
  return { name, file, where, body, template, prebake: templateMetadata(template, where) };
}

/**
 * The template parsed, from the JSON kept beside the last parse when the text is the same (by its
 * sha256). YAML with CloudFormation's tags is slow to parse: about 5 ms a stack, the largest CPU
 * cost of a no-op deploy and of `prebake status`; JSON.parse of the same takes a tenth. Only a
 * template that JSON holds exactly is kept (YAML's .inf and .nan are not), and a folder that cannot
 * be written keeps nothing: the cache only ever saves a parse.
 */
function parsedTemplate(root: string, name: string, body: string, where: string): Template {
  const memo = statePaths.parsedTemplate(root, name);
  const sha256 = createHash("sha256").update(body).digest("hex");
  try {
    const kept = JSON.parse(readFileSync(memo, "utf8")) as { sha256?: string; template?: Template };
    if (kept.sha256 === sha256 && kept.template) return kept.template;
  } catch {}
  const template = parseTemplate(body, where);
  const json = JSON.stringify({ sha256, template });
  if (isDeepStrictEqual(JSON.parse(json).template, template)) {
    // Synchronous and without core's writeFileAtomic fsyncs: a cache, written as the read returns,
    // so that no write is left pending when Nx ends the batch with a signal.
    try {
      mkdirSync(dirname(memo), { recursive: true });
      const tmp = `${memo}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
      writeFileSync(tmp, json);
      renameSync(tmp, memo);
    } catch {}
  }
  return template;
}

const isStringList = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === "string");

/**
 * The template's Metadata.Prebake block (Images, After, ImageParameters), checked for shape.
 * A template without one uses no images and follows no stack: every field defaults to empty.
 */
export function templateMetadata(template: Template, where = "template"): PrebakeMetadata {
  const raw = template.Metadata?.Prebake as unknown;
  if (raw === undefined) return { Images: [], After: [], ImageParameters: {} };
  const fail = (field: string, message: string): never => {
    throw new ConfigError(message, {
      where: `${where}: Metadata.Prebake${field}`,
      fix: "give Metadata.Prebake = { Images: [<image>...], After: [<stack>...], ImageParameters: { <Parameter>: <image> } }",
    });
  };
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) return fail("", "must be a mapping");
  const { Images = [], After = [], ImageParameters = {}, ProjectParameter } = raw as Record<string, unknown>;
  if (!isStringList(Images)) fail(".Images", "must be a list of image names");
  if (!isStringList(After)) fail(".After", "must be a list of stack names");
  if (
    !ImageParameters ||
    typeof ImageParameters !== "object" ||
    Array.isArray(ImageParameters) ||
    !Object.values(ImageParameters).every((v) => typeof v === "string")
  ) {
    fail(".ImageParameters", "must map parameter names to image names");
  }
  if (ProjectParameter !== undefined && typeof ProjectParameter !== "string")
    fail(".ProjectParameter", "must be a parameter name");
  return {
    Images: Images as string[],
    After: After as string[],
    ImageParameters: ImageParameters as Record<string, string>,
    ...(typeof ProjectParameter === "string" ? { ProjectParameter } : {}),
  };
}

/**
 * Metadata.Prebake must agree with the template and the repository: each image parameter is a
 * declared parameter fed by an image listed in Images, each image has a folder under images/,
 * each stack in After has a folder under stacks/. Otherwise deploy would order or fill wrongly.
 */
export function validatePrebakeMetadata(
  template: Template,
  where: string,
  known: { images: (name: string) => boolean; stacks: (name: string) => boolean; self: string },
): void {
  const meta = templateMetadata(template, where);
  const fail = (field: string, message: string, fix: string): never => {
    throw new ConfigError(message, { where: `${where}: Metadata.Prebake.${field}`, fix });
  };
  for (const image of meta.Images) {
    if (!known.images(image))
      fail("Images", `no image named '${image}'`, `create images/${image}/image.yaml or remove the name`);
  }
  for (const stack of meta.After) {
    if (stack === known.self) fail("After", "a stack cannot come after itself", `remove '${stack}'`);
    if (!known.stacks(stack))
      fail("After", `no stack named '${stack}'`, `create stacks/${stack}/stack.ts or remove the name`);
  }
  if (meta.ProjectParameter !== undefined && !template.Parameters?.[meta.ProjectParameter]) {
    fail(
      "ProjectParameter",
      `'${meta.ProjectParameter}' is not a parameter of this template`,
      "declare it under Parameters",
    );
  }
  for (const [parameter, image] of Object.entries(meta.ImageParameters)) {
    if (!template.Parameters?.[parameter])
      fail(
        `ImageParameters.${parameter}`,
        `'${parameter}' is not a parameter of this template`,
        "declare it under Parameters",
      );
    if (!meta.Images.includes(image))
      fail(
        `ImageParameters.${parameter}`,
        `image '${image}' is not listed in Images`,
        `add '${image}' to Metadata.Prebake.Images`,
      );
  }
}
