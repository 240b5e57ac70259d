/**
 * What a measured `npm start` run of scripts/bench-pipeline.ts must have done, judged from the
 * summary rows it recorded and from the emulator. A run that did not do what its figure claims
 * (a "first run" that updated instead of created, a "no-op" that pushed) fails the benchmark.
 */

/** The fields of @prebake/cli's SummaryRow the checks read. */
export interface Row {
  kind: string;
  name: string;
  action: string;
}

/** The rows a run must have produced, one per unit of work, as `<kind> <name> <action>`. */
export function expectedRows(stacks: string[], stackAction: "created" | "skipped"): string[] {
  return [
    "image erlang-otp skipped",
    "image python-layer skipped",
    "layer common-utils skipped (unchanged)",
    ...stacks.map((s) => `stack ${s} ${stackAction}`),
  ].sort();
}

/**
 * Why the rows do not show what the run claims, or undefined when they do. Image rows are named
 * `<image>:<version>`; the version does not matter here. Extra, missing and repeated rows all count.
 */
export function summaryMismatch(
  rows: Row[],
  stacks: string[],
  stackAction: "created" | "skipped",
): string | undefined {
  const seen = rows.map((r) => `${r.kind} ${r.name.split(":")[0]} ${r.action}`).sort();
  const expected = expectedRows(stacks, stackAction);
  if (JSON.stringify(seen) === JSON.stringify(expected)) return undefined;
  return `the summary says\n  ${seen.join("\n  ") || "(no rows)"}\nexpected\n  ${expected.join("\n  ")}`;
}

/**
 * After a first run every stack must exist, freshly created (status by stack; undefined: the
 * emulator has no such stack). Returns what is wrong, or undefined.
 */
export function notCreated(statusByStack: Record<string, string | undefined>): string | undefined {
  const wrong = Object.entries(statusByStack).filter(([, status]) => status !== "CREATE_COMPLETE");
  if (wrong.length === 0) return undefined;
  return wrong.map(([stack, status]) => `${stack} is ${status ?? "missing"}`).join(", ");
}

/** After the deletes that start a first run, none of the stacks may be left. */
export function leftAfterDelete(statusByStack: Record<string, string | undefined>): string[] {
  return Object.entries(statusByStack)
    .filter(([, status]) => status !== undefined && status !== "DELETE_COMPLETE")
    .map(([stack, status]) => `${stack} (${status})`);
}
