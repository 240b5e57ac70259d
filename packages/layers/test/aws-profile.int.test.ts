/**
 * `prebake layer publish` in the aws profile, unchanged, against moto and the ECR stand-in (see
 * packages/images/test/aws-standin.ts): the python-layer image is pushed to the stand-in under ECR's
 * host, confirmed there by resolvePushedImage, pulled with ECR's token through the ecrRegistry
 * mapping (the engine does not have it), and the layer is built and import-tested in it and
 * published to moto's Lambda. The image's base is the local python-layer build (no apt, no
 * network), pushed into the stand-in as a team would keep a base in its own ECR.
 */
import { randomBytes } from "node:crypto";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { DeleteLayerVersionCommand, LambdaClient, ListLayerVersionsCommand } from "@aws-sdk/client-lambda";
import { createContext } from "@prebake/core";
import { buildImageVersion, loadImageDefinition } from "@prebake/images";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { awsProfileFixture, prebake, STANDIN } from "../../images/test/aws-standin.ts";
import { copyRepoImage } from "../../images/test/repo-image.ts";

const REPO_ROOT = resolve(import.meta.dirname, "..", "..", "..");
const id = randomBytes(3).toString("hex");
const REPO = `prebake-test/python-layer-aws-${id}`;
const BASE_REPO = `prebake-test/python-layer-aws-base-${id}`;
const LOCAL_REPO = `prebake-test/python-layer-local-${id}`;
const LAYER = `awl-${id}`;
const fx = awsProfileFixture();
const { root, ctx } = fx;
let localRoot: string;
let localImage: string | undefined;

beforeAll(async () => {
  await fx.start();
  // The local profile's python-layer image (Debian + Python 3.11 + pinned pip), built by the
  // build-image path in a copy with its own repository name; the engine's cache makes it quick.
  localRoot = await mkdtemp(join(tmpdir(), "prebake-layer-aws-local-"));
  copyRepoImage(localRoot, "python-layer", { repository: LOCAL_REPO });
  const local = createContext({ cwd: localRoot, quiet: true, env: {} });
  const built = await buildImageVersion(
    local,
    loadImageDefinition(join(localRoot, "images"), "python-layer"),
    "3.11",
  );
  localImage = built.uri!;
  const base = await fx.pushBase(BASE_REPO, "3.11", `layer base ${id}`, localImage);

  // The aws profile's python-layer definition: its base is that image, in ECR (the stand-in).
  await cp(join(REPO_ROOT, "layers", "common-utils"), join(root, "layers", LAYER), { recursive: true });
  const layerYaml = join(root, "layers", LAYER, "layer.yaml");
  await writeFile(
    layerYaml,
    (await readFile(layerYaml, "utf8")).replace(/^name: common-utils$/m, `name: ${LAYER}`),
  );
  fx.writeImage("python-layer", { repository: REPO, versions: ["3.11"], base: base.reference });
});

afterAll(async () => {
  const lambda = ctx.aws(LambdaClient);
  const versions = await lambda
    .send(new ListLayerVersionsCommand({ LayerName: LAYER }))
    .catch(() => undefined);
  for (const v of versions?.LayerVersions ?? []) {
    await lambda.send(new DeleteLayerVersionCommand({ LayerName: LAYER, VersionNumber: v.Version! }));
  }
  // Untag only: the local build shares its layers (and maybe its id) with the shared python-layer image.
  if (localImage)
    await ctx
      .docker()
      .getImage(localImage)
      .remove({ noprune: true })
      .catch(() => undefined);
  await fx.cleanup();
  await rm(localRoot, { recursive: true, force: true });
});

describe("layer publish in the aws profile (moto + the ECR stand-in)", () => {
  it("builds the layer in the python-layer image pulled from the registry with ECR's token, and publishes it", async () => {
    const pushed = await prebake(root, ["--json", "push", "python-layer"]);
    expect(pushed.code, pushed.output).toBe(0);
    const { digest, uri } = JSON.parse(pushed.stdout) as { digest: string; uri: string };
    expect(uri).toBe(`${fx.login.host}/${REPO}@${digest}`);
    // As on a machine that did not push it: the engine must pull it from the registry.
    const docker = ctx.docker();
    for (const image of await docker.listImages()) {
      if ([...(image.RepoTags ?? []), ...(image.RepoDigests ?? [])].some((r) => r.includes(`/${REPO}`))) {
        await docker.getImage(image.Id).remove({ force: true });
      }
    }

    const published = await prebake(root, ["--json", "layer", "publish", LAYER]);
    expect(published.code, published.output).toBe(0);
    const pulled = `${STANDIN}/${REPO}@${digest}`;
    expect(published.output).toContain(`python-layer: pulling ${pulled}`);
    expect(published.output).not.toContain("==> image python-layer"); // not built here
    expect(published.output).toContain(`building in a ${pulled} container`);
    expect((await docker.getImage(pulled).inspect()).RepoDigests).toContain(pulled);
    const versions = await ctx.aws(LambdaClient).send(new ListLayerVersionsCommand({ LayerName: LAYER }));
    expect(versions.LayerVersions?.length).toBe(1);
    expect(versions.LayerVersions?.[0]?.CompatibleRuntimes).toContain("python3.11");
  });
});
