import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CloudFormationClient, CreateStackCommand, DeleteStackCommand } from "@aws-sdk/client-cloudformation";
import {
  DescribeImagesCommand,
  DescribeRepositoriesCommand,
  ECRClient,
  GetLifecyclePolicyCommand,
  ListTagsForResourceCommand,
} from "@aws-sdk/client-ecr";
import { awsCallLog, ExitCode, RefusedError } from "@prebake/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closedPort } from "../../core/test/fault-tools.ts";
import { loadImageDefinition } from "../src/definition.ts";
import { lifecyclePolicyFor } from "../src/lifecycle/index.ts";
import { readImageManifest } from "../src/manifest.ts";
import { buildImageVersion, pushImageVersion } from "../src/release.ts";
import {
  cleanup,
  declareStack,
  makeRoot,
  runCli,
  suffix,
  type TestRoot,
  testContext,
  writeTinyImage,
} from "./fixtures.ts";

// Real Docker engine, registry (127.0.0.1:5050) and moto (127.0.0.1:5060); unique names per run.
const id = suffix();
const NAME = `tiny-${id}`;
const REPO = `prebake-test/tiny-${id}`;
const t: TestRoot = makeRoot();
const { ctx, output } = testContext(t.root);
const registry = ctx.config.profile.registry!;
const ecr = ctx.aws(ECRClient);

const def = () => loadImageDefinition(join(t.root, "images"), NAME);
const registryDigest = async (repo: string, tag: string) =>
  (
    await fetch(`http://${registry}/v2/${repo}/manifests/${tag}`, {
      method: "HEAD",
      headers: { accept: "application/vnd.docker.distribution.manifest.v2+json" },
    })
  ).headers.get("docker-content-digest");

beforeAll(() => {
  writeTinyImage(t, NAME, { repository: REPO });
});
afterAll(async () => {
  await cleanup(t, ctx);
});

describe("push against the local registry and moto", () => {
  // The first push of 1.0 is the block's setup: every test starts from "1.0 pushed once", whatever
  // ran before it. Tests that push something else use another version or an image of their own.
  let first: Awaited<ReturnType<typeof pushImageVersion>>;
  let firstOutput: string;
  beforeAll(async () => {
    first = await pushImageVersion(ctx, def(), "1.0");
    firstOutput = output();
  });

  it("builds, pushes the immutable tag then 1.0 and latest, records the image in moto, writes the manifest", async () => {
    expect(first.action).toBe("pushed");
    expect(first.reason).toMatch(/^built and pushed/);
    const [immutable] = first.tags;
    expect(immutable).toMatch(/^1\.0-[a-f0-9]{12}$/);
    expect(first.tags).toEqual([immutable, "1.0", "latest"]);
    for (const tag of first.tags) expect(await registryDigest(REPO, tag)).toBe(first.digest);

    const manifest = readImageManifest(t.root, NAME, "1.0")!;
    expect(manifest).toMatchObject({
      name: NAME,
      version: "1.0",
      repository: REPO,
      registry,
      digest: first.digest,
      uri: `${registry}/${REPO}@${first.digest}`,
      contentHash: first.contentHash,
    });
    expect(manifest.sizeBytes).toBeGreaterThan(1_000_000);

    // One image for 1.0 (another test may have pushed 2.0 next to it): the same manifest bytes, same digest.
    const images = await ecr.send(new DescribeImagesCommand({ repositoryName: REPO }));
    const mine = images.imageDetails?.filter((d) => d.imageTags?.some((tag) => tag.startsWith("1.0")));
    expect(mine?.map((d) => d.imageDigest)).toEqual([first.digest]);
    expect(new Set(mine![0]!.imageTags)).toEqual(new Set(first.tags));
    expect(firstOutput).toMatch(/Step \d+\/\d+ : RUN echo/);
  });

  it("reconciles the repository: scan on push, AES256, tags, immutable tags except the moving ones", async () => {
    const repo = (await ecr.send(new DescribeRepositoriesCommand({ repositoryNames: [REPO] })))
      .repositories![0]!;
    expect(repo.imageScanningConfiguration?.scanOnPush).toBe(true);
    expect(repo.encryptionConfiguration?.encryptionType).toBe("AES256");
    expect(repo.imageTagMutability).toBe("IMMUTABLE_WITH_EXCLUSION");
    expect(repo.imageTagMutabilityExclusionFilters?.map((f) => f.filter).sort()).toEqual([
      "1.0",
      "2.0",
      "latest",
    ]);
    const tags = await ecr.send(new ListTagsForResourceCommand({ resourceArn: repo.repositoryArn }));
    expect(tags.tags).toContainEqual({ Key: "Team", Value: "test" });
  });

  it("the lifecycle policy read back from moto equals the definition's", async () => {
    const res = await ecr.send(new GetLifecyclePolicyCommand({ repositoryName: REPO }));
    expect(JSON.parse(res.lifecyclePolicyText!)).toEqual(lifecyclePolicyFor(def()));
  });

  it("a second push builds and pushes nothing, says so, and only reads ECR", async () => {
    const before = (await ctx.docker().getImage(`${registry}/${REPO}:${first.tags[0]}`).inspect()).Id;
    const mark = output().length;
    const callsBefore = awsCallLog.length;
    const again = await pushImageVersion(ctx, def(), "1.0");
    const calls = awsCallLog.slice(callsBefore).map((c) => `${c.service}.${c.command}`);
    expect(calls.length).toBeGreaterThan(0);
    expect(calls.filter((c) => !/\.(Describe|Get|List|BatchGet)\w*Command$/.test(c))).toEqual([]);
    expect(again.action).toBe("skipped");
    expect(again.digest).toBe(first.digest);
    const said = output().slice(mark);
    expect(said).toContain("up to date");
    expect(said).toContain("nothing built or pushed");
    expect(said).not.toMatch(/building|pushing/);
    expect((await ctx.docker().getImage(`${registry}/${REPO}:${first.tags[0]}`).inspect()).Id).toBe(before);
  });

  it("an image already in the local engine is pushed without building", async () => {
    const built = await buildImageVersion(ctx, def(), "2.0");
    expect(built.action).toBe("built");
    const mark = output().length;
    const pushed = await pushImageVersion(ctx, def(), "2.0");
    expect(pushed.action).toBe("pushed");
    expect(pushed.tags).toEqual([built.tags[0], "2.0"]); // not the default version: latest stays
    expect(output().slice(mark)).toContain("in the local engine (content hash match): not building");
    expect(await registryDigest(REPO, "latest")).toBe(first.digest);
  });

  it("--force rebuilds (and the CLI reports it in --json)", () => {
    // An image of its own: a forced rebuild may move 1.0 and latest, which other tests read.
    const forced = `forced-${id}`;
    writeTinyImage(t, forced, { repository: `prebake-test/forced-${id}` });
    expect(runCli(t.root, ["push", forced]).code).toBe(0);
    const r = runCli(t.root, ["--json", "push", forced, "--force"]);
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout) as { action: string; reason: string; name: string };
    expect(result).toMatchObject({ name: forced, action: "pushed" });
    expect(result.reason).toMatch(/^built and pushed/);
    expect(r.stderr).toMatch(/building .*1\.0-/);
  });

  it("an unknown version exits 3 listing the known ones", () => {
    const r = runCli(t.root, ["push", NAME, "--version", "9.9"]);
    expect(r.code).toBe(ExitCode.CONFIG);
    expect(r.stderr).toContain(`prebake: error: images/${NAME}/image.yaml: versions: unknown version '9.9'`);
    expect(r.stderr).toContain("use one of: 1.0, 2.0");
  });

  it("prebake images lists the definitions with what was last pushed", () => {
    const r = runCli(t.root, ["--json", "images"]);
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout) as {
      name: string;
      version: string;
      default: boolean;
      digest?: string;
    }[];
    const mine = rows.filter((row) => row.name === NAME); // pushed: 1.0 (this block's setup)
    expect(mine.map((row) => [row.version, row.default])).toEqual([
      ["1.0", true],
      ["2.0", false],
    ]);
    expect(mine[0]!.digest).toBe(readImageManifest(t.root, NAME, "1.0")!.digest);
  });

  it("an unreachable AWS endpoint (moto down) exits 5 with the fix, nothing pushed", async () => {
    const r = runCli(t.root, ["push", NAME, "--build-arg", "LINE=unreachable"], {
      PREBAKE_AWS_ENDPOINT: `http://127.0.0.1:${await closedPort()}`,
    });
    expect(r.code).toBe(ExitCode.UNAVAILABLE);
    expect(r.stderr).toContain("cannot reach the AWS API");
    expect(r.stdout).not.toContain("building");
  });

  it("an unreachable registry exits 5 before building anything", async () => {
    const closed = `127.0.0.1:${await closedPort()}`;
    const r = runCli(t.root, ["push", NAME], { PREBAKE_REGISTRY: closed });
    expect(r.code).toBe(ExitCode.UNAVAILABLE);
    expect(r.stderr).toContain(`registry ${closed}: cannot reach the registry`);
    expect(r.stdout).not.toContain("building");
  });
});

describe("bad definitions and failing builds", () => {
  const bad = `bad-${id}`;
  beforeAll(() => {
    writeTinyImage(t, bad, {
      repository: `prebake-test/bad-${id}`,
      dockerfile: `ARG BASE_IMAGE
FROM \${BASE_IMAGE}
RUN echo compiling && echo "checksum mismatch for otp_src.tar.gz" >&2 && exit 3
RUN echo never
`,
    });
  });

  it("a failing RUN exits 8 naming the image, the step and its last output; nothing reaches the registry", async () => {
    const r = runCli(t.root, ["push", bad]);
    expect(r.code).toBe(ExitCode.BUILD_FAILED);
    const line = r.stderr.split("\n").find((l) => l.startsWith("prebake: error:"))!;
    expect(line).toMatch(new RegExp(`image ${bad}:1\\.0: Step \\d+/\\d+ : RUN echo compiling`));
    expect(line).toContain("(exit code 3)");
    // stdout and stderr of a RUN interleave in either order.
    expect(line).toMatch(/last output: .*compiling/);
    expect(line).toMatch(/last output: .*checksum mismatch for otp_src\.tar\.gz/);
    // Nothing of the failed build reaches the registry (checked here, after the push that failed:
    // on its own this would pass before any push).
    expect(await registryDigest(`prebake-test/bad-${id}`, "latest")).toBeNull();
  });

  it("a missing Dockerfile exits 3 naming the field", () => {
    // A definition of its own in a folder of its own: rewriting the failing image's would change what
    // the other tests build, and a broken definition next to theirs would fail `prebake images`.
    const missing = `missing-${id}`;
    const own = makeRoot();
    mkdirSync(join(own.root, "images", missing), { recursive: true });
    writeFileSync(
      join(own.root, "images", missing, "image.yaml"),
      `name: ${missing}\nrepository: x/y\ndefaultVersion: "1"\nbase: { local: a }\nversions: { "1": {} }\ndockerfile: Missing.Dockerfile\n`,
    );
    const r = runCli(own.root, ["build-image", missing]);
    rmSync(own.root, { recursive: true, force: true });
    expect(r.code).toBe(ExitCode.CONFIG);
    expect(r.stderr).toContain(`images/${missing}/image.yaml: dockerfile: no such file Missing.Dockerfile`);
  });
});

describe("lifecycle safety against a deployed stack", () => {
  const name = `inuse-${id}`;
  const repo = `prebake-test/inuse-${id}`;
  // One of the project's stacks (project prebake, folder test-inuse-<id>): the scan names them.
  const stack = `prebake-test-inuse-${id}`;
  const cfn = ctx.aws(CloudFormationClient);

  afterAll(async () => {
    await cfn.send(new DeleteStackCommand({ StackName: stack })).catch(() => undefined);
  });

  it("refuses (exit 9) to push when the policy would expire an image a stack uses; nothing is pushed", async () => {
    writeTinyImage(t, name, { repository: repo, keepPerVersion: 1 });
    declareStack(t, `test-inuse-${id}`);
    const d = () => loadImageDefinition(join(t.root, "images"), name);
    const used = await pushImageVersion(ctx, d(), "1.0");
    await cfn.send(
      new CreateStackCommand({
        StackName: stack,
        TemplateBody: JSON.stringify({
          Parameters: { CodeBuildImage: { Type: "String" } },
          Resources: {
            // moto needs the Name (without it CreateStack answers HTTP 500).
            Pin: {
              Type: "AWS::SSM::Parameter",
              Properties: { Name: `/prebake-test/${id}`, Type: "String", Value: { Ref: "CodeBuildImage" } },
            },
          },
        }),
        Parameters: [{ ParameterKey: "CodeBuildImage", ParameterValue: used.uri! }],
      }),
    );
    // A new image in the 1.0 line: with keepPerVersion 1 the policy would expire the one the stack uses.
    writeFileSync(join(t.root, "images", name, "hello.txt"), "changed\n");
    const err = await pushImageVersion(ctx, d(), "1.0").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RefusedError);
    const line = (err as RefusedError).toLine();
    expect(line).toContain(used.digest!);
    expect(line).toContain(`deployed stack ${stack} (parameter CodeBuildImage, by digest)`);
    expect((err as RefusedError).exitCode).toBe(9);
    // Nothing half-done: the moving tags still point at the image in use, and the registry holds only it.
    expect(await registryDigest(repo, "latest")).toBe(used.digest);
    expect(await registryDigest(repo, "1.0")).toBe(used.digest);
    const images = await ecr.send(new DescribeImagesCommand({ repositoryName: repo }));
    expect(images.imageDetails?.map((i) => i.imageDigest)).toEqual([used.digest]);

    // Once the stack no longer pins it, the same push goes through.
    await cfn.send(new DeleteStackCommand({ StackName: stack }));
    const next = await pushImageVersion(ctx, d(), "1.0");
    expect(next.action).toBe("pushed");
    expect(await registryDigest(repo, "latest")).toBe(next.digest);
  });
});
