/**
 * The main job keeps its history: `nx run-many -t deploy` (the batch executor, many commands in one
 * process) writes the same history lines a `prebake` command alone writes, so `prebake report` draws
 * the main job's image pushes, layer builds and deploys. Real nx, engine, registry and moto, in a
 * throw-away workspace with a tiny image, the sample layer under a unique name and a small stack.
 */
import { cpSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { CloudFormationClient, DeleteStackCommand } from "@aws-sdk/client-cloudformation";
import { DeleteRepositoryCommand, ECRClient } from "@aws-sdk/client-ecr";
import { DeleteLayerVersionCommand, LambdaClient, ListLayerVersionsCommand } from "@aws-sdk/client-lambda";
import { createContext, readHistory } from "@prebake/core";
import { afterAll, describe, expect, it } from "vitest";
import { makeWorkspace, suffix } from "./workspace.ts";

const id = suffix();
const project = `nxh-${id}`;
const image = `tiny-${id}`;
const layer = `lay-${id}`;
const ws = makeWorkspace({ project, copy: ["images/python-layer"] });
const history = join(ws.root, "history");

ws.write(
  `images/${image}/image.yaml`,
  `name: ${image}
repository: prebake-test/${image}
description: history test image
platform: linux/amd64
defaultVersion: "1.0"
base: { local: prebake/debian:bookworm }
versions: { "1.0": {} }
lifecycle: { keepPerVersion: 2, untaggedExpireDays: 1 }
`,
);
ws.write(`images/${image}/Dockerfile`, "ARG BASE_IMAGE\nFROM $BASE_IMAGE\nRUN echo baked > /opt/baked\n");
// The sample layer (pinned pydantic from this machine's index, its own package) under a unique name.
const sampleLayer = join(import.meta.dirname, "../../../layers/common-utils");
cpSync(sampleLayer, join(ws.root, "layers", layer), { recursive: true });
ws.write(
  `layers/${layer}/layer.yaml`,
  readFileSync(join(sampleLayer, "layer.yaml"), "utf8").replace(/^name: common-utils$/m, `name: ${layer}`),
);
ws.write(
  "stacks/small/stack.ts",
  `import { defineTemplate, resource } from "@prebake/stack";
export default defineTemplate({
  Description: "history test stack",
  Resources: { Param: resource("AWS::SSM::Parameter", { Type: "String", Value: "kept" }) },
});
`,
);

afterAll(async () => {
  const ctx = createContext({ cwd: ws.root, env: {} });
  await ctx
    .aws(CloudFormationClient)
    .send(new DeleteStackCommand({ StackName: `${project}-small` }))
    .catch(() => undefined);
  await ctx
    .aws(ECRClient)
    .send(new DeleteRepositoryCommand({ repositoryName: `prebake-test/${image}`, force: true }))
    .catch(() => undefined);
  const lambda = ctx.aws(LambdaClient);
  const versions = await lambda
    .send(new ListLayerVersionsCommand({ LayerName: layer }))
    .catch(() => undefined);
  for (const v of versions?.LayerVersions ?? []) {
    await lambda.send(new DeleteLayerVersionCommand({ LayerName: layer, VersionNumber: v.Version! }));
  }
  ws.remove();
});

describe("the main job's history", () => {
  it("nx run-many -t deploy writes image, layer and deploy lines, and the report draws them", () => {
    const render = ws.prebake(["render"]);
    expect(render.code, render.output).toBe(0);
    const run = ws.nx(["run-many", "-t", "deploy"], { PREBAKE_HISTORY_DIR: history });
    expect(run.code, run.output).toBe(0);

    const { lines, problems } = readHistory(history);
    expect(problems).toEqual([]);
    const names = (kind: string) => lines.filter((l) => l.kind === kind).map((l) => l.name);
    // Image lines are named by version line, as the summary shows them.
    expect(names("image")).toEqual(expect.arrayContaining([`${image}:1.0`, "python-layer:3.11"]));
    expect(names("layer")).toContain(layer);
    expect(names("deploy")).toContain("small");
    // Each line says which run it was: the profile's implicit environment, the workspace's checkout.
    expect(new Set(lines.map((l) => l.environment))).toEqual(new Set(["local"]));

    const out = join(ws.root, "report.html");
    const report = ws.prebake(["--json", "report", "--out", out], { PREBAKE_HISTORY_DIR: history });
    expect(report.code, report.output).toBe(0);
    const data = JSON.parse(report.stdout) as {
      images: { image: string }[];
      layers: { name: string }[];
    };
    expect(data.images.map((i) => i.image)).toEqual(expect.arrayContaining([`${image}:1.0`]));
    expect(data.layers.map((l) => l.name)).toContain(layer);
    // The page draws the two size charts from those lines, not their empty-window notice.
    const page = readFileSync(out, "utf8");
    expect(page).not.toContain("No image pushes or layer builds in the window");
    expect(page).toContain('<figure class="chart" id="image-sizes">');
    expect(page).toContain('<figure class="chart" id="layer-sizes">');
  });
});
