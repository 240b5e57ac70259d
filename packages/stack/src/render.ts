import { existsSync, readFileSync } from "node:fs";
import { relative } from "node:path";
import { pathToFileURL } from "node:url";
import {
  ConfigError,
  firstLine,
  imagePaths,
  isPrebakeError,
  type PrebakeError,
  stackPaths,
  ValidationError,
  writeFileAtomic,
} from "@prebake/core";
import type { Template } from "./model.ts";
import { validatePrebakeMetadata } from "./read.ts";
import { validateTemplate } from "./validate.ts";
import { emitYaml } from "./yaml.ts";

export function headerFor(name: string): string {
  return `# Generated from stack.ts by \`prebake render\`. Do not edit; edit stack.ts and run \`npx nx run ${name}:render\`.\n`;
}

/**
 * Where in the stack sources an error happened: Node puts `<file>:<line>` first for a syntax
 * error, and a runtime error has stack frames; the first frame under stacks/ is the user's line.
 */
export function errorLocation(err: unknown, dir: string): { file: string; line: number } | undefined {
  const stack = String((err as Error)?.stack ?? "");
  const syntax = /^(\/[^\n]*?):(\d+)\n/.exec(stack);
  if (syntax && syntax[1]!.startsWith(dir)) return { file: syntax[1]!, line: Number(syntax[2]) };
  for (const m of stack.matchAll(/(?:file:\/\/)?(\/[^\s():?]+)(?:\?[^\s:]*)?:(\d+):\d+/g)) {
    let file = m[1]!;
    try {
      file = decodeURIComponent(file);
    } catch {}
    if (file.startsWith(dir)) return { file, line: Number(m[2]) };
  }
  return undefined;
}

/** The one-line error for a stack.ts that does not load or whose template function throws. */
function loadError(err: unknown, root: string, shown: string): PrebakeError {
  // A helper the stack calls may already say precisely what is wrong (e.g. a missing image definition),
  // also when it comes from the repository's copy of core and this is the bundled CLI's.
  if (isPrebakeError(err)) return err;
  const first = firstLine(err);
  const at = errorLocation(err, stackPaths.dir(root));
  const file = at ? relative(root, at.file) : shown;
  return new ConfigError(`cannot load: ${first}`, {
    where: at ? `${file}:${at.line}` : shown,
    fix: `fix the error in ${file}`,
    cause: err,
  });
}

/** Load stacks/<name>/stack.ts: its default export is the template, or a function returning it. */
export async function loadStackSource(root: string, name: string): Promise<Template> {
  const file = stackPaths.source(root, name);
  const shown = `stacks/${name}/stack.ts`;
  let exported: unknown;
  try {
    // A query string defeats the module cache, so a long-lived process sees edits.
    const mod = (await import(`${pathToFileURL(file).href}?mtime=${Date.now()}`)) as { default?: unknown };
    exported = typeof mod.default === "function" ? await (mod.default as () => unknown)() : mod.default;
  } catch (err) {
    throw loadError(err, root, shown);
  }
  if (!exported || typeof exported !== "object") {
    throw new ConfigError("has no default export of a template", {
      where: shown,
      fix: "end the file with `export default defineTemplate({ ... })` (or a function returning it)",
    });
  }
  return exported as Template;
}

/** The exact bytes stack.yaml should hold. Validation failures throw before anything is written. */
export async function renderStackText(root: string, name: string): Promise<string> {
  const template = await loadStackSource(root, name);
  const where = `stacks/${name}/stack.ts`;
  validateTemplate(template, where);
  validatePrebakeMetadata(template, where, {
    images: (image) => existsSync(imagePaths.definition(root, image)),
    stacks: (stack) => existsSync(stackPaths.source(root, stack)),
    self: name,
  });
  return headerFor(name) + emitYaml(template);
}

export interface RenderResult {
  stack: string;
  file: string;
  action: "written" | "unchanged" | "up-to-date" | "stale";
}

/** Render to stacks/<name>/stack.yaml (atomically; untouched when the bytes are the same). */
export async function renderStack(root: string, name: string): Promise<RenderResult> {
  const text = await renderStackText(root, name);
  const file = stackPaths.template(root, name);
  const current = existsSync(file) ? readFileSync(file, "utf8") : undefined;
  if (current === text) return { stack: name, file: `stacks/${name}/stack.yaml`, action: "unchanged" };
  await writeFileAtomic(file, text);
  return { stack: name, file: `stacks/${name}/stack.yaml`, action: "written" };
}

/** Compare the committed stack.yaml with a fresh render; stale -> ValidationError (exit 4). */
export async function checkStack(root: string, name: string): Promise<RenderResult> {
  const text = await renderStackText(root, name);
  const file = stackPaths.template(root, name);
  const current = existsSync(file) ? readFileSync(file, "utf8") : undefined;
  if (current !== text) {
    throw new ValidationError(
      current === undefined ? "is missing" : "differs from a fresh render of stack.ts",
      {
        where: `stacks/${name}/stack.yaml`,
        fix: `run \`npx nx run ${name}:render\` and commit the result`,
      },
    );
  }
  return { stack: name, file: `stacks/${name}/stack.yaml`, action: "up-to-date" };
}
