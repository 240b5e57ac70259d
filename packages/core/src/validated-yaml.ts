import { isMap, isScalar, LineCounter, type Node, parseDocument, type YAMLMap } from "yaml";
import type { z } from "zod";
import { didYouMean } from "./did-you-mean.ts";
import { configErrorOf, firstLine, type Problem } from "./errors.ts";

/**
 * Read a YAML definition file (prebake.config.yaml, image.yaml, layer.yaml, app.yaml) against its
 * zod schema, the one place that does. Every problem of the file is reported at once, each at its
 * `file:line:column` (the `yaml` package's node ranges) with the dotted field: all syntax errors,
 * or else every schema issue, an unknown key with the key it likely meant. `fix` says where the
 * fields are documented (a section of a package README).
 */
export function parseValidatedYaml<S extends z.ZodType>(
  text: string,
  shownFile: string,
  schema: S,
  fix: string | ((message: string) => string),
): z.infer<S> {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, uniqueKeys: true });
  const place = (offset: number | undefined) => {
    if (offset === undefined) return shownFile;
    const { line, col } = counter.linePos(offset);
    return `${shownFile}:${line}:${col}`;
  };
  if (doc.errors.length > 0) {
    throw configErrorOf(
      doc.errors.map((err) => ({
        where: place(err.pos[0]),
        message: `not valid YAML: ${firstLine(err)}`,
        fix: "correct the YAML syntax",
      })),
    );
  }
  const parsed = schema.safeParse(doc.toJS() ?? {});
  if (parsed.success) return parsed.data;
  const fixOf = (message: string) => (typeof fix === "function" ? fix(message) : fix);
  const problems: (Problem & { at: number })[] = [];
  for (const issue of parsed.error.issues) {
    const path = issue.path.map((p) => (typeof p === "number" ? p : String(p)));
    const field = path.join(".") || "(root)";
    if (issue.code === "unrecognized_keys") {
      const known = knownKeys(schema, path);
      const map = nodeAt(doc.contents, path);
      for (const key of issue.keys) {
        const keyNode = isMap(map)
          ? map.items.find((p) => isScalar(p.key) && p.key.value === key)?.key
          : undefined;
        const at = (keyNode as Node | undefined)?.range?.[0] ?? nearest(doc.contents, path);
        const guess = didYouMean(key, known);
        problems.push({
          at: at ?? 0,
          where: place(at),
          message: path.length > 0 ? `${field}: unknown key '${key}'` : `unknown key '${key}'`,
          fix: guess
            ? `did you mean ${guess}? (${fixOf(issue.message)})`
            : `remove it (${fixOf(issue.message)})`,
        });
      }
      continue;
    }
    const at = nearest(doc.contents, path);
    problems.push({
      at: at ?? 0,
      where: place(at),
      message: `${field}: ${issue.message}`,
      fix: fixOf(issue.message),
    });
  }
  problems.sort((a, b) => a.at - b.at);
  throw configErrorOf(problems.map(({ at: _, ...p }) => p));
}

/** The node at a path of keys and indexes, or undefined when the file does not have it. */
function nodeAt(root: unknown, path: (string | number)[]): unknown {
  let node = root;
  for (const key of path) {
    if (!node || typeof (node as { get?: unknown }).get !== "function") return undefined;
    node = (node as YAMLMap).get(key, true);
  }
  return node;
}

/** Where the deepest part of the path that the file has starts (a missing field: its mapping). */
function nearest(root: unknown, path: (string | number)[]): number | undefined {
  for (let n = path.length; n >= 0; n--) {
    const node = nodeAt(root, path.slice(0, n)) as Node | undefined;
    if (node?.range) return node.range[0];
  }
  return undefined;
}

/** The keys the schema knows at a path (for "did you mean"), through optional, default, record and union. */
function knownKeys(schema: z.ZodType, path: (string | number)[]): string[] {
  let types: z.ZodType[] = [schema];
  for (const key of path) types = types.flatMap((t) => child(t, key));
  return [...new Set(types.flatMap((t) => Object.keys(shapeOf(t))))];
}

interface Def {
  type?: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  in?: z.ZodType;
  valueType?: z.ZodType;
  element?: z.ZodType;
  options?: z.ZodType[];
  left?: z.ZodType;
  right?: z.ZodType;
  getter?: () => z.ZodType;
}

const defOf = (t: z.ZodType) => (t as unknown as { _zod: { def: Def } })._zod.def;

/** The schema with its wrappers (optional, default, pipe, lazy) taken off: the schemas it can be. */
function unwrap(t: z.ZodType): z.ZodType[] {
  const def = defOf(t);
  const inner = def.innerType ?? def.in ?? def.getter?.();
  if (inner) return unwrap(inner);
  if (def.options) return def.options.flatMap(unwrap);
  if (def.left && def.right) return [...unwrap(def.left), ...unwrap(def.right)];
  return [t];
}

function shapeOf(t: z.ZodType): Record<string, z.ZodType> {
  return Object.assign({}, ...unwrap(t).map((u) => defOf(u).shape ?? {}));
}

function child(t: z.ZodType, key: string | number): z.ZodType[] {
  return unwrap(t).flatMap((u) => {
    const def = defOf(u);
    const next = def.shape?.[String(key)] ?? def.valueType ?? def.element;
    return next ? [next] : [];
  });
}
