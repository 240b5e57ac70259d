import { describe, expect, it } from "vitest";
import { leftAfterDelete, notCreated, type Row, summaryMismatch } from "../bench/pipeline-checks.ts";

const STACKS = ["ci", "image-rebuild"];
const skippedWork: Row[] = [
  { kind: "image", name: "erlang-otp:27", action: "skipped" },
  { kind: "image", name: "python-layer:3.11", action: "skipped" },
  { kind: "layer", name: "common-utils", action: "skipped (unchanged)" },
];
const stackRows = (action: string): Row[] => STACKS.map((name) => ({ kind: "stack", name, action }));

describe("bench-pipeline: a first run must have created the stacks and skipped the rest", () => {
  it("passes a first run whose summary shows both stacks created and everything else skipped", () => {
    expect(summaryMismatch([...stackRows("created"), ...skippedWork], STACKS, "created")).toBeUndefined();
  });

  it("fails a first run that updated a stack instead of creating it (the delete did not happen)", () => {
    const rows = [
      ...skippedWork,
      stackRows("created")[0]!,
      { kind: "stack", name: "image-rebuild", action: "updated" },
    ];
    expect(summaryMismatch(rows, STACKS, "created")).toContain("stack image-rebuild updated");
  });

  it("fails a first run that rebuilt an image: the figure would not be the pipeline's", () => {
    const rows = [...stackRows("created"), ...skippedWork];
    rows[2] = { kind: "image", name: "erlang-otp:27", action: "pushed" };
    expect(summaryMismatch(rows, STACKS, "created")).toMatch(/image erlang-otp pushed[\s\S]*expected/);
  });

  it("fails a run with a missing row, an extra row, a repeated row, or no rows at all", () => {
    const all = [...stackRows("created"), ...skippedWork];
    expect(summaryMismatch(all.slice(1), STACKS, "created")).toBeDefined();
    expect(
      summaryMismatch([...all, { kind: "stack", name: "other", action: "created" }], STACKS, "created"),
    ).toBeDefined();
    expect(summaryMismatch([...all, all[0]!], STACKS, "created")).toBeDefined();
    expect(summaryMismatch([], STACKS, "created")).toContain("(no rows)");
  });

  it("after the delete, a stack still deleting (or failed to delete) is left; a gone one is not", () => {
    expect(leftAfterDelete({ ci: undefined, "image-rebuild": "DELETE_COMPLETE" })).toEqual([]);
    expect(leftAfterDelete({ ci: "DELETE_IN_PROGRESS", "image-rebuild": "DELETE_FAILED" })).toEqual([
      "ci (DELETE_IN_PROGRESS)",
      "image-rebuild (DELETE_FAILED)",
    ]);
  });

  it("after the run, each stack must be CREATE_COMPLETE in the emulator", () => {
    expect(notCreated({ ci: "CREATE_COMPLETE", "image-rebuild": "CREATE_COMPLETE" })).toBeUndefined();
    expect(notCreated({ ci: "UPDATE_COMPLETE", "image-rebuild": undefined })).toBe(
      "ci is UPDATE_COMPLETE, image-rebuild is missing",
    );
  });
});

describe("bench-pipeline: a no-op run must have skipped everything", () => {
  it("passes when every row says skipped", () => {
    expect(summaryMismatch([...skippedWork, ...stackRows("skipped")], STACKS, "skipped")).toBeUndefined();
  });

  it("fails a no-op that deployed a stack, or that published the layer", () => {
    expect(summaryMismatch([...skippedWork, ...stackRows("created")], STACKS, "skipped")).toContain(
      "stack ci created",
    );
    const published = [...stackRows("skipped"), ...skippedWork.slice(0, 2)];
    published.push({ kind: "layer", name: "common-utils", action: "published" });
    expect(summaryMismatch(published, STACKS, "skipped")).toContain("layer common-utils published");
  });
});
