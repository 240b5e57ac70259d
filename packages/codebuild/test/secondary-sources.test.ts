import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError } from "@prebake/core";
import { afterAll, describe, expect, it } from "vitest";
import { placeSecondarySources, secondarySourceVariables } from "../src/secondary-sources.ts";

const dirs = [0, 1].map(() => mkdtempSync(join(tmpdir(), "prebake-secondary-")));
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe("secondary sources (a pipeline action's other inputs)", () => {
  it("each gets its own folder beside the primary source and its CODEBUILD_SRC_DIR_<name>", () => {
    const placed = placeSecondarySources({ Made: dirs[0]!, Tools_2: dirs[1]! });
    expect(placed.map((p) => [p.name, p.hostDir, p.path])).toEqual([
      ["Made", dirs[0], "/codebuild/output/src/s3/01"],
      ["Tools_2", dirs[1], "/codebuild/output/src/s3/02"],
    ]);
    expect(secondarySourceVariables(placed)).toEqual({
      CODEBUILD_SRC_DIR_Made: "/codebuild/output/src/s3/01",
      CODEBUILD_SRC_DIR_Tools_2: "/codebuild/output/src/s3/02",
    });
  });

  it("none: no folders, no variables", () => {
    expect(secondarySourceVariables(placeSecondarySources())).toEqual({});
  });

  it("refuses a name that cannot be part of a variable name, and a missing folder (exit 3)", () => {
    expect(() => placeSecondarySources({ "my-artifact": dirs[0]! })).toThrow(ConfigError);
    expect(() => placeSecondarySources({ "my-artifact": dirs[0]! })).toThrow(/'my-artifact' cannot name/);
    expect(() => placeSecondarySources({ "1st": dirs[0]! })).toThrow(ConfigError);
    expect(() => placeSecondarySources({ Gone: join(dirs[0]!, "gone") })).toThrow(
      /secondary source folder not found/,
    );
  });
});
