import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError } from "@prebake/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  loadLayerDefinition,
  parseLayerDefinition,
  publishedLayerName,
  requirementsHaveHashes,
} from "../src/definition.ts";
import { hashFromDescription, layerDescription } from "../src/publish.ts";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "prebake-layerdef-"));
  await writeFile(join(dir, "requirements.txt"), "pydantic==2.13.5 \\\n    --hash=sha256:aa\n");
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const parse = (text: string) => parseLayerDefinition(text, "layers/x/layer.yaml", dir);

describe("layer definition", () => {
  it("fills defaults: python 3.11, x86_64, PyPI, slimming that keeps dist-info", () => {
    const def = parse("name: x\nrequirements: requirements.txt\n");
    expect(def).toMatchObject({
      pythonVersions: ["3.11"],
      architectures: ["x86_64"],
      index: "pypi",
      hashedRequirements: true,
    });
    expect(def.slim).toEqual({ pycache: true, tests: true, distInfo: false, exclude: [] });
    expect(publishedLayerName(def, "x86_64")).toBe("x");
    expect(publishedLayerName({ ...def, architectures: ["x86_64", "arm64"] }, "arm64")).toBe("x-arm64");
  });

  it("reports the file and field of a bad value in one line", () => {
    const err = (() => {
      try {
        parse("name: x\nrequirements: requirements.txt\npythonVersions: ['3.9']\n");
      } catch (e) {
        return e as ConfigError;
      }
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect(err!.toLine()).toMatch(
      /^layers\/x\/layer.yaml:\d+:\d+: pythonVersions.0: must be one of 3.11, 3.12, 3.13, 3.14 \(fix: /,
    );
    expect(() => parse("name: x\nrequirements: requirements.txt\narchitectures: [x86]\n")).toThrow(
      ConfigError,
    );
    expect(() => parse("name: x\nrequirements: missing.txt\n")).toThrow(
      /requirements file missing.txt does not exist/,
    );
    expect(() => parse("name: x\nrequirements: requirements.txt\nsurprise: 1\n")).toThrow(/surprise/);
    expect(() => loadLayerDefinition(dir, "nope")).toThrow(/no layer named 'nope'/);
  });

  it("a layer left in examples/ (where layers lived before layers/) is named, with the move to make", async () => {
    await mkdir(join(dir, "examples", "old"), { recursive: true });
    await writeFile(join(dir, "examples", "old", "layer.yaml"), "name: old\nrequirements: r.txt\n");
    const err = (() => {
      try {
        loadLayerDefinition(dir, "old");
      } catch (e) {
        return e as ConfigError;
      }
    })();
    expect(err?.toLine()).toBe(
      "layers/old/layer.yaml: layer 'old' is still in examples/old (fix: layers moved from examples/ to layers/: git mv examples/old layers/old)",
    );
  });

  it("loads the sample layer", () => {
    const def = loadLayerDefinition(join(import.meta.dirname, "..", "..", ".."), "common-utils");
    expect(def).toMatchObject({ name: "common-utils", index: "local", hashedRequirements: true });
  });

  it("knows a lock with hashes from plain pins", () => {
    expect(requirementsHaveHashes("a==1 --hash=sha256:x\n# c\nb==2 \\\n  --hash=sha256:y\n")).toBe(true);
    expect(requirementsHaveHashes("a==1\nb==2 --hash=sha256:y\n")).toBe(false);
  });

  it("records the content hash in the layer description and reads it back", () => {
    const h = "0123456789abcdef".repeat(4);
    expect(hashFromDescription(layerDescription({ description: "x".repeat(400) }, h))).toBe(h);
    expect(layerDescription({ description: "x".repeat(400) }, h).length).toBeLessThanOrEqual(256);
    expect(hashFromDescription("manual upload")).toBeUndefined();
  });
});
