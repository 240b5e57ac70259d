import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { inputsRecordOf, isBundleFresh, stampOf } from "../bin/fresh-bundle.js";

let root: string;
const bundle = () => join(root, "dist/cli/prebake.mjs");

/** A bundle built from src/a.ts and src/b.ts, with the record bundle.ts writes. */
function built() {
  mkdirSync(join(root, "src"), { recursive: true });
  mkdirSync(join(root, "dist/cli"), { recursive: true });
  writeFileSync(join(root, "src/a.ts"), "export const a = 1;\n");
  writeFileSync(join(root, "src/b.ts"), "export const b = 2;\n");
  writeFileSync(bundle(), "const a = 1, b = 2;\n");
  const inputs = Object.fromEntries(["src/a.ts", "src/b.ts"].map((p) => [p, stampOf(join(root, p))]));
  writeFileSync(inputsRecordOf(bundle()), JSON.stringify({ bundle: stampOf(bundle()), inputs }));
}

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "prebake-fresh-"));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe("whether the bundle is built from the files as they are", () => {
  it("is fresh right after it was built", () => {
    built();
    expect(isBundleFresh(bundle(), root)).toBe(true);
  });

  it("is stale when an input was edited, even to the same size", () => {
    built();
    writeFileSync(join(root, "src/b.ts"), "export const b = 3;\n");
    expect(isBundleFresh(bundle(), root)).toBe(false);
  });

  it("is stale when an input was touched or removed", () => {
    built();
    utimesSync(join(root, "src/a.ts"), new Date(), new Date(Date.now() + 5000));
    expect(isBundleFresh(bundle(), root)).toBe(false);
    built();
    rmSync(join(root, "src/a.ts"));
    expect(isBundleFresh(bundle(), root)).toBe(false);
  });

  it("is stale when the bundle itself changed, or has no record", () => {
    built();
    writeFileSync(bundle(), "const a = 1, b = 2; // edited by hand\n");
    expect(isBundleFresh(bundle(), root)).toBe(false);
    built();
    rmSync(inputsRecordOf(bundle()));
    expect(isBundleFresh(bundle(), root)).toBe(false);
    expect(isBundleFresh(join(root, "dist/cli/none.mjs"), root)).toBe(false);
  });
});
