import { parse } from "yaml";
import type { z } from "zod";
import { ConfigError, firstLine } from "./errors.ts";

/**
 * Read a YAML definition file (prebake.config.yaml, image.yaml, layer.yaml) against its zod
 * schema. Every problem becomes ONE ConfigError naming the file, the line (YAML syntax) or the
 * dotted field (schema), and the fix.
 */
export function parseValidatedYaml<S extends z.ZodType>(
  text: string,
  shownFile: string,
  schema: S,
  fix: string | ((message: string) => string),
): z.infer<S> {
  let raw: unknown;
  try {
    raw = parse(text) ?? {};
  } catch (err) {
    const line = (err as { linePos?: { line: number }[] }).linePos?.[0]?.line;
    throw new ConfigError(`not valid YAML: ${firstLine(err)}`, {
      where: line ? `${shownFile}:${line}` : shownFile,
      fix: "correct the YAML syntax",
    });
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const keys = issue.code === "unrecognized_keys" ? ` (${issue.keys.join(", ")})` : "";
    const field = issue.path.map((p) => String(p)).join(".") || "(root)";
    throw new ConfigError(`${issue.message}${keys}`, {
      where: `${shownFile}: ${field}`,
      fix: typeof fix === "function" ? fix(issue.message) : fix,
    });
  }
  return parsed.data;
}
