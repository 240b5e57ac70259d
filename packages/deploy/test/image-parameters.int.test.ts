/**
 * Image parameters against the real registry (127.0.0.1:5050) and the shared moto: the value is
 * the pushed image's digest-pinned uri, confirmed in the registry by @prebake/images'
 * resolvePushedImage; a stale record in dist/images stops the deploy (exit 9) before any change set.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  CloudFormationClient,
  DescribeStacksCommand,
  ListChangeSetsCommand,
} from "@aws-sdk/client-cloudformation";
import { awsCallLog, distPaths } from "@prebake/core";
import { loadImageDefinition, pushImageVersion } from "@prebake/images";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanup } from "../../images/test/fixtures.ts";
import { imageParameterTemplate, testImageFiles } from "../../images/test/image-project.ts";
import { deployStack } from "../src/deploy.ts";
import { captureContext, deleteStacks, makeProject, prebakeCli, suffix } from "./helpers.ts";

const name = `di${suffix()}`;
const REPOSITORY = `prebake-test/${name}-tool`;
const template = `${imageParameterTemplate("BuildImage", "public.ecr.aws/fallback:latest")}Resources:
  Param:
    Type: AWS::SSM::Parameter
    Properties:
      Name: /${name}/image
      Type: String
      Value: !Ref BuildImage
`;
const p = makeProject({
  project: name,
  templates: { ci: template },
  files: testImageFiles("tool", {
    repository: REPOSITORY,
    versions: ["1.0", "2.0"],
    file: { name: "hello.txt", text: `${name}\n` },
  }),
});
const stackName = `${name}-ci`;
const manifestFile = distPaths.imageManifest(p.root, "tool", "2.0");
const { ctx } = captureContext(p.root);
const changeSetCount = async () =>
  (
    (await ctx.aws(CloudFormationClient).send(new ListChangeSetsCommand({ StackName: stackName })))
      .Summaries ?? []
  ).filter((s) => s.StackName === stackName).length;
let uri: string;
let digest: string;

beforeAll(async () => {
  const pushed = await pushImageVersion(ctx, loadImageDefinition(join(p.root, "images"), "tool"), "2.0");
  uri = pushed.uri!;
  digest = pushed.digest!;
});

afterAll(async () => {
  await deleteStacks(ctx.aws(CloudFormationClient), [stackName]);
  await cleanup({ root: p.root, repos: [REPOSITORY] }, ctx);
});

describe("image parameters through resolvePushedImage", () => {
  // The first deploy is the block's setup: every test starts from "the stack holds the pushed
  // image", whichever runs first. Tests that break the record restore it, pass or fail.
  let deployed: ReturnType<typeof captureContext>;
  let result: Awaited<ReturnType<typeof deployStack>>;
  beforeAll(async () => {
    deployed = captureContext(p.root);
    result = await deployStack(deployed.ctx, "ci");
  });

  /** Runs `fn` with the record's digest replaced by `wrong`; the good record is back afterwards. */
  async function withRecordDigest(wrong: string, fn: () => Promise<void>): Promise<void> {
    const good = readFileSync(manifestFile, "utf8");
    writeFileSync(manifestFile, good.replaceAll(digest, wrong));
    try {
      await fn();
    } finally {
      writeFileSync(manifestFile, good);
    }
  }

  it("fills an ImageParameters parameter from the pushed image; --parameter wins over it", async () => {
    expect(result.action).toBe("created");
    expect(uri).toBe(`127.0.0.1:5050/${REPOSITORY}@${digest}`);
    const outputs = JSON.parse(readFileSync(join(p.root, "dist", "stacks", "ci.json"), "utf8"));
    expect(outputs.parameters.BuildImage).toBe(uri);
    expect(deployed.text()).toContain("dist/images/tool-2.0.json: uri");

    const dry = await deployStack(captureContext(p.root).ctx, "ci", {
      dryRun: true,
      parameters: { BuildImage: "override:1" },
    });
    expect(dry.differences).toEqual([`parameter BuildImage: '${uri}' -> 'override:1'`]);
  });

  it("a record whose digest is not in the registry exits 9 with the fix, and no change set is made", async () => {
    const gone = `sha256:${"0".repeat(64)}`;
    await withRecordDigest(gone, async () => {
      const changeSetsBefore = await changeSetCount();
      const res = await prebakeCli(p.root, [
        "deploy",
        "ci",
        "--parameter",
        "BuildImage=ignored-by-the-check",
      ]);
      expect(res.code).toBe(9);
      expect(res.stderr.trim()).toBe(
        `prebake: error: dist/images/tool-2.0.json: ${gone} is not in registry 127.0.0.1:5050 (repository ${REPOSITORY}) (fix: push the image again: prebake push tool)`,
      );
      // Nothing changed in CloudFormation: no new change set, and the stack holds the image deployed above.
      expect(await changeSetCount()).toBe(changeSetsBefore);
      const stack = await ctx
        .aws(CloudFormationClient)
        .send(new DescribeStacksCommand({ StackName: stackName }));
      expect(stack.Stacks?.[0]?.Parameters).toContainEqual({
        ParameterKey: "BuildImage",
        ParameterValue: uri,
      });
    });
  });

  it("in-process: refused before any CloudFormation write call", async () => {
    await withRecordDigest(`sha256:${"1".repeat(64)}`, async () => {
      const before = awsCallLog.length;
      const err = await deployStack(captureContext(p.root).ctx, "ci", { bypassSkip: true }).catch(
        (e: unknown) => e,
      );
      expect((err as { exitCode?: number }).exitCode).toBe(9);
      const calls = awsCallLog.slice(before).map((c) => c.command);
      expect(calls.filter((c) => !/^(Describe|Get|List)/.test(c))).toEqual([]);
      expect(calls).not.toContain("CreateChangeSetCommand");
    });
  });
});
