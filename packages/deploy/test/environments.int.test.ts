/**
 * Environments, promotion by digest and `prebake status`, against the real registry (127.0.0.1:5050)
 * and the shared moto, through the CLI: dev and prod deploy side by side with their own parameters;
 * promote moves exactly the digests dev runs (not this checkout's newest push, never a rebuild) and
 * refuses a digest gone from the registry; status reports drift after an out-of-band change, with
 * read-only calls only. Unique project name, tiny image; everything created is removed afterwards.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  CloudFormationClient,
  DescribeStacksCommand,
  ListChangeSetsCommand,
  UpdateStackCommand,
  waitUntilStackUpdateComplete,
} from "@aws-sdk/client-cloudformation";
import { DescribeImagesCommand, ECRClient } from "@aws-sdk/client-ecr";
import { awsCallLog } from "@prebake/core";
import { loadImageDefinition, pushImageVersion } from "@prebake/images";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanup } from "../../images/test/fixtures.ts";
import { imageParameterTemplate, testImageFiles } from "../../images/test/image-project.ts";
import { isReadOnlyCall } from "../src/api-calls.ts";
import { environmentStatus } from "../src/environment-status.ts";
import { captureContext, deleteStacks, makeProject, prebakeCli, suffix } from "./helpers.ts";

const prebake = (cwd: string, args: string[]) => prebakeCli(cwd, args, { CI: "1", PREBAKE_ENV: "" });

const name = `env${suffix()}`;
const REPOSITORY = `prebake-test/${name}-tool`;
const template = `${imageParameterTemplate("BuildImage", "public.ecr.aws/fallback:latest")}  Retention:
    Type: String
    Default: "30"
Resources:
  Param:
    Type: AWS::SSM::Parameter
    Properties:
      Name: !Sub /\${AWS::StackName}/image
      Type: String
      Value: !Sub "\${BuildImage} kept \${Retention} days"
`;
const p = makeProject({
  project: name,
  templates: { ci: template },
  environments: {
    dev: {
      profile: "local",
      tags: { Environment: "dev" },
      stacks: { ci: { parameters: { Retention: "7" } } },
    },
    prod: {
      profile: "local",
      tags: { Environment: "prod" },
      stacks: { ci: { parameters: { Retention: "90" } } },
    },
    staging: { profile: "local" },
    qa: { profile: "local" },
  },
  files: testImageFiles("tool", {
    repository: REPOSITORY,
    keepPerVersion: 10,
    file: { name: "hello.txt", text: `${name} one\n` },
  }),
});
const STACKS = {
  dev: `${name}-dev-ci`,
  prod: `${name}-prod-ci`,
  staging: `${name}-staging-ci`,
  qa: `${name}-qa-ci`,
  implicit: `${name}-ci`,
};
const { ctx } = captureContext(p.root);
const cfn = ctx.aws(CloudFormationClient);
const registry = ctx.config.profile.registry!;

/** Push the tool image with `content` in hello.txt; returns its digest-pinned uri and digest. */
async function pushTool(content: string) {
  writeFileSync(join(p.root, "images/tool/hello.txt"), `${name} ${content}\n`);
  const pushed = await pushImageVersion(ctx, loadImageDefinition(join(p.root, "images"), "tool"), "1.0");
  return { uri: pushed.uri!, digest: pushed.digest! };
}

async function describe_(stackName: string) {
  const res = await cfn.send(new DescribeStacksCommand({ StackName: stackName })).catch(() => undefined);
  const stack = res?.Stacks?.[0];
  const params = Object.fromEntries((stack?.Parameters ?? []).map((x) => [x.ParameterKey, x.ParameterValue]));
  const tags = Object.fromEntries((stack?.Tags ?? []).map((x) => [x.Key, x.Value]));
  return { stack, params, tags };
}

const changeSetCount = async (stackName: string) =>
  ((await cfn.send(new ListChangeSetsCommand({ StackName: stackName }))).Summaries ?? []).filter(
    (s) => s.StackName === stackName,
  ).length;

const repositoryDigests = async () =>
  (
    (await ctx.aws(ECRClient).send(new DescribeImagesCommand({ repositoryName: REPOSITORY }))).imageDetails ??
    []
  )
    .map((i) => i.imageDigest)
    .sort();

let one: { uri: string; digest: string };
let two: { uri: string; digest: string };

beforeAll(async () => {
  one = await pushTool("one");
});

afterAll(async () => {
  await deleteStacks(cfn, Object.values(STACKS));
  await cleanup({ root: p.root, repos: [REPOSITORY] }, ctx);
});

// One story, told in steps that build on each other (each step needs what the one before deployed),
// so it is one test: shuffled order and -t filters cannot split it.
describe("environments, promotion by digest and status", () => {
  it("dev and prod side by side; promote moves dev's exact digest, records its origin, refuses a digest gone from the registry; status reports drift read-only", async () => {
    const sideBySide = async () => {
      for (const env of ["dev", "prod"]) {
        const res = await prebake(p.root, ["--env", env, "deploy", "ci", "--no-lint", "--json"]);
        expect(res.code, res.stderr).toBe(0);
        expect(JSON.parse(res.stdout)).toMatchObject({
          action: "created",
          environment: env,
          profile: "local",
        });
      }
      const dev = await describe_(STACKS.dev);
      const prod = await describe_(STACKS.prod);
      expect(dev.params).toEqual({ BuildImage: one.uri, Retention: "7" });
      expect(prod.params).toEqual({ BuildImage: one.uri, Retention: "90" });
      expect(dev.tags).toMatchObject({
        Environment: "dev",
        "prebake:environment": "dev",
        "prebake:stack": "ci",
      });
      expect(prod.tags).toMatchObject({ Environment: "prod", "prebake:environment": "prod" });
      const outputs = JSON.parse(readFileSync(join(p.root, "dist/prod/stacks/ci.json"), "utf8"));
      expect(outputs).toMatchObject({
        stackName: STACKS.prod,
        environment: "prod",
        parameters: { Retention: "90" },
      });
      expect(existsSync(join(p.root, "dist/dev/stacks/ci.json"))).toBe(true);
      // The implicit environment is untouched: no <project>-ci, no dist/stacks/ci.json.
      expect((await describe_(STACKS.implicit)).stack).toBeUndefined();
      expect(existsSync(join(p.root, "dist/stacks/ci.json"))).toBe(false);
    };
    /** `promote dev <to>` with --json: exit 0, and the target stack reported with `action`. */
    const promoteFromDev = async (to: "prod" | "staging", action: string) => {
      const res = await prebake(p.root, ["promote", "dev", to, "--no-lint", "--json"]);
      expect(res.code, res.stderr).toBe(0);
      expect(JSON.parse(res.stdout).deployed[0]).toMatchObject({ stackName: STACKS[to], action });
    };
    const promoteToProd = async () => {
      two = await pushTool("two");
      expect((await prebake(p.root, ["--env", "dev", "deploy", "ci", "--no-lint"])).code).toBe(0);
      expect((await describe_(STACKS.dev)).params.BuildImage).toBe(two.uri);

      const dry = await prebake(p.root, ["promote", "dev", "prod", "--dry-run", "--json"]);
      expect(dry.code, dry.stderr).toBe(0);
      const plan = JSON.parse(dry.stdout);
      expect(plan.stacks).toEqual([
        expect.objectContaining({
          stack: "ci",
          fromStackName: STACKS.dev,
          toStackName: STACKS.prod,
          moves: [
            {
              parameter: "BuildImage",
              image: "tool",
              uri: two.uri,
              digest: two.digest,
              current: one.uri,
              change: "change",
            },
          ],
        }),
      ]);
      expect(dry.stderr).toMatch(
        new RegExp(`ci\\s+BuildImage\\s+tool\\s+${one.digest.slice(0, 19)}\\s+${two.digest.slice(0, 19)}`),
      );
      expect((await describe_(STACKS.prod)).params.BuildImage).toBe(one.uri);

      // This checkout pushes a newer image that dev never ran: prod must get dev's digest, not this one.
      const three = await pushTool("three");
      const digestsBefore = await repositoryDigests();
      await promoteFromDev("prod", "updated");
      const prod = await describe_(STACKS.prod);
      expect(prod.params).toEqual({ BuildImage: two.uri, Retention: "90" });
      expect(prod.params.BuildImage).not.toBe(three.uri);
      expect(await repositoryDigests()).toEqual(digestsBefore); // nothing built or pushed
    };
    const promoteRecordsOrigin = async () => {
      // A promotion that creates the target stack: moto 5.2 keeps a stack's tags from its creation and
      // drops tag changes of an update change set (AWS applies them; test/engine.test.ts checks they are sent).
      await promoteFromDev("staging", "created");
      const staging = await describe_(STACKS.staging);
      expect(staging.params).toEqual({ BuildImage: two.uri, Retention: "30" });
      expect(staging.tags).toMatchObject({
        "prebake:origin:BuildImage": `dev@${two.digest}`,
        "prebake:environment": "staging",
      });
      // Promoting again changes nothing: two read-only calls, the record stays.
      const again = await prebake(p.root, ["promote", "dev", "staging", "--no-lint", "--json"]);
      expect(JSON.parse(again.stdout).deployed[0]).toMatchObject({ action: "skipped", apiCalls: 2 });
    };
    const refuseGoneDigest = async () => {
      const gone = await pushTool("gone");
      expect((await prebake(p.root, ["--env", "dev", "deploy", "ci", "--no-lint"])).code).toBe(0);
      const deleted = await fetch(`http://${registry}/v2/${REPOSITORY}/manifests/${gone.digest}`, {
        method: "DELETE",
      });
      expect(deleted.status).toBe(202);
      const changeSets = await changeSetCount(STACKS.prod);
      const res = await prebake(p.root, ["promote", "dev", "prod"]);
      expect(res.code).toBe(9);
      expect(res.stderr.trim()).toBe(
        `prebake: error: stack ${STACKS.prod}: cannot promote BuildImage of ${STACKS.dev}: ${gone.digest} is not in registry ${registry} (repository ${REPOSITORY}) (fix: push tool again (prebake push tool), deploy it to the source environment, test it, and promote again)`,
      );
      expect((await describe_(STACKS.prod)).params.BuildImage).toBe(two.uri);
      expect(await changeSetCount(STACKS.prod)).toBe(changeSets);
      await pushTool("four"); // this checkout's record named the deleted digest: push a good one again
    };
    const statusReportsDrift = async () => {
      // Someone changes staging by hand: Retention 30 -> 365 and a tag, outside prebake.
      const before = await describe_(STACKS.staging);
      await cfn.send(
        new UpdateStackCommand({
          StackName: STACKS.staging,
          UsePreviousTemplate: true,
          Parameters: [
            { ParameterKey: "BuildImage", UsePreviousValue: true },
            { ParameterKey: "Retention", ParameterValue: "365" },
          ],
          Tags: [...(before.stack?.Tags ?? []), { Key: "Hotfix", Value: "yes" }],
        }),
      );
      await waitUntilStackUpdateComplete({ client: cfn, maxWaitTime: 120 }, { StackName: STACKS.staging });

      const calls = awsCallLog.length;
      const status = await environmentStatus(captureContext(p.root, "staging").ctx);
      const made = awsCallLog.slice(calls).map((c) => c.command);
      expect(made.length).toBeGreaterThan(0);
      expect(made.filter((c) => !isReadOnlyCall(c))).toEqual([]);

      expect(status).toMatchObject({ environment: "staging", profile: "local" });
      expect(status.stacks).toEqual([
        {
          stack: "ci",
          stackName: STACKS.staging,
          status: "UPDATE_COMPLETE",
          drift: ["parameter Retention: '365' -> '30'", "tag Hotfix is removed"],
        },
      ]);
      const [image] = status.images;
      expect(image).toMatchObject({
        stack: "ci",
        parameter: "BuildImage",
        deployed: two.uri,
        promotedFrom: "dev",
        state: "older",
      });
      expect(image?.newest?.version).toBe("1.0");
      expect(image?.newest?.digest).not.toBe(two.digest);

      const cli = await prebake(p.root, ["--env", "staging", "status"]);
      expect(cli.code, cli.stderr).toBe(0);
      expect(cli.stdout).toContain(`${two.digest.slice(0, 19)} (promoted from dev)`);
      expect(cli.stdout).toContain("parameter Retention: '365' -> '30'; tag Hotfix is removed");
      const json = await prebake(p.root, ["--env", "staging", "status", "--json"]);
      expect(json.code, json.stderr).toBe(0);
      expect(JSON.parse(json.stdout)).toMatchObject({
        environment: "staging",
        stacks: [{ stack: "ci", drift: status.stacks[0]!.drift }],
        images: [{ parameter: "BuildImage", deployedDigest: two.digest, promotedFrom: "dev" }],
      });
    };
    await sideBySide();
    await promoteToProd();
    await promoteRecordsOrigin();
    await refuseGoneDigest();
    await statusReportsDrift();
  });
});

describe("promote refusals that need no earlier step", () => {
  it("refuses (exit 9) an image that is not pinned by digest, and an unknown environment is exit 3", async () => {
    const tagged = `${registry}/${REPOSITORY}:latest`;
    const dev = await prebake(p.root, [
      "--env",
      "qa",
      "deploy",
      "ci",
      "--no-lint",
      "--parameter",
      `BuildImage=${tagged}`,
    ]);
    expect(dev.code, dev.stderr).toBe(0);
    // qa is this test's own source environment: the story above never deploys it.
    const res = await prebake(p.root, ["promote", "qa", "prod"]);
    expect(res.code).toBe(9);
    expect(res.stderr).toContain(`BuildImage is '${tagged}', not an image pinned by digest`);
    const unknown = await prebake(p.root, ["promote", "qa", "nosuch"]);
    expect(unknown.code).toBe(3);
    expect(unknown.stderr.trim()).toBe(
      "prebake: error: --env: unknown environment 'nosuch' (fix: use one of: dev, prod, staging, qa, default, or add it under environments: in prebake.config.yaml)",
    );
  });
});
