import { configErrorOf, firstLine, type Problem, unknownKeyFix } from "@prebake/core";
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

/** No value: a missing key, or a key or list item with nothing after it (a null scalar). */
function isEmpty(node: unknown): boolean {
  return node === undefined || node === null || (isScalar(node) && node.value === null);
}

/** Thrown by fail(): the rest of the section it is in cannot be read; section() goes on with the next. */
class SectionAbandoned extends Error {}

/**
 * Reads a buildspec's YAML with line numbers. Every problem is kept as `file:line:column: message
 * (fix)` and reading goes on, so one run reports them all: fail() gives up the section it is in
 * (section() catches that and the next section is read), note() not even that (an unknown key).
 * finish() throws them as one ConfigError. Every key read is remembered with its line, so later
 * checks (Lambda compute, local-run refusals) can name the line of a key without walking the
 * document again.
 */
export class SpecReader {
  readonly file: string;
  readonly doc: Document;
  /** `where` (e.g. `phases.build.on-failure`) -> line of that key. */
  readonly lines: Record<string, number> = {};
  readonly problems: Problem[] = [];
  private readonly counter: LineCounter;
  /** `where` -> the `file:line:column` of that key. */
  private readonly places: Record<string, string> = {};

  constructor(text: string, file: string) {
    this.file = file;
    this.counter = new LineCounter();
    this.doc = parseDocument(text, { lineCounter: this.counter, uniqueKeys: true });
    if (this.doc.errors.length > 0) {
      // Past a syntax error the structure is a guess: the syntax errors are all there is to say.
      throw configErrorOf(
        this.doc.errors.map((err) => {
          const pos = err.linePos?.[0];
          return {
            where: pos ? `${file}:${pos.line}:${pos.col}` : file,
            message: `not valid YAML: ${firstLine(err)}`,
            fix: "correct the YAML syntax",
          };
        }),
      );
    }
  }

  lineOf(node: unknown): number {
    const range = (node as Node | null | undefined)?.range;
    return range ? this.counter.linePos(range[0]).line : 1;
  }

  /** `file:line:column` of a node (the file's first line when the node has no place). */
  placeOf(node: unknown): string {
    const range = (node as Node | null | undefined)?.range;
    const pos = range ? this.counter.linePos(range[0]) : { line: 1, col: 1 };
    return `${this.file}:${pos.line}:${pos.col}`;
  }

  /** A problem at the node; reading goes on. */
  note(node: unknown, message: string, fix: string): void {
    this.problems.push({ where: this.placeOf(node), message, fix });
  }

  /** A problem at the node that ends the section being read (section() goes on after it). */
  fail(node: unknown, message: string, fix: string): never {
    this.note(node, message, fix);
    throw new SectionAbandoned(message);
  }

  /** Fail at the place of a key already read (`phases.build.steps`). */
  failAt(path: string, message: string, fix: string): never {
    this.problems.push({ where: this.places[path] ?? `${this.file}:1:1`, message, fix });
    throw new SectionAbandoned(message);
  }

  /** Read one section; when it fails, its problems are kept and `fallback` stands in for it. */
  section<T>(read: () => T, fallback: T): T {
    try {
      return read();
    } catch (err) {
      if (err instanceof SectionAbandoned) return fallback;
      throw err;
    }
  }

  /** Every problem found, as one ConfigError (the first one's line, counting the rest). */
  finish(): void {
    if (this.problems.length > 0) throw configErrorOf(this.problems);
  }

  /** The node as a mapping, or a failure naming what it should be. */
  map(node: unknown, where: string, fix = "see the buildspec reference"): YAMLMap {
    if (!isMap(node)) this.fail(node, `${where} must be a mapping`, fix);
    return node as YAMLMap;
  }

  private remember(path: string, node: unknown): void {
    this.lines[path] = this.lineOf(node);
    this.places[path] = this.placeOf(node);
  }

  /**
   * The mapping's known keys, each remembered with its line under `where`. An unknown key is a
   * problem (with the key it likely meant) and is left out; the others are still read.
   */
  keys(
    map: YAMLMap,
    allowed: readonly string[],
    where: string,
    /** The fix of a key known to be wrong here (another version's name for a key). */
    hints: Record<string, string> = {},
  ): string[] {
    const known: string[] = [];
    for (const pair of map.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : "";
      if (!allowed.includes(key)) {
        this.note(pair.key, `unknown key '${key}' in ${where}`, hints[key] ?? unknownKeyFix(key, allowed));
        continue;
      }
      this.remember(where === "the buildspec" ? key : `${where}.${key}`, pair.key);
      known.push(key);
    }
    return known;
  }

  /**
   * A mapping's entries with their keys as strings (no allowed-list: names are the user's). An
   * empty value (`build:` with nothing under it) is given as its key node, so errors name its line.
   */
  entries(map: YAMLMap, where: string): [key: string, value: unknown, keyNode: unknown][] {
    return map.items.map((pair) => {
      const key = isScalar(pair.key) ? String(pair.key.value) : "";
      this.remember(`${where}.${key}`, pair.key);
      return [key, pair.value, pair.key];
    });
  }

  scalar(node: unknown, where: string): string | undefined {
    if (node === undefined || node === null) return undefined;
    if (!isScalar(node)) this.fail(node, `${where} must be a single value`, "write it on one line");
    return (node as Scalar).value === null ? undefined : scalarText(node as Scalar);
  }

  /**
   * A list of strings; a key with nothing under it (`commands:`) is an empty list, as CodeBuild
   * takes it. An empty item (`- ` or `- # comment`) is a problem, never the string "null".
   */
  stringList(node: unknown, where: string): string[] {
    if (isEmpty(node)) return [];
    if (!isSeq(node)) this.fail(node, `${where} must be a list`, "write one `- item` per line");
    const out: string[] = [];
    for (const item of (node as { items: unknown[] }).items) {
      if (isEmpty(item))
        this.note(item, `${where} has an empty item`, "write the item after `- `, or remove the line");
      else if (!isScalar(item)) this.note(item, `${where} holds something that is not a string`, "quote it");
      else out.push(scalarText(item));
    }
    return out;
  }

  /** A single string or a list of strings (artifacts.files and exclude-paths take either). */
  stringOrList(node: unknown, where: string): string[] {
    if (isScalar(node) && !isEmpty(node)) return [scalarText(node)];
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
