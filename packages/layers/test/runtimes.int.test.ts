/**
 * Lambda's Python runtimes beyond 3.11, against the real engine: a python3.13 layer built here and
 * imported in a Debian trixie python3.13 container (the python-layer 3.13 line; Lambda's 3.12-3.14
 * run on Amazon Linux 2023), and the builds the index cannot serve refused, naming the package.
 *
 * The index is a small one built from this machine's configured pip indexes (test-index.ts). It has
 * no cp312/cp313 build of pydantic-core (only cp311), so the sample layer (common-utils, pydantic)
 * cannot be built for 3.12+ here; the 3.13 layer uses what the index has for 3.13: pure-Python
 * wheels and bcrypt's abi3 wheel (a native extension, manylinux_2_34 = Amazon Linux 2023's glibc).
 */
import { spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { BuildFailedError, type Context, createContext } from "@prebake/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { copyRepoImage } from "../../images/test/repo-image.ts";
import { buildLayer } from "../src/build.ts";
import { loadLayerDefinition } from "../src/definition.ts";
import { releaseLayer } from "../src/release.ts";
import { makeTestIndex, type TestIndex } from "./test-index.ts";

const REPO = resolve(import.meta.dirname, "..", "..", "..");
const CLI = join(REPO, "packages", "cli", "bin", "prebake.js");
const NODE = join(REPO, "node_modules", ".bin", "node");
const id = randomBytes(3).toString("hex");
const SAMPLE_WHEELS = [
  "annotated_types-0.8.0-py3-none-any.whl",
  "pydantic-2.13.5-py3-none-any.whl",
  "pydantic_core-2.46.5-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
  "typing_inspection-0.4.4-py3-none-any.whl",
  "typing_extensions-4.16.0-py3-none-any.whl",
];
const BCRYPT = "bcrypt-5.0.0-cp39-abi3-manylinux_2_34_x86_64.whl";
let root: string;
let ctx: Context;
let index: TestIndex;

/** layers/<name>: a copy of the sample layer with some layer.yaml lines replaced, on the test index. */
async function sampleVariant(name: string, replace: Record<string, string>): Promise<void> {
  const dir = join(root, "layers", name);
  await cp(join(REPO, "layers", "common-utils"), dir, { recursive: true });
  let yaml = (await readFile(join(dir, "layer.yaml"), "utf8"))
    .replace(/^name: common-utils$/m, `name: ${name}`)
    .replace(/^index: local$/m, `index: ${index.simple}`);
  for (const [key, value] of Object.entries(replace)) {
    yaml = yaml.replace(new RegExp(`^${key}: .*$`, "m"), `${key}: ${value}`);
  }
  await writeFile(join(dir, "layer.yaml"), yaml);
}

const sha256Of = async (wheel: string) =>
  createHash("sha256")
    .update(await readFile(index.wheels[wheel]!))
    .digest("hex");

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "prebake-runtimes-"));
  copyRepoImage(root, "python-layer");
  index = await makeTestIndex(join(root, "index"), [...SAMPLE_WHEELS, BCRYPT]);
  ctx = createContext({ cwd: root, quiet: true });
});

afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

describe("builds the index cannot serve are refused, naming the package", () => {
  it("arm64: the sample layer's pydantic-core has no aarch64 wheel (CLI: one line, exit 8)", async () => {
    const name = `arm-${id}`;
    await sampleVariant(name, { architectures: "[arm64]" });
    const r = spawnSync(NODE, [CLI, "layer", "build", name, "--skip-smoke-test"], {
      cwd: root,
      encoding: "utf8",
      env: { ...process.env, CI: "1" },
      timeout: 600_000,
    });
    expect(r.status, r.stderr).toBe(8);
    expect(r.stderr.trim().split("\n").pop()).toBe(
      `prebake: error: layers/${name}/layer.yaml: requirements: no aarch64 wheel of pydantic-core==2.46.5 ` +
        `for python3.11 (cp311, manylinux up to glibc 2.26) in the index ${index.simple}; no version of it has one ` +
        "(fix: pin a version that ships a manylinux aarch64 wheel for cp311 (or abi3, or pure Python), add such a wheel to the index, " +
        "or remove arm64 from architectures / 3.11 from pythonVersions)",
    );
  });

  it("python3.12: the sample layer's pydantic-core has only a cp311 wheel here", async () => {
    const name = `s312-${id}`;
    await sampleVariant(name, { pythonVersions: '["3.12"]' });
    const err = await buildLayer(ctx, loadLayerDefinition(root, name)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BuildFailedError);
    expect((err as BuildFailedError).message).toBe(
      `no x86_64 wheel of pydantic-core==2.46.5 for python3.12 (cp312, manylinux up to glibc 2.34) in the index ${index.simple}; no version of it has one`,
    );
  });
});

describe("a python3.13 layer, built and imported in a local python3.13 (Debian trixie) container", () => {
  beforeAll(() => {
    // Building the trixie base (debootstrap) is the project's scripts' job: npm test runs
    // `local-env.sh base trixie` before the tests; a test never reaches for apt.
    const r = spawnSync("docker", ["image", "inspect", "prebake/debian:trixie"], { encoding: "utf8" });
    if (r.status !== 0)
      throw new Error("prebake/debian:trixie is missing: run bash scripts/local-env.sh base trixie");
  });

  it("installs cp313-compatible wheels, validates for python3.13 and imports every module in python3.13", async () => {
    const name = `py313-${id}`;
    const dir = join(root, "layers", name);
    await mkdir(join(dir, "src", "hello313"), { recursive: true });
    await writeFile(
      join(dir, "src", "hello313", "__init__.py"),
      [
        "import sys",
        "import annotated_types, bcrypt, typing_extensions",
        "# Imported by the smoke test: proves the interpreter is the runtime's and the native wheel loads.",
        "assert sys.version_info[:2] == (3, 13), sys.version",
        "HASHED = bcrypt.checkpw(b'x', bcrypt.hashpw(b'x', bcrypt.gensalt(rounds=4)))",
        "",
      ].join("\n"),
    );
    await writeFile(
      join(dir, "requirements.txt"),
      [
        `annotated-types==0.8.0 --hash=sha256:${await sha256Of(SAMPLE_WHEELS[0]!)}`,
        `bcrypt==5.0.0 --hash=sha256:${await sha256Of(BCRYPT)}`,
        `typing-extensions==4.16.0 --hash=sha256:${await sha256Of(SAMPLE_WHEELS[4]!)}`,
        "",
      ].join("\n"),
    );
    await writeFile(
      join(dir, "layer.yaml"),
      `name: ${name}\nrequirements: requirements.txt\nsource: src\npythonVersions: ["3.13"]\nindex: ${index.simple}\n`,
    );

    const [r] = await releaseLayer(ctx, name, { publish: false, smokeTest: true });
    expect(r!.build.distributions.map((d) => d.name).sort()).toEqual([
      "annotated-types",
      "bcrypt",
      "typing_extensions",
    ]);
    expect(r!.validation.sharedObjects).toEqual([
      expect.objectContaining({ path: "python/bcrypt/_bcrypt.abi3.so", machine: "x86_64" }),
    ]);
    const [smoke] = r!.smoke;
    expect(smoke!.version).toBe("3.13");
    expect(smoke!.image).toMatch(/\/prebake\/python-layer(:3\.13-[0-9a-f]{12}|@sha256:)/);
    expect(smoke!.timings.map((t) => [t.module, t.ok, t.error])).toEqual(
      expect.arrayContaining([
        ["annotated_types", true, undefined],
        ["bcrypt", true, undefined],
        ["hello313", true, undefined],
        ["typing_extensions", true, undefined],
      ]),
    );
  });
});
