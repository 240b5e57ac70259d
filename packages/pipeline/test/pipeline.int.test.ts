/**
 * `prebake pipeline run` in the local profile, end to end: the real stacks/ci/stack.yaml pipeline
 * (source archive, then both build actions in their pushed images), artifacts passed between
 * actions (a secondary input at CODEBUILD_SRC_DIR_<name>), a failing action (exit 8, the rest of
 * its runOrder still runs, nothing after it), and a signal mid-build. Real engine, registry and moto;
 * every image goes to a unique repository, and the test's own containers and temp folders are counted.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DeleteRepositoryCommand, ECRClient } from "@aws-sdk/client-ecr";
import { createContext } from "@prebake/core";
import { loadImageDefinition, pushImageVersion } from "@prebake/images";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import yauzl from "yauzl";
import { bytesUnder, hostCanary } from "../../core/test/canary.ts";
import { erlangStandIn, FixtureProject, leftoverContainers, prebake, repo } from "./fixture.ts";

const id = randomBytes(3).toString("hex");
const ERLANG_REPOSITORY = `prebake-test/pl-erlang-${id}`;
const LAYER_REPOSITORY = `prebake-test/pl-python-layer-${id}`;

/** The file names in a zip. */
function zipEntries(file: string): Promise<string[]> {
  return new Promise((res, rej) =>
    yauzl.open(file, { lazyEntries: true }, (err, zip) => {
      if (err || !zip) return rej(err);
      const names: string[] = [];
      zip.on("entry", (e: yauzl.Entry) => {
        names.push(e.fileName);
        zip.readEntry();
      });
      zip.on("end", () => res(names));
      zip.readEntry();
    }),
  );
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** A fresh TMPDIR for one CLI run, and what the run left in it. */
function tmpFor(): { tmp: string; left: () => string[] } {
  const tmp = mkdtempSync(join(tmpdir(), "prebake-pl-tmp-"));
  return { tmp, left: () => readdirSync(tmp).filter((n) => n.startsWith("prebake-pipeline-")) };
}

describe("prebake pipeline run ci (the real ci pipeline, locally)", () => {
  const project = new FixtureProject();
  const uris: Record<string, string> = {};

  beforeAll(async () => {
    const base = erlangStandIn();
    project
      .write("prebake.config.yaml", `profile: local\nproject: pl${id}\n`)
      .copy("stacks/ci/stack.yaml")
      .copy("buildspecs/erlang-app.yml")
      .copy("apps/hello-erlang")
      .copy("layers/common-utils")
      .copy("images/python-layer")
      .copy("buildspecs/python-layer.yml")
      .write(
        "images/erlang-otp/image.yaml",
        `name: erlang-otp\nrepository: ${ERLANG_REPOSITORY}\ndefaultVersion: "27"\nbase: { local: ${base} }\nversions: { "27": {} }\n`,
      )
      .write("images/erlang-otp/Dockerfile", "ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\n");
    const layerYaml = join(project.root, "images/python-layer/image.yaml");
    project.write(
      "images/python-layer/image.yaml",
      readFileSync(layerYaml, "utf8").replace(/^repository: .*$/m, `repository: ${LAYER_REPOSITORY}`),
    );
    project.commit();
    // Not committed (the source zip is the committed tree): python-layer's generated prebake bundle
    // is made by this checkout's bundler (image.yaml generated:).
    symlinkSync(join(repo, "packages"), join(project.root, "packages"));
    const ctx = createContext({ cwd: project.root, quiet: true, env: {} });
    for (const [name, version] of [
      ["erlang-otp", "27"],
      ["python-layer", "3.11"],
    ] as const) {
      const pushed = await pushImageVersion(
        ctx,
        loadImageDefinition(join(project.root, "images"), name),
        version,
      );
      uris[name] = pushed.uri!;
    }
  });

  afterAll(async () => {
    const ctx = createContext({ cwd: project.root, quiet: true, env: {} });
    for (const repositoryName of [ERLANG_REPOSITORY, LAYER_REPOSITORY]) {
      await ctx
        .aws(ECRClient)
        .send(new DeleteRepositoryCommand({ repositoryName, force: true }))
        .catch(() => undefined);
      // Untag only: the layers are shared with the images they are built from.
      for (const image of await ctx.docker().listImages()) {
        for (const tag of [...(image.RepoTags ?? []), ...(image.RepoDigests ?? [])]) {
          if (tag.includes(repositoryName))
            await ctx
              .docker()
              .getImage(tag)
              .remove({ noprune: true })
              .catch(() => undefined);
        }
      }
    }
    rmSync(project.root, { recursive: true, force: true });
  });

  it("runs the source action, then both build actions in their images; artifacts are zips", async () => {
    const { tmp, left } = tmpFor();
    const r = await prebake(project.root, ["--json", "pipeline", "run", "ci"], { tmp });
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    const result = JSON.parse(r.stdout) as { status: string; actions: Record<string, unknown>[] };
    expect(result.status).toBe("Succeeded");
    expect(result.actions.map((a) => [a.stage, a.action, a.provider, a.status])).toEqual([
      ["Source", "SourceArchive", "S3", "Succeeded"],
      ["Build", "hello-erlang", "CodeBuild", "Succeeded"],
      ["Build", "common-utils", "CodeBuild", "Succeeded"],
    ]);
    // Each build ran in its project's pushed, digest-pinned image.
    expect(String(result.actions[1]!.detail)).toMatch(
      new RegExp(`^${escapeRegExp(uris["erlang-otp"]!)} -> hello-erlang-release\\.zip \\(\\d+ files\\)$`),
    );
    expect(result.actions[2]!.detail).toBe(`${uris["python-layer"]} -> common-utils-layer.zip (1 files)`);
    expect(r.stderr).toMatch(/9 tests, 0 failures/); // rebar3 eunit ran in the Erlang image
    expect(r.stderr).toContain("hello-erlang, common-utils share RunOrder 1");
    // The real layer buildspec: install only activates, and the prebake baked into the image builds
    // the layer with pip from this machine's indexes (the local runner's package index).
    expect(r.stderr).toContain("local package index: this machine's pip indexes");
    expect(r.stderr).toContain("building in this machine (inside the python-layer image)");
    expect(r.stderr).toMatch(/Build\s+hello-erlang\s+CodeBuild\s+Succeeded\s+\S+/);

    const artifacts = join(project.root, "dist/pipelines/ci");
    expect(readdirSync(artifacts).sort()).toEqual([
      "Source.zip",
      "common-utils-layer.zip",
      "hello-erlang-release.zip",
    ]);
    expect(await zipEntries(join(artifacts, "Source.zip"))).toContain("buildspecs/python-layer.yml");
    expect(await zipEntries(join(artifacts, "hello-erlang-release.zip"))).toContain(
      "hello_erlang/bin/hello_erlang",
    );
    expect(await zipEntries(join(artifacts, "common-utils-layer.zip"))).toEqual(["common-utils.zip"]);
    expect(leftoverContainers(r.pid)).toBe("");
    expect(left()).toEqual([]);
  });
});

/** A CodeBuild project on the local base image, with the buildspec at `buildspec` in its source. */
const project = (name: string, buildspec: string) => `  ${name}:
    Type: AWS::CodeBuild::Project
    Properties:
      Name: !Sub \${AWS::StackName}-${name.toLowerCase()}
      ServiceRole: arn:aws:iam::123456789012:role/none
      Source: { Type: CODEPIPELINE, BuildSpec: ${buildspec} }
      Artifacts: { Type: CODEPIPELINE }
      Environment: { Type: LINUX_CONTAINER, ComputeType: BUILD_GENERAL1_SMALL, Image: prebake/debian:bookworm }
`;

const SOURCE_STAGE = `        - Name: Source
          Actions:
            - Name: Checkout
              ActionTypeId: { Category: Source, Owner: AWS, Provider: S3, Version: "1" }
              Configuration: { S3Bucket: bucket, S3ObjectKey: source.zip }
              OutputArtifacts: [{ Name: Source }]
`;

/** A build action; `project` is either a !Ref or the project's physical name. */
const action = (o: {
  name: string;
  project: string;
  order: number;
  inputs: string[];
  output?: string;
  extra?: string;
}) =>
  `            - Name: ${o.name}
              ActionTypeId: { Category: Build, Owner: AWS, Provider: CodeBuild, Version: "1" }
              Configuration: { ProjectName: ${o.project}${o.extra ?? ""} }
              RunOrder: ${o.order}
              InputArtifacts: [${o.inputs.map((i) => `{ Name: ${i} }`).join(", ")}]
${o.output ? `              OutputArtifacts: [{ Name: ${o.output} }]\n` : ""}`;

const stack = (projects: string, stages: string) => `AWSTemplateFormatVersion: "2010-09-09"
Resources:
${projects}  Pipeline:
    Type: AWS::CodePipeline::Pipeline
    Properties:
      Name: !Sub \${AWS::StackName}
      RoleArn: arn:aws:iam::123456789012:role/none
      ArtifactStore: { Type: S3, Location: bucket }
      Stages:
${SOURCE_STAGE}${stages}`;

describe("prebake pipeline run: artifacts between actions, failures, signals", () => {
  const fixture = new FixtureProject();
  /** A host file (think /etc/shadow) that a build links into its output; its content must reach no artifact. */
  const canary = hostCanary("shadow");

  beforeAll(() => {
    fixture
      .write("prebake.config.yaml", `profile: local\nproject: pf${id}\n`)
      .write("input.txt", "from the commit\n")
      .write(
        "buildspecs/make.yml",
        `version: 0.2
phases:
  build:
    commands:
      - mkdir -p out/bin
      - echo "made from $(cat input.txt)" > out/made.txt
      - printf '#!/bin/sh\\necho tool-ran\\n' > out/bin/tool && chmod +x out/bin/tool
artifacts:
  base-directory: out
  files: ["**/*"]
`,
      )
      .write(
        "buildspecs/use.yml",
        `version: 0.2
phases:
  build:
    commands:
      - 'echo "primary=$CODEBUILD_SRC_DIR secondary=$CODEBUILD_SRC_DIR_Made"'
      - test -f input.txt
      - cat "$CODEBUILD_SRC_DIR_Made/made.txt"
      - '"$CODEBUILD_SRC_DIR_Made/bin/tool"'
      - 'echo "initiator=$CODEBUILD_INITIATOR"'
      - mkdir -p used && cp "$CODEBUILD_SRC_DIR_Made/made.txt" used/
artifacts:
  base-directory: used
  files: ["*"]
`,
      )
      .write(
        "buildspecs/fail.yml",
        "version: 0.2\nphases:\n  build:\n    commands:\n      - echo failing-now\n      - exit_1() { return 1; }; exit_1\n",
      )
      .write(
        "buildspecs/ok.yml",
        "version: 0.2\nphases:\n  build:\n    commands:\n      - echo ran-$GREETING\n",
      )
      .write(
        "buildspecs/slow.yml",
        "version: 0.2\nphases:\n  build:\n    commands:\n      - echo slow-started\n      - sleep 300\n",
      )
      .write(
        "stacks/flow/stack.yaml",
        stack(
          project("Make", "buildspecs/make.yml") + project("Use", "buildspecs/use.yml"),
          `        - Name: Build
          Actions:
${action({ name: "MakeIt", project: '!Sub "${AWS::StackName}-make"', order: 1, inputs: ["Source"], output: "Made" })}${action({ name: "UseIt", project: "!Ref Use", order: 2, inputs: ["Source", "Made"], output: "Used", extra: ", PrimarySource: Source" })}`,
        ),
      )
      .write(
        "stacks/broken/stack.yaml",
        stack(
          project("Fail", "buildspecs/fail.yml") + project("Ok", "buildspecs/ok.yml"),
          `        - Name: Build
          Actions:
${action({ name: "Fails", project: "!Ref Fail", order: 1, inputs: ["Source"] })}${action({ name: "AlsoRuns", project: "!Ref Ok", order: 1, inputs: ["Source"], extra: `, EnvironmentVariables: '[{"name":"GREETING","value":"anyway","type":"PLAINTEXT"}]'` })}${action({ name: "Later", project: "!Ref Ok", order: 2, inputs: ["Source"] })}        - Name: Deploy
          Actions:
${action({ name: "Final", project: "!Ref Ok", order: 1, inputs: ["Source"] })}`,
        ),
      )
      .write(
        "buildspecs/links.yml",
        `version: 0.2
phases:
  build:
    commands:
      - mkdir -p out/bin && echo made > out/bin/made.txt
      - ln -s bin/made.txt out/alias && ln -s bin out/bindir && ln -s missing out/dangling
artifacts:
  base-directory: out
  files: ["**/*"]
  enable-symlinks: yes
`,
      )
      .write(
        "buildspecs/read-links.yml",
        `version: 0.2
phases:
  build:
    commands:
      - 'echo "committed link: $(readlink input-link) -> $(cat input-link)"'
      - 'echo "alias: $(readlink "$CODEBUILD_SRC_DIR_Linked/alias") -> $(cat "$CODEBUILD_SRC_DIR_Linked/alias")"'
      - 'echo "bindir: $(readlink "$CODEBUILD_SRC_DIR_Linked/bindir"), dangling: $(readlink "$CODEBUILD_SRC_DIR_Linked/dangling")"'
`,
      )
      .write(
        "buildspecs/leak.yml",
        `version: 0.2
phases:
  build:
    commands:
      - mkdir -p out && echo made > out/made.txt
      - ln -s "$HOST_CANARY" out/leak
artifacts:
  base-directory: out
  files: ["**/*"]
  enable-symlinks: yes
`,
      )
      .write(
        "stacks/links/stack.yaml",
        stack(
          project("Links", "buildspecs/links.yml") + project("ReadLinks", "buildspecs/read-links.yml"),
          `        - Name: Build
          Actions:
${action({ name: "MakeLinks", project: "!Ref Links", order: 1, inputs: ["Source"], output: "Linked" })}${action({ name: "ReadLinks", project: "!Ref ReadLinks", order: 2, inputs: ["Source", "Linked"], extra: ", PrimarySource: Source" })}`,
        ),
      )
      .write(
        "stacks/leak/stack.yaml",
        stack(
          project("Leak", "buildspecs/leak.yml"),
          `        - Name: Build
          Actions:
${action({ name: "Leaks", project: "!Ref Leak", order: 1, inputs: ["Source"], output: "Leaked", extra: `, EnvironmentVariables: '[{"name":"HOST_CANARY","value":"${canary.path}","type":"PLAINTEXT"}]'` })}`,
        ),
      )
      .write(
        "buildspecs/paced.yml",
        "version: 0.2\nphases:\n  build:\n    commands:\n      - echo paced-started\n      - sleep 4\n      - mkdir -p out && echo paced > out/paced.txt\nartifacts:\n  base-directory: out\n  files: [paced.txt]\n",
      )
      .write(
        "stacks/paced/stack.yaml",
        stack(
          project("Paced", "buildspecs/paced.yml"),
          `        - Name: Build
          Actions:
${action({ name: "Paces", project: "!Ref Paced", order: 1, inputs: ["Source"], output: "Paced" })}`,
        ),
      )
      .write(
        "stacks/slow/stack.yaml",
        stack(
          project("Slow", "buildspecs/slow.yml"),
          `        - Name: Build
          Actions:
${action({ name: "Sleeps", project: "!Ref Slow", order: 1, inputs: ["Source"] })}`,
        ),
      );
    symlinkSync("input.txt", join(fixture.root, "input-link")); // committed: git archive zips it as a link
    fixture.commit();
  });

  afterAll(() => {
    rmSync(fixture.root, { recursive: true, force: true });
    canary.remove();
  });

  it("passes an output artifact to a later action as a secondary input (CODEBUILD_SRC_DIR_<name>), modes kept", async () => {
    const { tmp, left } = tmpFor();
    const r = await prebake(fixture.root, ["pipeline", "run", "flow"], { tmp });
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    expect(r.stdout).toContain("primary=/codebuild/output/src/src secondary=/codebuild/output/src/s3/01");
    expect(r.stdout).toContain("made from from the commit");
    expect(r.stdout).toContain("tool-ran"); // the executable bit survived zip and unzip
    expect(r.stdout).toContain(`initiator=codepipeline/pf${id}-flow`);
    expect(r.stdout).toMatch(/Build\s+MakeIt\s+CodeBuild\s+Succeeded/);
    expect(r.stdout).toMatch(/Build\s+UseIt\s+CodeBuild\s+Succeeded/);
    expect(await zipEntries(join(fixture.root, "dist/pipelines/flow/Used.zip"))).toEqual(["made.txt"]);
    expect(leftoverContainers(r.pid)).toBe("");
    expect(left()).toEqual([]);
  });

  it("a failing action ends the pipeline with exit 8 naming it; its runOrder group finishes, nothing later runs", async () => {
    const { tmp, left } = tmpFor();
    const r = await prebake(fixture.root, ["pipeline", "run", "broken"], { tmp });
    expect(r.code).toBe(8);
    expect(r.stderr.trim()).toBe(
      "prebake: error: stacks/broken/stack.yaml: Resources.Pipeline: action Build/Fails failed: buildspecs/fail.yml: phase BUILD failed: command `exit_1() { return 1; }; exit_1` exited 1 (fix: see the action's build output above)",
    );
    expect(r.stdout).toContain("ran-anyway"); // AlsoRuns shares RunOrder 1, with its action variable
    expect(r.stdout).toMatch(/Build\s+Fails\s+CodeBuild\s+Failed/);
    expect(r.stdout).toMatch(/Build\s+AlsoRuns\s+CodeBuild\s+Succeeded/);
    expect(r.stdout).toMatch(/Build\s+Later\s+CodeBuild\s+NotRun/);
    expect(r.stdout).toMatch(/Deploy\s+Final\s+CodeBuild\s+NotRun/);
    expect(leftoverContainers(r.pid)).toBe("");
    expect(left()).toEqual([]);
  });

  it("symlinks travel as links: a committed one, and links to a file, a folder and nothing in an artifact", async () => {
    const { tmp, left } = tmpFor();
    const r = await prebake(fixture.root, ["pipeline", "run", "links"], { tmp });
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    expect(r.stdout).toContain("committed link: input.txt -> from the commit");
    expect(r.stdout).toContain("alias: bin/made.txt -> made");
    expect(r.stdout).toContain("bindir: bin, dangling: missing");
    expect(await zipEntries(join(fixture.root, "dist/pipelines/links/Linked.zip"))).toEqual([
      "alias",
      "bin/made.txt",
      "bindir",
      "dangling",
    ]);
    expect(leftoverContainers(r.pid)).toBe("");
    expect(left()).toEqual([]);
  });

  it("a build that links a host file into its artifact (enable-symlinks: yes) is refused with exit 3; the file reaches no artifact", async () => {
    const { tmp, left } = tmpFor();
    const r = await prebake(fixture.root, ["pipeline", "run", "leak"], { tmp });
    expect(r.code).toBe(3);
    expect(r.stderr.trim()).toBe(
      `prebake: error: artifact Leaked: leak: action Build/Leaks failed: symlink to ${canary.path} refused: its target is an absolute path ` +
        "(fix: make it a relative link to a file inside the same folder, or copy the file in (a link is never followed))",
    );
    expect(r.stdout + r.stderr).not.toContain(canary.content);
    expect(await bytesUnder(join(fixture.root, "dist"))).not.toContain(canary.content);
    expect(leftoverContainers(r.pid)).toBe("");
    expect(left()).toEqual([]);
  });

  it("a second run on the same checkout waits for the first (named) instead of deleting its artifacts", async () => {
    const first = tmpFor();
    const second = tmpFor();
    const source = join(fixture.root, "dist/pipelines/paced/Source.zip");
    let inode: number | undefined;
    let secondRun: Promise<Awaited<ReturnType<typeof prebake>>> | undefined;
    let whileFirstRan: { exists: boolean; inode: number | undefined } | undefined;
    const a = await prebake(fixture.root, ["pipeline", "run", "paced"], {
      tmp: first.tmp,
      onOutput: (text) => {
        if (secondRun || !text.includes("paced-started")) return;
        inode = statSync(source).ino; // the first run's source artifact, while its build runs
        secondRun = prebake(fixture.root, ["pipeline", "run", "paced"], {
          tmp: second.tmp,
          onOutput: (later) => {
            // The second run has either started its own run (and, unlocked, emptied the folder) or is waiting.
            if (whileFirstRan || !(later.includes("waiting for the run") || later.includes("locally")))
              return;
            whileFirstRan = {
              exists: existsSync(source),
              inode: existsSync(source) ? statSync(source).ino : undefined,
            };
          },
        });
      },
    });
    const b = await secondRun!;
    expect(whileFirstRan).toEqual({ exists: true, inode }); // the first run's artifacts were left alone
    expect(a.code, a.stderr.slice(-2000)).toBe(0);
    expect(b.code, b.stderr.slice(-2000)).toBe(0);
    expect(b.stdout + b.stderr).toContain(
      `waiting for the run that holds dist/pipelines/paced (pid ${a.pid}, since `,
    );
    expect(await zipEntries(join(fixture.root, "dist/pipelines/paced/Paced.zip"))).toEqual(["paced.txt"]);
    expect(existsSync(join(fixture.root, "dist/pipelines/paced.lock"))).toBe(false);
    expect(first.left()).toEqual([]);
    expect(second.left()).toEqual([]);
  });

  it("SIGTERM mid-build: exit 143, the build container and the temp folder are removed", async () => {
    const { tmp, left } = tmpFor();
    let during: { containers: string; temp: string[] } | undefined;
    const r = await prebake(fixture.root, ["pipeline", "run", "slow"], {
      tmp,
      onOutput: (text, child) => {
        if (during || !text.includes("slow-started")) return;
        during = { containers: leftoverContainers(child.pid!), temp: left() };
        child.kill("SIGTERM");
      },
    });
    expect(during?.containers).not.toBe(""); // the build was running in its container...
    expect(during?.temp).toHaveLength(1); // ...with its inputs unzipped in a temp folder
    expect(r.code).toBe(143);
    expect(leftoverContainers(r.pid)).toBe("");
    expect(left()).toEqual([]);
  });
});
