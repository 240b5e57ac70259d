/**
 * The four generators, each followed by what it promises: in a throw-away workspace (this
 * repository's stacks and buildspecs, images under unique repositories), `nx g` writes an app, a
 * layer, an image and a stack; the deploy run (`nx run-many -t deploy`, what npm start runs) then
 * pushes the image, publishes the layer and deploys the stacks, the ci stack with the new app's
 * project and pipeline action; and `nx run second-app:codebuild` builds second-app's own code.
 * Real nx, engine, registry and moto; the Erlang image is the real one when npm start pushed it.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import {
  CloudFormationClient,
  DeleteStackCommand,
  DescribeStacksCommand,
} from "@aws-sdk/client-cloudformation";
import { DeleteRepositoryCommand, ECRClient } from "@aws-sdk/client-ecr";
import { DeleteLayerVersionCommand, LambdaClient, ListLayerVersionsCommand } from "@aws-sdk/client-lambda";
import { createContext } from "@prebake/core";
import { readTemplate } from "@prebake/stack";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { erlangImage } from "../../codebuild/test/helpers.ts";
import { makeWorkspace, suffix } from "./workspace.ts";

const id = suffix();
const project = `nxg-${id}`;
// Names that leave moto or the registry shared with other runs are unique; the rest is the project's.
const layer = `gen-layer-${id}`;
const image = `gen-img-${id}`;
const repositories = [`prebake-test/${image}`, `prebake-test/gen-erlang-${id}`, `prebake-test/gen-py-${id}`];
const ws = makeWorkspace({ project, copy: ["stacks", "buildspecs", "images/python-layer"] });
const ctx = () => createContext({ cwd: ws.root, env: {} });

/** The Erlang/OTP image npm start pushed (prebake/erlang-otp 27.3.4.1), else codebuild's tests' stand-in. */
function erlangBase(): string {
  const real = `${ctx().config.profile.registry}/prebake/erlang-otp:27.3.4.1`;
  return spawnSync("docker", ["pull", "-q", real]).status === 0 ? real : erlangImage();
}

beforeAll(() => {
  // The images the ci stack's projects run in, each pushed to a repository of its own by the deploy run.
  ws.write(
    "images/erlang-otp/image.yaml",
    `name: erlang-otp\nrepository: ${repositories[1]}\ndefaultVersion: "27.3.4.1"\n` +
      `base: { local: "${erlangBase()}" }\nversions: { "27.3.4.1": {} }\n`,
  );
  ws.write("images/erlang-otp/Dockerfile", "ARG BASE_IMAGE\nFROM $BASE_IMAGE\n");
  ws.write(
    "images/python-layer/image.yaml",
    ws.read("images/python-layer/image.yaml").replace(/^repository: .*$/m, `repository: ${repositories[2]}`),
  );
});

afterAll(async () => {
  const c = ctx();
  for (const stack of ["ci", "image-rebuild", "extra"]) {
    await c
      .aws(CloudFormationClient)
      .send(new DeleteStackCommand({ StackName: `${project}-${stack}` }))
      .catch(() => undefined);
  }
  for (const repositoryName of repositories) {
    await c
      .aws(ECRClient)
      .send(new DeleteRepositoryCommand({ repositoryName, force: true }))
      .catch(() => undefined);
    // Untag only: the layers are shared with the images they were built from.
    for (const local of await c.docker().listImages()) {
      for (const tag of [...(local.RepoTags ?? []), ...(local.RepoDigests ?? [])]) {
        if (tag.includes(repositoryName)) {
          await c
            .docker()
            .getImage(tag)
            .remove({ noprune: true })
            .catch(() => undefined);
        }
      }
    }
  }
  const lambda = c.aws(LambdaClient);
  const versions = await lambda
    .send(new ListLayerVersionsCommand({ LayerName: layer }))
    .catch(() => undefined);
  for (const v of versions?.LayerVersions ?? []) {
    await lambda.send(new DeleteLayerVersionCommand({ LayerName: layer, VersionNumber: v.Version! }));
  }
  ws.remove();
});

describe("nx g @prebake/nx-plugin:<kind>, then the deploy run", () => {
  it("nx list shows the four generators; each refuses a taken or badly formed name", () => {
    const list = ws.nx(["list", "@prebake/nx-plugin"]);
    expect(list.code, list.output).toBe(0);
    for (const kind of ["app", "layer", "image", "stack"])
      expect(list.output).toMatch(new RegExp(`^${kind} : `, "m"));
    const taken = ws.nx(["g", "@prebake/nx-plugin:app", "ci"]);
    expect(taken.code).not.toBe(0);
    expect(taken.output).toContain("stacks/ci: exists already (project names are folder names");
    const bad = ws.nx(["g", "@prebake/nx-plugin:stack", "Extra_Stack"]);
    expect(bad.code).not.toBe(0);
    expect(bad.output).toContain("stacks/Extra_Stack: stack name 'Extra_Stack' must be lowercase words");
    expect(existsSync(join(ws.root, "apps/ci"))).toBe(false);
    expect(existsSync(join(ws.root, "stacks/Extra_Stack"))).toBe(false);
  });

  it("an app, a layer, an image and a stack, each deployed by the deploy run; the app builds its own code", async () => {
    for (const [kind, ...args] of [
      ["app", "second-app"],
      ["layer", layer],
      ["image", image, `--repository=prebake-test/${image}`],
      ["stack", "extra"],
    ] as const) {
      const g = ws.nx(["g", `@prebake/nx-plugin:${kind}`, ...args]);
      expect(g.code, g.output).toBe(0);
    }
    // A second generator run for the same name is refused: the folder is there now.
    expect(ws.nx(["g", "@prebake/nx-plugin:layer", layer]).output).toContain(
      `layers/${layer}: exists already`,
    );

    const deploy = ws.nx(["run-many", "-t", "deploy"]);
    expect(deploy.code, deploy.output.slice(-4000)).toBe(0);

    // The image is pushed; the layer is published; the stacks are deployed.
    const manifest = JSON.parse(ws.read(`dist/images/${image}-1.json`)) as {
      digest: string;
      repository: string;
    };
    expect(manifest).toMatchObject({
      repository: `prebake-test/${image}`,
      digest: expect.stringMatching(/^sha256:/),
    });
    const published = JSON.parse(ws.read(`dist/layers/${layer}.json`)) as {
      layers: { layerVersionArn: string }[];
    };
    expect(published.layers[0]?.layerVersionArn).toContain(`:layer:${layer}:`);
    const cf = ctx().aws(CloudFormationClient);
    for (const stack of ["ci", "extra"]) {
      const found = await cf.send(new DescribeStacksCommand({ StackName: `${project}-${stack}` }));
      expect(found.Stacks?.[0]?.StackStatus).toMatch(/_COMPLETE$/);
    }

    // The ci stack has the app's own project and pipeline action, and the layer's action.
    const ci = readTemplate(join(ws.root, "stacks/ci/stack.yaml"));
    expect(ci.Resources.SecondAppAppProject?.Type).toBe("AWS::CodeBuild::Project");
    const build = (
      ci.Resources.Pipeline!.Properties!.Stages as { Name: string; Actions: { Name: string }[] }[]
    )[1]!;
    expect(build.Actions.map((a) => a.Name)).toEqual(["second-app", layer]);
    // The generated stack was rendered next to its source.
    expect(ws.read("stacks/extra/stack.yaml")).toContain("AWS::Logs::LogGroup");

    // nx run second-app:codebuild builds second-app, not another app: its release and tests.
    const codebuild = ws.nx(["run", "second-app:codebuild", "--artifacts=dist/artifacts"]);
    expect(codebuild.code, codebuild.output.slice(-4000)).toBe(0);
    expect(codebuild.output).toContain("project ci/SecondAppAppProject");
    expect(codebuild.output).toMatch(/2 tests, 0 failures/);
    const release = join(ws.root, "dist/artifacts/second-app-release/second_app");
    expect(readdirSync(join(release, "bin"))).toContain("second_app");
    expect(readdirSync(join(release, "lib"))).toContain("second_app-0.1.0");
    expect(readFileSync(join(release, "lib/second_app-0.1.0/ebin/second_app.app"), "utf8")).toContain(
      '{description,"second-app"}',
    );
  });
});
