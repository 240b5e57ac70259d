import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import {
  CreateFunctionCommand,
  DeleteFunctionCommand,
  DeleteLayerVersionCommand,
  GetFunctionConfigurationCommand,
  LambdaClient,
  ListLayerVersionsCommand,
} from "@aws-sdk/client-lambda";
import { type Context, createContext, distPaths, ValidationError } from "@prebake/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bytesUnder, hostCanary } from "../../core/test/canary.ts";
import { copyRepoImage } from "../../images/test/repo-image.ts";
import { buildLayer } from "../src/build.ts";
import { loadLayerDefinition } from "../src/definition.ts";
import { releaseLayer, validateLayerZip } from "../src/release.ts";
import { smokeTestLayer } from "../src/smoke.ts";
import { deterministicZip } from "../src/zip.ts";
import { createLambdaRole, iam } from "./moto.ts";
import { findConfiguredWheel } from "./test-index.ts";

/**
 * The whole path against the real local services: the python-layer image on the Docker engine,
 * pydantic from this machine's configured pip indexes (index: local), and moto for Lambda. Runs in a scratch
 * copy of the repository layout with a unique layer name, and removes what it published.
 */
const REPO = resolve(import.meta.dirname, "..", "..", "..");
const suffix = randomBytes(3).toString("hex");
const NAME = `cu-${suffix}`;
const ROLE = `prebake-layer-test-${suffix}`;
const FUNCTION = `prebake-layer-test-${suffix}`;
const CLI = join(REPO, "packages", "cli", "bin", "prebake.js");
const NODE = join(REPO, "node_modules", ".bin", "node");
let root: string;
let ctx: Context;

/** A layer zip holding wheels' files under python/, as a careless manual build would produce. */
async function layerFromWheels(wheels: string[], label: string): Promise<string> {
  const dir = join(root, `wheel-${label}`);
  await mkdir(join(dir, "python"), { recursive: true });
  for (const file of wheels) {
    const w = await findConfiguredWheel(file);
    if (!w) throw new Error(`no configured pip index has ${file}; this test needs it`);
    execFileSync("unzip", ["-q", "-o", w, "-d", join(dir, "python")]);
  }
  return (await deterministicZip(dir, join(root, `${label}.zip`))).path;
}

/** cryptography's manylinux_2_34 wheel as a layer: two tests use it, and either may run first. */
let cryptoZip: Promise<string> | undefined;
const cryptographyLayer = () => {
  cryptoZip ??= layerFromWheels(["cryptography-50.0.2-cp311-abi3-manylinux_2_34_x86_64.whl"], "crypto");
  return cryptoZip;
};

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "prebake-layers-int-"));
  copyRepoImage(root, "python-layer");
  await cp(join(REPO, "layers", "common-utils"), join(root, "layers", NAME), { recursive: true });
  const yaml = await readFile(join(root, "layers", NAME, "layer.yaml"), "utf8");
  await writeFile(
    join(root, "layers", NAME, "layer.yaml"),
    yaml.replace(/^name: common-utils$/m, `name: ${NAME}`),
  );
  ctx = createContext({ cwd: root, quiet: true });
  expect(ctx.config.rootDir).toBe(root);
  await createLambdaRole(ctx.config.profile.endpoint!, ROLE);
});

afterAll(async () => {
  const lambda = ctx.aws(LambdaClient);
  await lambda.send(new DeleteFunctionCommand({ FunctionName: FUNCTION })).catch(() => undefined);
  const versions = await lambda
    .send(new ListLayerVersionsCommand({ LayerName: NAME }))
    .catch(() => undefined);
  for (const v of versions?.LayerVersions ?? []) {
    await lambda.send(new DeleteLayerVersionCommand({ LayerName: NAME, VersionNumber: v.Version! }));
  }
  await iam(ctx.config.profile.endpoint!, { Action: "DeleteRole", RoleName: ROLE });
  await rm(root, { recursive: true, force: true });
});

describe("common-utils layer, end to end", () => {
  // The first build and publish is this block's setup (minutes of pip in a container): every test
  // below starts from "version 1 published from this build", whatever ran before it.
  let first: Awaited<ReturnType<typeof releaseLayer>>[number];
  /** dist/layers' manifest as that first publish wrote it (a later --force rewrites the file). */
  let firstManifest: { layers: unknown[] };
  beforeAll(async () => {
    [first] = (await releaseLayer(ctx, NAME, { publish: true, smokeTest: true })) as [typeof first];
    firstManifest = JSON.parse(await readFile(distPaths.layerManifest(root, NAME), "utf8"));
  });

  it("builds pydantic from the local index in the python-layer image, validates, imports it in Python 3.11 and publishes to moto", async () => {
    const r = first;
    expect(r!.build.distributions.map((d) => d.name).sort()).toEqual(
      ["annotated-types", "pydantic", "pydantic_core", "typing-inspection", "typing_extensions"].sort(),
    );
    expect(r!.build.slim.afterBytes).toBeLessThan(r!.build.slim.beforeBytes);
    expect(r!.validation.sharedObjects).toEqual([
      expect.objectContaining({
        path: expect.stringMatching(/_pydantic_core\.cpython-311-x86_64-linux-gnu\.so$/),
        machine: "x86_64",
      }),
    ]);
    const imported = r!.smoke[0]!.timings;
    expect(imported.map((t) => t.module)).toEqual(
      expect.arrayContaining(["common_utils", "pydantic", "pydantic_core"]),
    );
    expect(imported.every((t) => t.ok && t.ms > 0)).toBe(true);
    expect(r!.publish).toMatchObject({ published: true, version: 1, compatibleRuntimes: ["python3.11"] });
    expect(firstManifest.layers[0]).toMatchObject({
      layerVersionArn: r!.publish!.layerVersionArn,
      sha256: r!.build.sha256,
    });
  });

  it("publishes nothing the second time: the build is up to date and the hash is already a layer version", async () => {
    const lambda = ctx.aws(LambdaClient);
    const listed = async () =>
      ((await lambda.send(new ListLayerVersionsCommand({ LayerName: NAME }))).LayerVersions ?? []).map(
        (v) => v.Version,
      );
    const before = await listed();
    const [r] = await releaseLayer(ctx, NAME, { publish: true, smokeTest: true });
    expect(r!.build.upToDate).toBe(true);
    expect(r!.smoke).toEqual([]); // import-tested before it was published: no container now
    expect(r!.publish?.published).toBe(false);
    expect(before).toContain(r!.publish?.version); // an existing version (1, or 2 after --force ran)
    expect(await listed()).toEqual(before);
  });

  it("rebuilds to the same bytes (deterministic zip) when forced", async () => {
    const def = loadLayerDefinition(root, NAME);
    const before = JSON.parse(await readFile(distPaths.layerManifest(root, NAME), "utf8")).layers[0].sha256;
    const [again] = await buildLayer(ctx, def, { force: true, maxArgBytes: 1300 });
    expect(again!.upToDate).toBe(false);
    expect(again!.batches).toBeGreaterThan(1); // a small command-line budget forces several pip batches...
    expect(again!.sha256).toBe(before); // ...and batching changes nothing in the result
  });

  it("--force publishes a new version and --update-functions moves functions that used the old one", async () => {
    const lambda = ctx.aws(LambdaClient);
    const code = await readFile(join(root, "dist", "layers", NAME, `${NAME}.zip`));
    await lambda.send(
      new CreateFunctionCommand({
        FunctionName: FUNCTION,
        Runtime: "python3.11",
        Role: `arn:aws:iam::123456789012:role/${ROLE}`,
        Handler: "common_utils.handler",
        Code: { ZipFile: code },
        Layers: [first!.publish!.layerVersionArn],
      }),
    );
    const [r] = await releaseLayer(ctx, NAME, {
      publish: true,
      smokeTest: false,
      force: true,
      updateFunctions: true,
    });
    expect(r!.publish).toMatchObject({ published: true, version: 2, updatedFunctions: [FUNCTION] });
    const fn = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: FUNCTION }));
    expect(fn.Layers?.map((l) => l.Arn)).toEqual([`arn:aws:lambda:us-east-1:123456789012:layer:${NAME}:2`]);
  });
});

describe("a committed symlink to a host file in the layer's sources", () => {
  it("is refused with exit 3 naming the file; the host file reaches no zip, no output and no layer version", async () => {
    const name = `cl-${suffix}`;
    const canary = hostCanary();
    try {
      await cp(join(REPO, "layers", "common-utils"), join(root, "layers", name), { recursive: true });
      const yaml = await readFile(join(root, "layers", name, "layer.yaml"), "utf8");
      await writeFile(join(root, "layers", name, "layer.yaml"), yaml.replace(/^name: .*$/m, `name: ${name}`));
      await symlink(canary.path, join(root, "layers", name, "python/common_utils/creds.txt"));
      const res = spawnSync(NODE, [CLI, "--json", "layer", "publish", name], { cwd: root, encoding: "utf8" });
      expect(res.status, res.stderr).toBe(3);
      expect(res.stderr.trim().split("\n").pop()).toBe(
        `prebake: error: layers/${name}/python/common_utils/creds.txt: symlink to ${canary.path} refused: ` +
          "its target is an absolute path (fix: make it a relative link to a file inside the same folder, or copy the file in (a link is never followed))",
      );
      expect(res.stdout + res.stderr).not.toContain(canary.content);
      expect(await bytesUnder(join(root, "dist"))).not.toContain(canary.content);
      const versions = await ctx
        .aws(LambdaClient)
        .send(new ListLayerVersionsCommand({ LayerName: name }))
        .catch(() => ({ LayerVersions: [] }));
      expect(versions.LayerVersions ?? []).toEqual([]);
    } finally {
      canary.remove();
    }
  });
});

describe("real wheels that would not import on Lambda are refused", () => {
  const target311 = { pythonVersions: ["3.11"], arch: "x86_64" as const };

  it("a manylinux_2_34 wheel (cryptography) needs a newer glibc than python3.11's Amazon Linux 2", async () => {
    const zip = await cryptographyLayer();
    const err = await validateLayerZip(ctx, zip, target311).catch((e) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.exitCode).toBe(4);
    expect(err.message).toMatch(
      /python\/cryptography\/hazmat\/bindings\/_rust\.abi3\.so: needs GLIBC_2\.(2[7-9]|3\d) but Lambda python3\.11 \(Amazon Linux 2\) has glibc 2\.26/,
    );
    // The same layer is fine where the runtime has glibc 2.34.
    await expect(
      validateLayerZip(ctx, zip, { pythonVersions: ["3.12"], arch: "x86_64" }),
    ).resolves.toBeDefined();
  });

  it("pydantic-core's cp311 x86_64 wheel is refused for python3.12 (ABI) and for arm64 (CPU)", async () => {
    const wheel = "pydantic_core-2.46.5-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl";
    const zip = await layerFromWheels([wheel], "pcore");
    await expect(validateLayerZip(ctx, zip, { pythonVersions: ["3.12"], arch: "x86_64" })).rejects.toThrow(
      /_pydantic_core\.cpython-311-x86_64-linux-gnu\.so: built for CPython 3\.11 \(ABI tag cpython-311\) but Lambda python3\.12 \(Amazon Linux 2023\) needs cpython-312/,
    );
    await expect(validateLayerZip(ctx, zip, { pythonVersions: ["3.11"], arch: "arm64" })).rejects.toThrow(
      /_pydantic_core\.cpython-311-x86_64-linux-gnu\.so: (built for x86_64 but the layer targets aarch64|ABI tag platform x86_64-linux-gnu but the layer targets aarch64-linux-gnu)/,
    );
  });

  it("the import smoke test catches a layer missing a dependency (pydantic without pydantic-core)", async () => {
    const zip = await layerFromWheels(
      ["pydantic-2.13.5-py3-none-any.whl", "typing_extensions-4.16.0-py3-none-any.whl"],
      "nocore",
    );
    await expect(smokeTestLayer(ctx, zip, "3.11", "x86_64", ["pydantic"])).rejects.toThrow(
      /import pydantic fails on python3\.11 x86_64: .*pydantic_core/,
    );
  });

  it("the CLI prints one line naming the file and exits 4", async () => {
    const zip = await cryptographyLayer();
    const res = spawnSync(NODE, [CLI, "layer", "validate", zip, "--python", "3.11", "--arch", "x86_64"], {
      cwd: root,
      encoding: "utf8",
    });
    expect(res.status).toBe(4);
    const last = res.stderr.trim().split("\n").pop()!;
    expect(last).toMatch(
      /^prebake: error: .*crypto\.zip: python\/cryptography\/.*needs GLIBC_2\.\d+ but Lambda python3\.11 .* \(fix: /,
    );
  });
});
