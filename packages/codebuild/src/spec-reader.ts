import { ConfigError, firstLine } from "@prebake/core";
import {
  type Document,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseDocument,
  type Scalar,
  type YAMLMap,
} from "yaml";

/**
 * A scalar as the buildspec wrote it: `python: 3.10` is the version "3.10", not the number 3.1
 * (CodeBuild reads these fields as strings).
 */
function scalarText(node: Scalar): string {
  return typeof node.value === "number" && node.source ? node.source : String(node.value);
}

/**
 * Reads a buildspec's YAML with line numbers: every check fails with `file:line: message (fix)`,
 * and every key read is remembered with its line, so later checks (Lambda compute, local-run
 * refusals) can name the line of a key without walking the document again.
 */
export class SpecReader {
  readonly file: string;
  readonly doc: Document;
  /** `where` (e.g. `phases.build.on-failure`) -> line of that key. */
  readonly lines: Record<string, number> = {};
  private readonly counter: LineCounter;

  constructor(text: string, file: string) {
    this.file = file;
    this.counter = new LineCounter();
    this.doc = parseDocument(text, { lineCounter: this.counter, uniqueKeys: true });
    const err = this.doc.errors[0];
    if (err) {
      const line = err.linePos?.[0]?.line;
      throw new ConfigError(`not valid YAML: ${firstLine(err)}`, {
        where: line ? `${file}:${line}` : file,
        fix: "correct the YAML syntax",
      });
    }
  }

  lineOf(node: unknown): number {
    const range = (node as Node | null | undefined)?.range;
    return range ? this.counter.linePos(range[0]).line : 1;
  }

  fail(node: unknown, message: string, fix: string): never {
    throw new ConfigError(message, { where: `${this.file}:${this.lineOf(node)}`, fix });
  }

  /** Fail at the line of a key already read (`phases.build.steps`). */
  failAt(path: string, message: string, fix: string): never {
    throw new ConfigError(message, { where: `${this.file}:${this.lines[path] ?? 1}`, fix });
  }

  /** The node as a mapping, or a failure naming what it should be. */
  map(node: unknown, where: string, fix = "see the buildspec reference"): YAMLMap {
    if (!isMap(node)) this.fail(node, `${where} must be a mapping`, fix);
    return node as YAMLMap;
  }

  /** The mapping's keys, each checked against `allowed` and remembered with its line under `where`. */
  keys(map: YAMLMap, allowed: readonly string[], where: string): string[] {
    return map.items.map((pair) => {
      const key = isScalar(pair.key) ? String(pair.key.value) : "";
      if (!allowed.includes(key)) {
        this.fail(pair.key, `unknown key '${key}' in ${where}`, `use one of: ${allowed.join(", ")}`);
      }
      this.lines[where === "the buildspec" ? key : `${where}.${key}`] = this.lineOf(pair.key);
      return key;
    });
  }

  /**
   * A mapping's entries with their keys as strings (no allowed-list: names are the user's). An
   * empty value (`build:` with nothing under it) is given as its key node, so errors name its line.
   */
  entries(map: YAMLMap, where: string): [key: string, value: unknown, keyNode: unknown][] {
    return map.items.map((pair) => {
      const key = isScalar(pair.key) ? String(pair.key.value) : "";
      this.lines[`${where}.${key}`] = this.lineOf(pair.key);
      return [key, pair.value, pair.key];
    });
  }

  scalar(node: unknown, where: string): string | undefined {
    if (node === undefined || node === null) return undefined;
    if (!isScalar(node)) this.fail(node, `${where} must be a single value`, "write it on one line");
    return (node as Scalar).value === null ? undefined : scalarText(node as Scalar);
  }

  stringList(node: unknown, where: string): string[] {
    if (node === undefined || node === null) return [];
    if (!isSeq(node)) this.fail(node, `${where} must be a list`, "write one `- item` per line");
    return (node as { items: unknown[] }).items.map((item) => {
      if (!isScalar(item)) this.fail(item, `${where} holds something that is not a string`, "quote it");
      return scalarText(item as Scalar);
    });
  }

  /** A single string or a list of strings (exclude-paths takes either). */
  stringOrList(node: unknown, where: string): string[] {
    if (isScalar(node)) return [scalarText(node)];
    return this.stringList(node, where);
  }

  stringMap(node: unknown, where: string): Record<string, string> {
    if (node === undefined || node === null) return {};
    const map = this.map(node, where, "write `NAME: value` lines");
    const out: Record<string, string> = {};
    for (const [key, value] of this.entries(map, where)) {
      out[key] = isScalar(value) && value.value !== null ? scalarText(value) : "";
    }
    return out;
  }

  /** CodeBuild's yes/no switches; YAML 1.2 reads `yes` as a string, so both spellings are taken. */
  yesNo(node: unknown, where: string): boolean | undefined {
    if (node === undefined || node === null) return undefined;
    const raw = isScalar(node) ? node.value : undefined;
    const text = String(raw).toLowerCase();
    if (raw === true || text === "yes") return true;
    if (raw === false || text === "no") return false;
    return this.fail(node, `${where} must be yes or no, not '${String(raw)}'`, "write yes or no");
  }
}
