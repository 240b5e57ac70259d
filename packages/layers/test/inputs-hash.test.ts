/**
 * The inputs hash decides whether a layer is rebuilt (an equal hash with locked requirements
 * reuses the last zip). Every build input must change it, one at a time, and an unchanged set
 * (even in another folder) must give the same hash.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseLayerDefinition } from "../src/definition.ts";
import { inputsHash } from "../src/inputs-hash.ts";
import type { PipIndex } from "../src/pip.ts";
import type { Architecture } from "../src/runtimes.ts";

const LAYER_YAML = `name: demo
description: a demo layer
layerName: demo-layer
requirements: requirements.txt
source: src
pythonVersions: ["3.11"]
architectures: [x86_64]
index: pypi
budget: { warnAtPercent: 80, otherLayers: [{ name: other, sizeMB: 5 }], functionCodeMB: 1, coldStartMs: 200 }
slim: { pycache: true, tests: true, distInfo: false, exclude: ["**/*.pyi"] }
publish: { licenseInfo: MIT, s3Bucket: demo-bucket }
`;
const REQUIREMENTS =
  "six==1.17.0 \\\n    --hash=sha256:4721f391ed90541fddacab5acf947aa0d3dc7d27b2e1e8eda2be8970586c3274\n";

const folders: string[] = [];
afterAll(() => {
  for (const f of folders) rmSync(f, { recursive: true, force: true });
});

/** A layer folder with every input set; `change` edits one thing in it. */
function layerFolder(change: (dir: string) => void = () => {}): string {
  const dir = mkdtempSync(join(tmpdir(), "prebake-inputs-"));
  folders.push(dir);
  writeFileSync(join(dir, "layer.yaml"), LAYER_YAML);
  writeFileSync(join(dir, "requirements.txt"), REQUIREMENTS);
  cpSync(join(dir, "requirements.txt"), join(dir, "other-requirements.txt"));
  mkdirSync(join(dir, "src", "demo"), { recursive: true });
  writeFileSync(join(dir, "src/demo/__init__.py"), "VERSION = 1\n");
  writeFileSync(join(dir, "src/demo/util.py"), "X = 1\n");
  change(dir);
  return dir;
}

const INDEX: PipIndex = {
  indexUrl: "https://pypi.org/simple",
  extraIndexUrls: [],
  findLinks: [],
  mounts: [],
  description: "PyPI",
};
const IMAGE = "sha256:1111111111111111111111111111111111111111111111111111111111111111";

interface Inputs {
  dir: string;
  arch: Architecture;
  image: string;
  index: PipIndex;
}

async function hashOf({ dir, arch, image, index }: Inputs): Promise<string> {
  const def = parseLayerDefinition(
    readFileSync(join(dir, "layer.yaml"), "utf8"),
    "layers/demo/layer.yaml",
    dir,
  );
  return inputsHash(def, arch, image, index);
}

const base = (): Inputs => ({ dir: layerFolder(), arch: "x86_64", image: IMAGE, index: INDEX });
const editYaml = (from: string, to: string) => (dir: string) => {
  const text = readFileSync(join(dir, "layer.yaml"), "utf8");
  if (!text.includes(from)) throw new Error(`layer.yaml has no '${from}'`);
  writeFileSync(join(dir, "layer.yaml"), text.replace(from, to));
};
const edit = (path: string, from: string, to: string) => (dir: string) => {
  const text = readFileSync(join(dir, path), "utf8");
  if (!text.includes(from)) throw new Error(`${path} has no '${from}'`);
  writeFileSync(join(dir, path), text.replace(from, to));
};

const CASES: [string, () => Inputs][] = [
  [
    "a requirement's version",
    () => ({ ...base(), dir: layerFolder(edit("requirements.txt", "1.17.0", "1.16.0")) }),
  ],
  ["a lock hash", () => ({ ...base(), dir: layerFolder(edit("requirements.txt", "4721f391", "0000f391")) })],
  [
    "a source file's content",
    () => ({ ...base(), dir: layerFolder(edit("src/demo/util.py", "X = 1", "X = 2")) }),
  ],
  [
    "a source file's name",
    () => ({
      ...base(),
      dir: layerFolder((d) => renameSync(join(d, "src/demo/util.py"), join(d, "src/demo/util2.py"))),
    }),
  ],
  [
    "a new source file",
    () => ({ ...base(), dir: layerFolder((d) => writeFileSync(join(d, "src/demo/new.py"), "")) }),
  ],
  ["layer.yaml name", () => ({ ...base(), dir: layerFolder(editYaml("name: demo\n", "name: demo2\n")) })],
  ["layer.yaml description", () => ({ ...base(), dir: layerFolder(editYaml("a demo layer", "another")) })],
  ["layer.yaml layerName", () => ({ ...base(), dir: layerFolder(editYaml("demo-layer", "demo-other")) })],
  [
    "layer.yaml requirements (another file, same content)",
    () => ({
      ...base(),
      dir: layerFolder(editYaml("requirements: requirements.txt", "requirements: other-requirements.txt")),
    }),
  ],
  [
    "layer.yaml source",
    () => ({
      ...base(),
      dir: layerFolder((d) => {
        cpSync(join(d, "src"), join(d, "src2"), { recursive: true });
        editYaml("source: src", "source: src2")(d);
      }),
    }),
  ],
  [
    "layer.yaml pythonVersions (the python version)",
    () => ({ ...base(), dir: layerFolder(editYaml('["3.11"]', '["3.12"]')) }),
  ],
  [
    "layer.yaml architectures",
    () => ({ ...base(), dir: layerFolder(editYaml("[x86_64]", "[x86_64, arm64]")) }),
  ],
  ["layer.yaml index", () => ({ ...base(), dir: layerFolder(editYaml("index: pypi", "index: local")) })],
  [
    "layer.yaml budget",
    () => ({ ...base(), dir: layerFolder(editYaml("coldStartMs: 200", "coldStartMs: 300")) }),
  ],
  ["layer.yaml slim", () => ({ ...base(), dir: layerFolder(editYaml("distInfo: false", "distInfo: true")) })],
  ["layer.yaml slim.exclude", () => ({ ...base(), dir: layerFolder(editYaml('"**/*.pyi"', '"**/*.md"')) })],
  [
    "layer.yaml publish",
    () => ({ ...base(), dir: layerFolder(editYaml("licenseInfo: MIT", "licenseInfo: BSD")) }),
  ],
  ["the architecture built", () => ({ ...base(), arch: "arm64" })],
  ["the build image's digest", () => ({ ...base(), image: IMAGE.replace("sha256:1", "sha256:2") })],
  ["the pip index", () => ({ ...base(), index: { ...INDEX, indexUrl: "https://mirror.example/simple" } })],
  [
    "an extra index",
    () => ({ ...base(), index: { ...INDEX, extraIndexUrls: ["https://extra.example/simple"] } }),
  ],
];

describe("layer inputs hash", () => {
  it("an unchanged set of inputs gives the same hash, in another folder too", async () => {
    const first = await hashOf(base());
    expect(await hashOf(base())).toBe(first);
    expect(first).toMatch(/^[0-9a-f]{64}$/);
  });

  it("a rotated credential in the index URL is not a new input", async () => {
    const withToken = (token: string) => ({ ...INDEX, indexUrl: `https://aws:${token}@repo.example/simple` });
    expect(await hashOf({ ...base(), index: withToken("one") })).toBe(
      await hashOf({ ...base(), index: withToken("two") }),
    );
  });

  it.each(CASES)("%s forces a rebuild (a new hash)", async (_input, changed) => {
    const unchanged = await hashOf(base());
    expect(await hashOf(changed())).not.toBe(unchanged);
  });
});
