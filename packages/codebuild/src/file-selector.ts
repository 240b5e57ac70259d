import { posix } from "node:path";
import picomatch from "picomatch";

/**
 * Which files of the source folder an artifact definition (or a report group) selects, as
 * CodeBuild's agent reads it: `base-directory` (a folder, or a glob of top-level folders such as
 * `my-build*`, whose own name is left out), then `files` globs relative to it (`*` inside one name,
 * `**` across folders, dotfiles included), minus `exclude-paths` (relative to the base directory),
 * and `discard-paths` flattening what is kept. Pure: fed paths relative to CODEBUILD_SRC_DIR.
 */
export interface Selection {
  files: string[];
  baseDirectory?: string | undefined;
  discardPaths: boolean;
  excludePaths?: string[];
}

const OPTIONS = { dot: true } as const;

/** `./a//b/` -> `a/b`: patterns and paths compare in one spelling. */
function tidy(path: string): string {
  return posix
    .normalize(path)
    .replace(/^(\.\/)+/, "")
    .replace(/\/+$/, "");
}

export class FileSelector {
  readonly selection: Selection;
  private readonly baseDepth: number;
  private readonly inBase: (head: string) => boolean;
  private readonly patterns: ((path: string) => boolean)[];
  private readonly excluded: (path: string) => boolean;
  /** Per `files` pattern: whether it matched at least one file. */
  private readonly hits: boolean[];
  /** Whether a file was seen under the base directory (always true without one). */
  baseMatched: boolean;

  constructor(selection: Selection) {
    this.selection = selection;
    const base = selection.baseDirectory === undefined ? "" : tidy(selection.baseDirectory);
    this.baseDepth = base === "" || base === "." ? 0 : base.split("/").length;
    this.inBase = this.baseDepth === 0 ? () => true : picomatch(base, OPTIONS);
    this.patterns = selection.files.map((p) => picomatch(tidy(p), OPTIONS));
    const excludes = (selection.excludePaths ?? []).map(tidy);
    this.excluded = excludes.length > 0 ? picomatch(excludes, OPTIONS) : () => false;
    this.hits = selection.files.map(() => false);
    this.baseMatched = this.baseDepth === 0;
  }

  /** Where a file (path relative to the source) goes in the output, or undefined when not selected. */
  select(path: string): string | undefined {
    const segments = tidy(path).split("/");
    if (segments.length <= this.baseDepth) return undefined;
    if (!this.inBase(segments.slice(0, this.baseDepth).join("/"))) return undefined;
    this.baseMatched = true;
    const relative = segments.slice(this.baseDepth).join("/");
    let selected = false;
    this.patterns.forEach((matches, i) => {
      if (matches(relative)) {
        this.hits[i] = true;
        selected = true;
      }
    });
    if (!selected || this.excluded(relative)) return undefined;
    return this.selection.discardPaths ? posix.basename(relative) : relative;
  }

  /** The `files` patterns that matched nothing so far. */
  unmatched(): string[] {
    return this.selection.files.filter((_, i) => !this.hits[i]);
  }
}
