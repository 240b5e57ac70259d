/**
 * The aws profile's image path, run unchanged against stand-ins that demand credentials: moto for
 * the AWS API (credentials from the environment the SDK reads) and the ECR stand-in of
 * scripts/local-env.sh (docker-registry demanding user AWS and the token's password), which
 * prebake.config.yaml's `ecrRegistry` maps ECR's host to. Fault cases use the test's own registry
 * or a fault proxy on ports the OS assigns. Every test pushes its own image (unique repository).
 */
import { randomBytes } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CloudFormationClient,
  CreateStackCommand,
  DeleteStackCommand,
  waitUntilStackCreateComplete,
} from "@aws-sdk/client-cloudformation";
import {
  CreateRepositoryCommand,
  DescribeImagesCommand,
  DescribeRepositoriesCommand,
  ECRClient,
  GetLifecyclePolicyCommand,
  PutLifecyclePolicyCommand,
} from "@aws-sdk/client-ecr";
import { ExitCode } from "@prebake/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HoldingProxy } from "../../core/test/fault-tools.ts";
import { readImageManifest } from "../src/manifest.ts";
import {
  awsContext,
  cleanupAws,
  digestIn,
  type MotoLogin,
  makeAwsRoot,
  motoLogin,
  prebake,
  pushBaseImage,
  registryFetch,
  STANDIN,
} from "./aws-standin.ts";
import { suffix } from "./fixtures.ts";
import { startOwnRegistry } from "./own-registry.ts";

const id = suffix();
const BASE_REPO = `prebake-test/aws-base-${id}`;
const repos: string[] = [BASE_REPO];
const roots: string[] = [];
let login: MotoLogin;
let base: { reference: string; digest: string };

const { ctx: anyCtx } = awsContext(makeAwsRoot());
const ecr = anyCtx.aws(ECRClient);

/** A root on the aws profile holding one tiny image whose base is in the stand-in, under ECR's host. */
function imageRoot(name: string, options: { ecrRegistry?: string; keep?: number; file?: string } = {}) {
  const root = makeAwsRoot(options.ecrRegistry ?? STANDIN);
  roots.push(root);
  const repo = `prebake-test/${name}`;
  repos.push(repo);
  const dir = join(root, "images", name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, "image.yaml"),
    `name: ${name}\nrepository: ${repo}\ndefaultVersion: "1.0"\nbase: { aws: "${base.reference}" }\nversions: { "1.0": {} }\nlifecycle: { keepPerVersion: ${options.keep ?? 3} }\n`,
  );
  writeFileSync(join(dir, "Dockerfile"), `ARG BASE_IMAGE\nFROM \${BASE_IMAGE}\nCOPY hello.txt /hello.txt\n`);
  writeFileSync(join(dir, "hello.txt"), `${options.file ?? name}\n`);
  return { root, name, repo, dir };
}

const push = (root: string, name: string, extra: string[] = []) =>
  prebake(root, ["--json", ...extra, "push", name]);
const pushed = (r: { stdout: string }) =>
  JSON.parse(r.stdout) as { action: string; digest: string; uri: string; tags: string[] };
const standinDigest = (repo: string, tag: string) => digestIn(STANDIN, login, repo, tag);
async function motoTags(repo: string): Promise<Record<string, string>> {
  const res = await ecr.send(new DescribeImagesCommand({ repositoryName: repo }));
  const tags: Record<string, string> = {};
  for (const image of res.imageDetails ?? [])
    for (const t of image.imageTags ?? []) tags[t] = image.imageDigest!;
  return tags;
}

/** The layer digests of a manifest in the stand-in (what an image is built from). */
async function layersOf(repo: string, reference: string): Promise<string[]> {
  const res = await registryFetch(STANDIN, login, `${repo}/manifests/${reference}`);
  const manifest = (await res.json()) as { layers: { digest: string }[] };
  return manifest.layers.map((l) => l.digest);
}

/** Every file under a folder, as text (what prebake wrote: dist/, .prebake/). */
function filesUnder(dir: string): { file: string; text: string }[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .map((f) => join(dir, f))
    .filter((f) => statSync(f).isFile())
    .map((file) => ({ file, text: readFileSync(file, "latin1") }));
}

beforeAll(async () => {
  login = await motoLogin();
  base = await pushBaseImage(anyCtx.docker(), login, STANDIN, BASE_REPO, "bookworm", `base ${id}`);
});

afterAll(async () => {
  await cleanupAws(anyCtx, login, STANDIN, repos);
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

describe("the aws profile against moto and the ECR stand-in", () => {
  it("logs in with the emulator's token (expired since 2015: used, the registry decides), pushes, moves 1.0 and latest; URIs keep ECR's host", async () => {
    expect(login.expiresAt.getTime()).toBeLessThan(Date.now());
    const img = imageRoot(`aws-push-${id}`);
    const r = await push(img.root, img.name);
    expect(r.code, r.output).toBe(0);
    const result = pushed(r);
    expect(result.action).toBe("pushed");
    expect(result.tags).toEqual([expect.stringMatching(/^1\.0-[a-f0-9]{12}$/), "1.0", "latest"]);
    expect(result.uri).toBe(`${login.host}/${img.repo}@${result.digest}`);
    expect(readImageManifest(img.root, img.name, "1.0")).toMatchObject({
      registry: login.host,
      digest: result.digest,
      uri: result.uri,
    });
    // The bytes went to the stand-in (authenticated), and ECR's API (moto) lists the same image.
    for (const tag of result.tags) expect(await standinDigest(img.repo, tag)).toBe(result.digest);
    expect(await motoTags(img.repo)).toEqual(Object.fromEntries(result.tags.map((t) => [t, result.digest])));

    const again = await push(img.root, img.name);
    expect(again.code, again.output).toBe(0);
    expect(pushed(again)).toMatchObject({ action: "skipped", digest: result.digest });
  });

  it("the base's digest comes from the registry the profile names, asked with ECR's credentials", async () => {
    const baseRepo = `prebake-test/aws-base2-${id}`;
    repos.push(baseRepo);
    const docker = anyCtx.docker();
    const first = await pushBaseImage(docker, login, STANDIN, baseRepo, "1", `first ${id}`);
    const img = imageRoot(`aws-basedigest-${id}`);
    const yaml = join(img.dir, "image.yaml");
    writeFileSync(yaml, readFileSync(yaml, "utf8").replace(base.reference, first.reference));
    const r1 = await push(img.root, img.name);
    expect(r1.code, r1.output).toBe(0);

    // Same tag, new content: only the registry's digest tells the two bases apart.
    const second = await pushBaseImage(docker, login, STANDIN, baseRepo, "1", `second ${id}`);
    expect(second.digest).not.toBe(first.digest);
    const r2 = await push(img.root, img.name);
    expect(r2.code, r2.output).toBe(0);
    expect(pushed(r2).action).toBe("pushed");
    expect(pushed(r2).tags[0]).not.toBe(pushed(r1).tags[0]);
    // Built FROM the new base, pulled from the stand-in through the mapping.
    const baseLayers = await layersOf(baseRepo, second.digest);
    expect((await layersOf(img.repo, pushed(r2).digest)).slice(0, baseLayers.length)).toEqual(baseLayers);
  });

  it("reconciles a repository whose settings drifted: scan on push, tag immutability, a foreign lifecycle policy", async () => {
    const img = imageRoot(`aws-drift-${id}`);
    await ecr.send(
      new CreateRepositoryCommand({
        repositoryName: img.repo,
        imageScanningConfiguration: { scanOnPush: false },
        imageTagMutability: "MUTABLE",
      }),
    );
    const foreign = {
      rules: [
        {
          rulePriority: 1,
          description: "someone else's rule",
          selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: 50 },
          action: { type: "expire" },
        },
      ],
    };
    await ecr.send(
      new PutLifecyclePolicyCommand({
        repositoryName: img.repo,
        lifecyclePolicyText: JSON.stringify(foreign),
      }),
    );
    const r = await push(img.root, img.name);
    expect(r.code, r.output).toBe(0);
    expect(r.output).toContain(`${img.repo}: turning scan on push on`);
    expect(r.output).toContain(`${img.repo}: tags immutable except 1.0, latest`);
    expect(r.output).toContain(`${img.repo}: applying lifecycle policy`);

    const repo = (await ecr.send(new DescribeRepositoriesCommand({ repositoryNames: [img.repo] })))
      .repositories![0]!;
    expect(repo.imageScanningConfiguration?.scanOnPush).toBe(true);
    expect(repo.imageTagMutability).toBe("IMMUTABLE_WITH_EXCLUSION");
    expect(repo.imageTagMutabilityExclusionFilters?.map((f) => f.filter).sort()).toEqual(["1.0", "latest"]);
    const policy = await ecr.send(new GetLifecyclePolicyCommand({ repositoryName: img.repo }));
    const rules = (JSON.parse(policy.lifecyclePolicyText!) as typeof foreign).rules;
    expect(rules.map((rule) => rule.description)).not.toContain("someone else's rule");
    expect(rules[0]!.selection).toMatchObject({ tagPrefixList: ["1.0-"], countNumber: 3 });
  });

  it("refuses (exit 9) a push whose lifecycle policy would expire an image a stack uses by its ECR URI; nothing moves", async () => {
    const img = imageRoot(`aws-inuse-${id}`, { keep: 1 });
    const r1 = await push(img.root, img.name);
    expect(r1.code, r1.output).toBe(0);
    const first = pushed(r1);
    // A stack of the project (stacks/<folder>/, deployed as <project>-<folder>): the in-use scan
    // describes the project's stacks by name, the only DescribeStacks a scoped role may make.
    const folder = `inuse${id}`.toLowerCase().replace(/[^a-z0-9]/g, "");
    const stack = `prebake-${folder}`;
    const templateBody = JSON.stringify({
      Parameters: { Image: { Type: "String" } },
      Resources: {
        P: {
          Type: "AWS::SSM::Parameter",
          Properties: { Name: `/prebake-test/${id}/aws-inuse`, Type: "String", Value: { Ref: "Image" } },
        },
      },
    });
    mkdirSync(join(img.root, "stacks", folder), { recursive: true });
    writeFileSync(join(img.root, "stacks", folder, "stack.yaml"), `${templateBody}\n`);
    const cfn = anyCtx.aws(CloudFormationClient);
    await cfn.send(
      new CreateStackCommand({
        StackName: stack,
        TemplateBody: templateBody,
        Parameters: [{ ParameterKey: "Image", ParameterValue: first.uri }],
      }),
    );
    try {
      await waitUntilStackCreateComplete({ client: cfn, maxWaitTime: 120 }, { StackName: stack });
      writeFileSync(join(img.dir, "hello.txt"), "a newer image pushes the first out of keepPerVersion: 1\n");
      const r2 = await push(img.root, img.name);
      expect(r2.code, r2.output).toBe(ExitCode.REFUSED);
      expect(r2.output).toContain(first.digest);
      expect(r2.output).toContain(stack);
      expect(await standinDigest(img.repo, "1.0")).toBe(first.digest);
      expect(await standinDigest(img.repo, "latest")).toBe(first.digest);
      expect(await motoTags(img.repo)).toEqual(Object.fromEntries(first.tags.map((t) => [t, first.digest])));
      const tags = (await (await registryFetch(STANDIN, login, `${img.repo}/tags/list`)).json()) as {
        tags: string[];
      };
      expect(tags.tags.sort()).toEqual([...first.tags].sort()); // the new image was never pushed
    } finally {
      await cfn.send(new DeleteStackCommand({ StackName: stack }));
    }
  });

  it("a registry that refuses the token's password: exit 6, and the token is printed or written nowhere", async () => {
    const dir = mkdtempSync(join(tmpdir(), "prebake-aws-wrongpw-"));
    roots.push(dir);
    const own = await startOwnRegistry(dir, { password: "not-the-token-the-emulator-hands-out" });
    try {
      const img = imageRoot(`aws-authfail-${id}`, { ecrRegistry: own.address });
      const r = await prebake(img.root, ["--json", "--verbose", "push", img.name]);
      expect(r.code, r.output).toBe(ExitCode.AUTH);
      expect(r.output).toContain(`prebake: error: base image ${base.reference} (at ${own.address}/`);
      expect(r.output).toContain("refused the credentials");
      const secrets = [login.password, login.token];
      const places = [
        { file: "stdout", text: r.stdout },
        { file: "stderr", text: r.output },
        ...filesUnder(join(img.root, ".prebake")),
        ...filesUnder(join(img.root, "dist")),
      ];
      for (const { file, text } of places)
        for (const secret of secrets) expect(text, file).not.toContain(secret);
    } finally {
      await own.stop();
    }
  });
});

describe("the aws profile's push through a registry that fails", () => {
  // core's fault proxy in front of the stand-in: it holds nothing here; it refuses what `refuse`
  // picks (500) and cuts uploads when told to.
  let refuse: (method: string, path: string) => boolean = () => false;
  const [host, port] = STANDIN.split(":");
  const proxy = new HoldingProxy(
    { host: host!, port: Number(port) },
    () => false,
    (req) => refuse(req.method ?? "", req.url ?? ""),
  );
  beforeAll(async () => {
    await proxy.start();
  });
  afterAll(async () => {
    await proxy.stop();
  });

  it("storage refusing the upload halfway (HTTP 500 after 2 MB of 8): exit 5, 1.0 and latest unmoved (registry and ECR), a rerun completes", async () => {
    proxy.cutUploadsAfter = undefined;
    refuse = () => false;
    const img = imageRoot(`aws-halfway-${id}`, { ecrRegistry: proxy.host });
    const r1 = await push(img.root, img.name);
    expect(r1.code, r1.output).toBe(0);
    const before = pushed(r1).digest;

    // A new 8 MB layer of random bytes (gzip cannot shrink it), built first so the push only pushes.
    writeFileSync(join(img.dir, "hello.txt"), randomText(8_000_000));
    const built = await prebake(img.root, ["build-image", img.name]);
    expect(built.code, built.output).toBe(0);
    proxy.cutUploadsAfter = proxy.uploadedBytes + 2_000_000;
    const r2 = await push(img.root, img.name);
    expect(r2.code, r2.output).toBe(ExitCode.UNAVAILABLE);
    expect(r2.output).toContain(
      `prebake: error: registry ${proxy.host}: pushing ${proxy.host}/${img.repo}:1.0-`,
    );
    expect(await standinDigest(img.repo, "1.0")).toBe(before);
    expect(await standinDigest(img.repo, "latest")).toBe(before);
    expect(await motoTags(img.repo)).toMatchObject({ "1.0": before, latest: before });
    expect(readImageManifest(img.root, img.name, "1.0")!.digest).toBe(before);

    proxy.cutUploadsAfter = undefined;
    const r3 = await push(img.root, img.name);
    expect(r3.code, r3.output).toBe(0);
    const after = pushed(r3);
    expect(after.action).toBe("pushed");
    expect(after.digest).not.toBe(before);
    expect(readImageManifest(img.root, img.name, "1.0")!.digest).toBe(after.digest);
    for (const tag of after.tags) expect(await standinDigest(img.repo, tag)).toBe(after.digest);
    expect(await motoTags(img.repo)).toMatchObject({ "1.0": after.digest, latest: after.digest });
  });

  it("a moving-tag update that fails partway (latest refused) is completed by the next push", async () => {
    proxy.cutUploadsAfter = undefined;
    refuse = () => false;
    const img = imageRoot(`aws-movetags-${id}`, { ecrRegistry: proxy.host });
    const r1 = await push(img.root, img.name);
    expect(r1.code, r1.output).toBe(0);
    const before = pushed(r1).digest;

    writeFileSync(join(img.dir, "hello.txt"), "second image\n");
    refuse = (method, path) => method === "PUT" && path === `/v2/${img.repo}/manifests/latest`;
    const r2 = await push(img.root, img.name);
    expect(r2.code, r2.output).toBe(ExitCode.UNAVAILABLE);
    expect(r2.output).toContain(`PUT ${img.repo}:latest`);
    // Partway: 1.0 moved (registry and ECR), latest did not; the record still names the old image.
    const moved = await standinDigest(img.repo, "1.0");
    expect(moved).not.toBe(before);
    expect(await standinDigest(img.repo, "latest")).toBe(before);
    expect(await motoTags(img.repo)).toMatchObject({ "1.0": moved, latest: before });
    expect(readImageManifest(img.root, img.name, "1.0")!.digest).toBe(before);

    refuse = () => false;
    const r3 = await push(img.root, img.name);
    expect(r3.code, r3.output).toBe(0);
    const done = pushed(r3);
    expect(done).toMatchObject({ action: "skipped", digest: moved });
    expect(r3.output).toContain("(moved latest)");
    expect(await standinDigest(img.repo, "latest")).toBe(moved);
    expect(await motoTags(img.repo)).toMatchObject({ "1.0": moved, latest: moved });
    expect(readImageManifest(img.root, img.name, "1.0")!.digest).toBe(moved);
  });
});

/** Random bytes as text (base64): incompressible enough that the layer stays large. */
function randomText(bytes: number): string {
  return randomBytes(Math.ceil((bytes * 3) / 4)).toString("base64");
}
