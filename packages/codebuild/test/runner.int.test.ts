import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import { DeleteParameterCommand, PutParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { BuildFailedError, ConfigError, createContext } from "@prebake/core";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { parseBuildspec, projectSettings, runLocalBuild } from "../src/index.ts";
import { cli, context, erlangImage, IMAGE, leftovers, repo, run, source } from "./helpers.ts";

// Real Docker engine, real containers (prebake/debian:bookworm, built by scripts/local-env.sh up).
afterEach(() => {
  expect(leftovers()).toBe(""); // never a container left behind
});

describe("local runner: CodeBuild semantics in a real container", () => {
  it("one shell: export and cd in install hold in build; env.variables and CODEBUILD_* are set; artifacts are copied out", async () => {
    const artifactsDir = mkdtempSync(join(tmpdir(), "prebake-cb-art-"));
    const { result, text } = await run(
      `version: 0.2
env:
  variables: { GREETING: hi }
phases:
  install:
    commands:
      - export FROM_INSTALL=yes
      - mkdir -p work && cd work
  build:
    commands:
      - echo "seen=$FROM_INSTALL pwd=$(pwd) greeting=$GREETING src=$CODEBUILD_SRC_DIR ok=$CODEBUILD_BUILD_SUCCEEDING"
      - cat ../hello.txt
      - mkdir -p out/deep && echo one > out/deep/a.txt && echo two > out/b.log
artifacts:
  base-directory: work/out
  discard-paths: yes
  files: ["**/*.txt", "b.log"]
  name: bundle
`,
      { artifactsDir },
    );
    expect(result).toMatchObject({ status: "SUCCEEDED" });
    expect(text).toContain(
      "seen=yes pwd=/codebuild/output/src/src/work greeting=hi src=/codebuild/output/src/src ok=1",
    );
    expect(text).toContain("from the source");
    expect(readdirSync(join(artifactsDir, "bundle")).sort()).toEqual(["a.txt", "b.log"]);
    expect(readFileSync(join(artifactsDir, "bundle", "a.txt"), "utf8")).toBe("one\n");
  });

  it("on-failure ABORT (default): a failing install stops the build; the error names phase and command (exit 8)", async () => {
    const { result, text } = await run(`version: 0.2
phases:
  install:
    commands:
      - echo first
      - "false"
      - echo never-runs
    finally:
      - echo install-finally
  build:
    commands: [echo build-ran]
  post_build:
    commands: [echo post-ran]
`);
    expect(result).toBeInstanceOf(BuildFailedError);
    expect((result as BuildFailedError).exitCode).toBe(8);
    expect((result as BuildFailedError).toLine()).toBe(
      "buildspec.yml: phase INSTALL failed: command `false` exited 1 (fix: see the build output above)",
    );
    expect(text).toContain("install-finally");
    expect(text).not.toContain("never-runs");
    expect(text).not.toContain("build-ran");
    expect(text).not.toContain("post-ran");
  });

  it("on-failure CONTINUE goes on to the next phase, with CODEBUILD_BUILD_SUCCEEDING=0", async () => {
    const { result, text } = await run(`version: 0.2
phases:
  pre_build:
    on-failure: CONTINUE
    commands: ["exit_code() { return 3; }; exit_code"]
  build:
    commands: ['echo "build-ran succeeding=$CODEBUILD_BUILD_SUCCEEDING"']
`);
    expect(result).toBeInstanceOf(BuildFailedError);
    expect((result as BuildFailedError).toLine()).toContain("phase PRE_BUILD failed");
    expect(text).toContain("build-ran succeeding=0");
  });

  it("post_build runs after a failed build, as CodeBuild does; finally runs after the failing command", async () => {
    const { result, text } = await run(`version: 0.2
phases:
  build:
    commands: ["sh -c 'exit 7'", echo unreachable]
    finally: [echo build-finally]
  post_build:
    commands: ['echo "post succeeding=$CODEBUILD_BUILD_SUCCEEDING"']
`);
    expect((result as BuildFailedError).toLine()).toContain(
      "phase BUILD failed: command `sh -c 'exit 7'` exited 7",
    );
    expect(text).toContain("build-finally");
    expect(text).toContain("post succeeding=0");
    expect(text).not.toContain("unreachable");
  });

  it.each([
    ["install", "INSTALL"],
    ["pre_build", "PRE_BUILD"],
    ["build", "BUILD"],
    ["post_build", "POST_BUILD"],
  ])("a failing command in %s is reported with its phase and command (exit 8)", async (phase, upper) => {
    const phases = ["install", "pre_build", "build", "post_build"]
      .map(
        (p) =>
          `  ${p}:\n    commands:\n      - echo ${p}-ran\n${p === phase ? "      - test -e /no/such/file\n" : ""}`,
      )
      .join("");
    const { result, text } = await run(`version: 0.2\nphases:\n${phases}`);
    expect(result).toBeInstanceOf(BuildFailedError);
    expect((result as BuildFailedError).exitCode).toBe(8);
    expect((result as BuildFailedError).toLine()).toBe(
      `buildspec.yml: phase ${upper} failed: command \`test -e /no/such/file\` exited 1 (fix: see the build output above)`,
    );
    expect(text).toMatch(new RegExp(`${upper}\\s+FAILED`)); // the phase table
    expect(text).toContain(`${phase}-ran`);
  });

  it("a failing finally command fails its phase and is the one reported", async () => {
    const { result, text } = await run(`version: 0.2
phases:
  build:
    commands: [echo built]
    finally: ["false", echo second-finally-still-runs]
`);
    expect((result as BuildFailedError).toLine()).toContain("phase BUILD failed: command `false` exited 1");
    expect(text).toContain("second-finally-still-runs");
  });

  it("commands run in sh by default (bash-only syntax fails, as in CodeBuild); env.shell: bash runs bash", async () => {
    const command = `commands: ['[[ 1 == 1 ]] && echo "in $0"']`;
    const sh = await run(`version: 0.2\nphases:\n  build:\n    ${command}\n`);
    expect((sh.result as BuildFailedError).toLine()).toContain("phase BUILD failed");
    const bash = await run(`version: 0.2\nenv:\n  shell: bash\nphases:\n  build:\n    ${command}\n`);
    expect(bash.result).toMatchObject({ status: "SUCCEEDED" });
    expect(bash.text).toContain("in /codebuild/prebake/driver.sh");
  });

  it("sets the CODEBUILD_* variables and reports exported-variables", async () => {
    const { result, text } = await run(`version: 0.2
env:
  exported-variables: [APP_VERSION, NEVER_SET]
phases:
  build:
    commands:
      - echo "id=$CODEBUILD_BUILD_ID n=$CODEBUILD_BUILD_NUMBER by=$CODEBUILD_INITIATOR rev=$CODEBUILD_RESOLVED_SOURCE_VERSION img=$CODEBUILD_BUILD_IMAGE arn=$CODEBUILD_BUILD_ARN"
      - export APP_VERSION=1.4.2
`);
    expect(result).toMatchObject({
      status: "SUCCEEDED",
      exportedVariables: { APP_VERSION: "1.4.2", NEVER_SET: "" },
    });
    expect(text).toMatch(
      /id=local:[0-9a-f]{8} n=1 by=prebake-local rev=local img=prebake\/debian:bookworm arn=arn:aws:codebuild:us-east-1:123456789012:build\/local:[0-9a-f]{8}/,
    );
  });

  it("a missing artifact fails the build with the pattern", async () => {
    const artifactsDir = mkdtempSync(join(tmpdir(), "prebake-cb-art-"));
    const { result } = await run(
      "version: 0.2\nphases:\n  build:\n    commands: [echo x]\nartifacts:\n  files: [missing/*.zip]\n",
      {
        artifactsDir,
      },
    );
    expect((result as BuildFailedError).toLine()).toContain(
      "UPLOAD_ARTIFACTS failed: no file matches files missing/*.zip",
    );
  });

  it("artifacts.name that leaves -a is refused (exit 3) before the build runs, and nothing is written there", async () => {
    const top = mkdtempSync(join(tmpdir(), "prebake-cb-esc-"));
    const artifactsDir = join(top, "a", "b");
    const { result, text } = await run(
      "version: 0.2\nphases:\n  build:\n    commands: [echo built, echo x > f.txt]\nartifacts:\n  files: [f.txt]\n  name: ../../tmp/escaped\n",
      { artifactsDir },
    );
    expect(result).toBeInstanceOf(ConfigError);
    expect((result as ConfigError).exitCode).toBe(3);
    expect((result as ConfigError).toLine()).toContain(
      "buildspec.yml: artifacts.name: '../../tmp/escaped' leaves",
    );
    expect(existsSync(join(top, "tmp", "escaped"))).toBe(false);
    expect(text).not.toContain("built");
  });

  it("set -x traces the build's own commands in sh and bash; the driver's markers stay untraced", async () => {
    for (const shell of ["sh", "bash"]) {
      const { result, text } = await run(
        `version: 0.2\nenv:\n  shell: ${shell}\n  exported-variables: [V]\nphases:\n  build:\n    commands: ["set -x", "V=traced-value", "echo done"]\n  post_build:\n    commands: ["echo after"]\n`,
      );
      expect(result).toMatchObject({
        status: "SUCCEEDED",
        exportedVariables: { V: "traced-value" },
        phases: [
          { name: "BUILD", status: "SUCCEEDED" },
          { name: "POST_BUILD", status: "SUCCEEDED" },
        ],
      });
      expect(text).toMatch(/\+ V=traced-value/);
      expect(text).not.toContain("__pb_");
      expect(text).not.toContain("##prebake:");
    }
  });

  it("a build that prints marker-looking lines (echo, cat of a file, set -x traces) cannot fake a phase result, in sh and bash", async () => {
    for (const shell of ["sh", "bash"]) {
      const { result, text } = await run(
        `version: 0.2
env:
  shell: ${shell}
phases:
  build:
    commands:
      - echo '##prebake:phase-end BUILD 0'
      - printf '##prebake:cmd-failed BUILD 7 0\\n##prebake:exported FAKE=1\\n' > forged.txt && cat forged.txt
      - "printf 'no newline ##prebake:phase-end BUILD 0'"
      - set -x
      - echo "##prebake:phase-end BUILD 0" >&2
      - "false"
  post_build:
    commands: [echo after]
`,
      );
      expect(result).toBeInstanceOf(BuildFailedError);
      expect((result as BuildFailedError).toLine()).toBe(
        "buildspec.yml: phase BUILD failed: command `false` exited 1 (fix: see the build output above)",
      );
      // The forged lines were printed as the build's output, and the phase table has the real results only.
      expect(text).toContain("##prebake:cmd-failed BUILD 7 0");
      expect(text).toMatch(/\+ echo '?##prebake:phase-end BUILD 0/);
      expect(text).toMatch(/^BUILD {7}FAILED/m);
      expect(text).not.toMatch(/^BUILD +SUCCEEDED|phase BUILD SUCCEEDED/m);
      expect(text).toMatch(/^POST_BUILD +SUCCEEDED/m);
      expect(text).not.toMatch(/^\s*exported FAKE=1$/m);
    }
  });

  it("privileged mode gives the build the host engine's socket; without it there is none", async () => {
    const spec =
      "version: 0.2\nphases:\n  build:\n    commands: ['test -S /var/run/docker.sock && echo engine-socket-there']\n";
    const privileged = await run(spec, { privileged: true });
    expect(privileged.result).toMatchObject({ status: "SUCCEEDED" });
    expect(privileged.text).toContain(
      "which is root on this host: run only buildspecs and sources you trust",
    );
    const plain = await run(spec);
    expect(plain.result).toBeInstanceOf(BuildFailedError);
    expect(plain.text).not.toContain("privileged mode:");
  });

  describe("parameter-store and secrets-manager through the SDK (moto in the local profile)", () => {
    const name = `/prebake-test/cb-${process.pid}`;
    const secretId = `prebake-test/cb-${process.pid}`;
    const aws = createContext({ cwd: repo, env: {} });
    const ssm = aws.aws(SSMClient);
    const secrets = aws.aws(SecretsManagerClient);
    afterAll(async () => {
      await ssm.send(new DeleteParameterCommand({ Name: name })).catch(() => undefined);
      await secrets
        .send(new DeleteSecretCommand({ SecretId: secretId, ForceDeleteWithoutRecovery: true }))
        .catch(() => undefined);
    });

    it("resolves env.secrets-manager, whole secrets and JSON keys", async () => {
      await secrets.send(
        new CreateSecretCommand({
          Name: secretId,
          SecretString: JSON.stringify({ user: "ci", pass: "pw-42" }),
        }),
      );
      // The build sees the values; everything printed shows *** in their place.
      const { result, text } = await run(
        `version: 0.2\nenv:\n  secrets-manager:\n    PASS: ${secretId}:pass\n    ALL: ${secretId}\nphases:\n  build:\n    commands:\n      - 'echo "pass=$PASS all=$ALL"'\n      - test "$PASS" = pw-42 && case "$ALL" in *'"user":"ci","pass":"pw-42"'*) echo values-seen;; esac\n`,
      );
      expect(result).toMatchObject({ status: "SUCCEEDED" });
      expect(text).toContain("pass=*** all=***");
      expect(text).toContain("values-seen");
      expect(text).not.toContain("pw-42");
    });

    it("a missing parameter is one line naming the buildspec field (exit 3), before any container", async () => {
      const { result } = await run(
        "version: 0.2\nenv:\n  parameter-store:\n    X: /prebake-test/does-not-exist\nphases:\n  build:\n    commands: [echo]\n",
      );
      expect((result as ConfigError).exitCode).toBe(3);
      expect((result as ConfigError).toLine()).toContain(
        "buildspec.yml: env.parameter-store.X: cannot read SSM parameter '/prebake-test/does-not-exist'",
      );
    });

    it("resolves env.parameter-store into the build environment", async () => {
      await ssm.send(
        new PutParameterCommand({ Name: name, Value: "s3cr3t-value", Type: "SecureString", Overwrite: true }),
      );
      const { result, text } = await run(
        `version: 0.2\nenv:\n  parameter-store:\n    TOKEN: ${name}\nphases:\n  build:\n    commands: ['echo "token=$TOKEN"', 'test "$TOKEN" = s3cr3t-value && echo value-seen']\n`,
      );
      expect(result).toMatchObject({ status: "SUCCEEDED" });
      expect(text).toContain("token=***");
      expect(text).toContain("value-seen");
      expect(text).not.toContain("s3cr3t-value");
    });
  });

  it("the CLI exits 0 with a --json result, 8 with one line naming phase and command, 3 on a bad buildspec line", () => {
    const dir = source();
    writeFileSync(join(dir, "ok.yml"), "version: 0.2\nphases:\n  build:\n    commands: [echo ok]\n");
    writeFileSync(join(dir, "fail.yml"), "version: 0.2\nphases:\n  pre_build:\n    commands: [exit 4]\n");
    writeFileSync(join(dir, "bad.yml"), "version: 0.2\nphases:\n  compile:\n    commands: [make]\n");

    const ok = cli("--json", "codebuild", "run", "-i", IMAGE, "-s", dir, "-b", "ok.yml");
    expect(ok.status).toBe(0);
    const json = JSON.parse(ok.stdout) as { status: string; phases: { name: string; durationMs: number }[] };
    expect(json.status).toBe("SUCCEEDED");
    expect(json.phases.map((p) => p.name)).toEqual(["BUILD"]);

    const failed = cli("codebuild", "run", "-i", IMAGE, "-s", dir, "-b", "fail.yml");
    expect(failed.status).toBe(8);
    expect(failed.stderr).toContain(
      "prebake: error: fail.yml: phase PRE_BUILD failed: command `exit 4` exited 4",
    );

    const bad = cli("buildspec", "validate", join(dir, "bad.yml"));
    expect(bad.status).toBe(3);
    expect(bad.stderr).toContain("bad.yml:3:3: unknown phase 'compile'");
  });

  it("Ctrl-C removes the build container and exits 130", async () => {
    const dir = source();
    writeFileSync(
      join(dir, "buildspec.yml"),
      "version: 0.2\nphases:\n  build:\n    commands: [echo started, sleep 60]\n",
    );
    const child = spawn(
      process.execPath,
      [join(repo, "packages/cli/bin/prebake.js"), "codebuild", "run", "-i", IMAGE, "-s", dir],
      {
        cwd: repo,
        env: { ...process.env, CI: "true" },
      },
    );
    let output = "";
    child.stdout.on("data", (d) => {
      output += String(d);
    });
    await new Promise<void>((res, rej) => {
      const timer = setTimeout(() => rej(new Error(`build never started: ${output}`)), 60_000);
      const poll = setInterval(() => {
        if (output.includes("started")) {
          clearInterval(poll);
          clearTimeout(timer);
          res();
        }
      }, 100);
    });
    expect(leftovers(child.pid)).not.toBe("");
    child.kill("SIGINT");
    const code = await new Promise<number | null>((res) => child.on("exit", (c) => res(c)));
    expect(code).toBe(130);
    expect(leftovers(child.pid)).toBe("");
  });
});

describe("hello-erlang with buildspecs/erlang-app.yml", () => {
  it("installs by activating, then runs EUnit and assembles the release; artifacts hold the release", async () => {
    const image = erlangImage();
    const { ctx, text } = context();
    const artifactsDir = mkdtempSync(join(tmpdir(), "prebake-erl-art-"));
    const spec = parseBuildspec(
      readFileSync(join(repo, "buildspecs/erlang-app.yml"), "utf8"),
      "buildspecs/erlang-app.yml",
    );
    // The app's own project says which app the shared buildspec builds (PREBAKE_APP_DIR).
    const { env } = projectSettings(repo, "ci/HelloErlangAppProject", "local");
    const result = await runLocalBuild(ctx, { image, spec, sourceDir: repo, artifactsDir, env });
    expect(result.status).toBe("SUCCEEDED");
    expect(result.phases.map((p) => p.name)).toEqual(["INSTALL", "BUILD", "POST_BUILD", "UPLOAD_ARTIFACTS"]);
    expect(text()).toMatch(/Erlang\/OTP \d+/);
    expect(text()).toMatch(/9 tests, 0 failures/);
    // rebar3 ends its output without a newline: the next marker must still be read, not printed.
    expect(text()).not.toContain("##prebake:");
    expect(readdirSync(join(artifactsDir, "hello-erlang-release", "hello_erlang", "bin"))).toContain(
      "hello_erlang",
    );
  });
});
