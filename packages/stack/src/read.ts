/**
 * Reading a rendered template back (for deploy, the Nx plugin, the local CodeBuild runner):
 * the YAML with its short tags, and the Metadata.Prebake block that orders the work.
 */
import { existsSync, readFileSync } from "node:fs";
import { isAbsolute, relative } from "node:path";
import { ConfigError } from "@prebake/core";
import type { PrebakeMetadata, Template } from "./model.ts";
import { parseYaml, YamlSyntaxError } from "./yaml.ts";

/** A path as the user should see it: relative to the working directory when it is inside it. */
function shown(path: string): string {
  if (!isAbsolute(path)) return path;
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith("..") && !isAbsolute(rel) ? rel : path;
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
  let template: Template;
  try {
    template = parseYaml(readFileSync(path, "utf8"));
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
  const { Images = [], After = [], ImageParameters = {} } = raw as Record<string, unknown>;
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
  return {
    Images: Images as string[],
    After: After as string[],
    ImageParameters: ImageParameters as Record<string, string>,
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
