import { randomBytes } from "node:crypto";
import {
  appendFileSync,
  cpSync,
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BuildFailedError, ConfigError, containerRuntime, createContext } from "@prebake/core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { cacheVolumeName, type LocalBuildResult } from "../src/index.ts";
import { buildImage, cli, erlangImage, IMAGE, leftovers, removeImage, repo, run, source } from "./helpers.ts";

/**
 * The conformance table of packages/codebuild/README.md, row by row, against the real engine:
 * what a local run does with each buildspec key. One throw-away image plays a curated CodeBuild
 * image: it carries a runtimes file at CodeBuild's documented path, and has no bash (artifacts
 * and reports are collected outside the build's shell, so the image needs nothing for them).
 */
const id = randomBytes(3).toString("hex");
const CURATED_LIKE = `prebake-test/codebuild-curated-${id}:1`;
// The shape of the curated images' runtimes.yml (aws-codebuild-docker-images), with a version key
// (1.10) that YAML would read as a number and that sorts above 1.9 only when compared as a version.
const RUNTIMES_YML = `version: 0.1

runtimes:
  demo:
    versions:
      1.9:
        commands:
          - echo "Installing demo version 1.9 ..."
          - export DEMO_VERSION=1.9
      1.10:
        commands:
          - echo "Installing demo version 1.10 ..."
          - export DEMO_VERSION=1.10
`;
const volumes: string[] = [];

beforeAll(() => {
  buildImage(
    CURATED_LIKE,
    `FROM ${IMAGE}
COPY runtimes.yml /codebuild/image/config/runtimes.yml
RUN rm -f /bin/bash /usr/bin/bash
`,
    { "runtimes.yml": RUNTIMES_YML },
  );
}, 300_000);

afterAll(async () => {
  removeImage(CURATED_LIKE);
  const runtime = containerRuntime(createContext({ cwd: repo, env: {} }));
  for (const v of volumes) await runtime.removeVolume(v);
});

afterEach(() => {
  expect(leftovers()).toBe(""); // never a container left behind
});

const ok = (r: unknown) => r as LocalBuildResult;

describe("runtime-versions and the runtimes file", () => {
  const spec = `version: 0.2
phases:
  install:
    runtime-versions:
      demo: 1.x
    commands: ['echo "demo=\${DEMO_VERSION:-none}"']
`;

  it("an image with /codebuild/image/config/runtimes.yml selects the version from it: no 'skipped' warning", async () => {
    const { result, text } = await run(spec, { image: CURATED_LIKE });
    expect(ok(result).status).toBe("SUCCEEDED");
    expect(text).toContain("Installing demo version 1.10 ...");
    expect(text).toContain("demo=1.10");
    expect(text).not.toContain("is skipped on this image");
  });

  it("an image without the file skips runtime-versions with CodeBuild's warning", async () => {
    const { result, text } = await run(spec);
    expect(ok(result).status).toBe("SUCCEEDED");
    expect(text).toContain("runtime-versions (demo: 1.x) is skipped on this image");
    expect(text).toContain("demo=none");
  });

  it("a version the image does not have is exit 3, naming the field and the versions it has", async () => {
    const { result } = await run(spec.replace("demo: 1.x", "demo: 2.x"), { image: CURATED_LIKE });
    expect(result).toBeInstanceOf(ConfigError);
    expect((result as ConfigError).toLine()).toMatch(
      /^buildspec\.yml:5: demo 2\.x is not in this image \(it has: 1\.9, 1\.10\)/,
    );
  });
});

describe("artifacts", () => {
  const produce = `      - mkdir -p out-a/deep out-b other links
      - echo x > out-a/x.txt && echo tmp > out-a/skip.tmp && echo y > out-a/deep/y.txt
      - printf '#!/bin/sh\\necho run\\n' > out-a/run.sh && chmod 755 out-a/run.sh
      - echo z > out-b/z.txt && echo h > out-b/.hidden && echo n > other/note.txt
      - echo target > links/target.txt && ln -s target.txt links/link.txt`;

  it("base-directory globs, files, exclude-paths and discard-paths are matched outside the build's shell (an image without bash)", async () => {
    const artifactsDir = mkdtempSync(join(tmpdir(), "prebake-cb-art-"));
    const { result, text } = await run(
      `version: 0.2
phases:
  build:
    commands:
${produce}
artifacts:
  base-directory: 'out-*'
  files: ['**/*']
  exclude-paths: ['**/*.tmp', 'deep/**']
  name: bundle
`,
      { image: CURATED_LIKE, artifactsDir },
    );
    expect(ok(result).status, text).toBe("SUCCEEDED");
    const bundle = join(artifactsDir, "bundle");
    expect(readdirSync(bundle).sort()).toEqual([".hidden", "run.sh", "x.txt", "z.txt"]);
    expect(statSync(join(bundle, "run.sh")).mode & 0o777).toBe(0o755);
    expect(ok(result).phases.map((p) => p.name)).toEqual(["BUILD", "UPLOAD_ARTIFACTS"]);
  });

  it("secondary-artifacts land in their own folders; enable-symlinks keeps a link, without it the target's content is copied", async () => {
    const artifactsDir = mkdtempSync(join(tmpdir(), "prebake-cb-art-"));
    const { result, text } = await run(
      `version: 0.2
phases:
  build:
    commands:
${produce}
artifacts:
  files: [other/*]
  discard-paths: yes
  secondary-artifacts:
    links:
      base-directory: links
      files: ['*']
      enable-symlinks: yes
    followed:
      base-directory: links
      files: [link.txt]
      name: copies
`,
      { artifactsDir },
    );
    expect(ok(result).status, text).toBe("SUCCEEDED");
    expect(ok(result).secondaryArtifacts).toEqual({
      links: join(artifactsDir, "links"),
      followed: join(artifactsDir, "copies"),
    });
    expect(readdirSync(join(artifactsDir, "artifacts"))).toEqual(["note.txt"]);
    expect(lstatSync(join(artifactsDir, "links", "link.txt")).isSymbolicLink()).toBe(true);
    expect(readlinkSync(join(artifactsDir, "links", "link.txt"))).toBe("target.txt");
    expect(lstatSync(join(artifactsDir, "copies", "link.txt")).isFile()).toBe(true);
    expect(readFileSync(join(artifactsDir, "copies", "link.txt"), "utf8")).toBe("target\n");
  });

  it("artifacts.name is evaluated by the build's shell at the end of the build; a computed name that leaves -a is exit 3", async () => {
    const artifactsDir = mkdtempSync(join(tmpdir(), "prebake-cb-art-"));
    const named = (name: string) =>
      run(
        `version: 0.2\nphases:\n  build:\n    commands: [export APP_VERSION=1.2, echo x > a.txt]\nartifacts:\n  files: [a.txt]\n  name: ${name}\n`,
        { artifactsDir },
      );
    const { result } = await named("app-$APP_VERSION-$(echo built)");
    expect(ok(result).artifacts).toBe(join(artifactsDir, "app-1.2-built"));
    expect(readdirSync(join(artifactsDir, "app-1.2-built"))).toEqual(["a.txt"]);
    const escaped = await named("'$(echo ../..)/escaped-$APP_VERSION'");
    expect((escaped.result as ConfigError).toLine()).toContain(
      "buildspec.yml: artifacts.name: '../../escaped-1.2' leaves the artifacts folder",
    );
    expect(readdirSync(artifactsDir)).toEqual(["app-1.2-built"]);
  });

  it("a secondary artifact whose files match nothing fails UPLOAD_ARTIFACTS, naming it", async () => {
    const artifactsDir = mkdtempSync(join(tmpdir(), "prebake-cb-art-"));
    const { result } = await run(
      "version: 0.2\nphases:\n  build:\n    commands: [echo x > a.txt]\nartifacts:\n  files: [a.txt]\n  secondary-artifacts:\n    docs:\n      files: ['docs/**/*']\n",
      { artifactsDir },
    );
    expect((result as BuildFailedError).toLine()).toContain(
      "UPLOAD_ARTIFACTS failed: no file matches secondary-artifacts.docs files docs/**/*",
    );
  });
});

describe("cache: a per-project volume between runs", () => {
  const project = `conformance-${id}`;
  const cached = (extra: string) => `version: 0.2
phases:
  build:
    commands:
      - 'echo "cached-runs=$(cat /root/.cache/demo/runs 2>/dev/null | wc -l) deps=$(cat deps/lib.txt 2>/dev/null || echo none)"'
      - mkdir -p /root/.cache/demo deps && echo run >> /root/.cache/demo/runs && echo dep > deps/lib.txt
cache:
  paths: ['/root/.cache/demo/**/*', 'deps/**/*']
${extra}`;

  it("cache.paths written by one build are there in the next (absolute and source-relative folders)", async () => {
    volumes.push(cacheVolumeName(project, ""));
    const first = await run(cached(""), { project });
    expect(first.text).toContain("cached-runs=0 deps=none");
    expect(first.text).toContain("cache: saved default");
    const second = await run(cached(""), { project });
    expect(ok(second.result).status).toBe("SUCCEEDED");
    expect(second.text).toContain("cache: restored default");
    expect(second.text).toContain("cached-runs=1 deps=dep");
    // Another project does not see it.
    const other = await run(cached(""), { project: `${project}-other` });
    volumes.push(cacheVolumeName(`${project}-other`, ""));
    expect(other.text).toContain("cached-runs=0 deps=none");
  });

  it("cache.key is exact, fallback-keys match by prefix, action: restore never saves", async () => {
    const keyed = `${project}-keyed`;
    volumes.push(cacheVolumeName(keyed, ""));
    const withLock = (lock: string, extra: string) =>
      run(cached(extra), { project: keyed, sourceDir: source({ "lock.txt": lock }) });
    const key = "  key: v1-$(codebuild-hash-files lock.txt)\n";
    const a = await withLock("a", key);
    expect(a.text).toMatch(/cache: nothing cached yet for v1-[0-9a-f]{64}/);
    expect(a.text).toMatch(/cache: saved v1-[0-9a-f]{64}/);
    const again = await withLock("a", key);
    expect(again.text).toContain("cached-runs=1");
    expect(again.text).toMatch(/cache: v1-[0-9a-f]{64} is kept as it was/);
    const b = await withLock("b", `${key}  fallback-keys: [v1-]\n  action: restore\n`);
    expect(b.text).toContain("cached-runs=1");
    expect(b.text).not.toContain("cache: saved");
    const bAgain = await withLock("b", key);
    expect(bAgain.text).toContain("cached-runs=0");
  });
});

describe("reports", () => {
  const fixtures = join(import.meta.dirname, "fixtures");

  it("JUnit XML as eunit and ct write it (surefire) is read and summarised, also when the build fails", async () => {
    const { result, text } = await run(
      `version: 0.2
phases:
  build:
    commands: [mkdir -p out && cp fixtures/*.xml out/, "false"]
reports:
  erlang-tests:
    base-directory: out
    files: ['*.xml']
  coverage:
    files: [cov/*.xml]
    file-format: COBERTURAXML
`,
      {
        sourceDir: source({
          "fixtures/TEST-demo.xml": readFileSync(join(fixtures, "eunit-surefire-TEST-demo.xml"), "utf8"),
          "fixtures/ct-junit.xml": readFileSync(join(fixtures, "ct-surefire-junit.xml"), "utf8"),
        }),
      },
    );
    expect(result).toBeInstanceOf(BuildFailedError);
    expect(text).toContain(
      "report erlang-tests: 9 test cases, 5 succeeded, 1 failed, 2 errors, 1 skipped (2 files)",
    );
    expect(text).toContain("FAILED demo_SUITE: fail_case (Test fail_case in demo_SUITE failed!)");
    expect(text).toContain(
      "ERROR module 'demo': demo:0 fails_test (in function demo:fails_test/0 (demo.erl, line 4))",
    );
    expect(text).toContain("reports.coverage: no file matches cov/*.xml");
  });
});

describe("reports from rebar3 in the Erlang image", () => {
  it("rebar3 eunit and rebar3 ct with surefire output: hello-erlang's tests are counted, a failing suite case is named", async () => {
    const src = mkdtempSync(join(tmpdir(), "prebake-cb-erl-"));
    cpSync(join(repo, "apps/hello-erlang"), src, {
      recursive: true,
      filter: (p) => !p.includes("_build"),
    });
    appendFileSync(
      join(src, "rebar.config"),
      `{eunit_opts, [{report, {eunit_surefire, [{dir, "_build/test/surefire"}]}}]}.
{ct_opts, [{ct_hooks, [{cth_surefire, [{path, "/codebuild/output/src/src/_build/test/surefire/ct.xml"}]}]}]}.
`,
    );
    writeFileSync(
      join(src, "test/greeter_SUITE.erl"),
      `-module(greeter_SUITE).
-export([all/0, first_greeting/1, counts_wrong/1]).
all() -> [first_greeting, counts_wrong].
first_greeting(_) -> <<"Hi, Ann!">> = hello_greeter:format_greeting(<<"Hi">>, {<<"Ann">>, 1}).
counts_wrong(_) -> <<"Hi, Ann!">> = hello_greeter:format_greeting(<<"Hi">>, {<<"Ann">>, 2}).
`,
    );
    const { result, text } = await run(
      `version: 0.2
phases:
  install:
    commands: [. /usr/local/erlang/activate]
  build:
    commands:
      - mkdir -p _build/test/surefire
      - rebar3 eunit
      - rebar3 ct
reports:
  hello-erlang:
    base-directory: _build/test/surefire
    files: ['*.xml']
`,
      { image: erlangImage(), sourceDir: src },
    );
    expect((result as BuildFailedError).toLine()).toContain("phase BUILD failed: command `rebar3 ct`");
    expect(text).toMatch(
      /report hello-erlang: 1[0-9] test cases, \d+ succeeded, 1 failed, 0 errors, 0 skipped \([23] files\)/,
    );
    expect(text).toContain("FAILED greeter_SUITE: counts_wrong");
  }, 300_000);
});

describe("run-as", () => {
  it.each(["sh", "bash"])(
    "a phase runs as its user; exports and the folder carry across the one shell (%s)",
    async (shell) => {
      const { result, text } = await run(`version: 0.2
env:
  shell: ${shell}
phases:
  install:
    commands:
      - export FROM_ROOT=r
      - mkdir -p sub && cd sub
  build:
    run-as: nobody
    commands:
      - 'echo "build as $(id -un) from_root=$FROM_ROOT pwd=$(pwd) home=$HOME"'
      - export FROM_NOBODY=n
      - cd ..
      - touch written-by-nobody 2>/dev/null && echo wrote || echo read-only
    finally:
      - 'echo "finally as $(id -un)"'
  post_build:
    commands:
      - 'echo "post as $(id -un) from_nobody=$FROM_NOBODY pwd=$(pwd) home=$HOME"'
`);
      expect(ok(result).status, text).toBe("SUCCEEDED");
      expect(text).toContain(
        "build as nobody from_root=r pwd=/codebuild/output/src/src/sub home=/nonexistent",
      );
      expect(text).toContain("read-only");
      expect(text).toContain("finally as nobody");
      expect(text).toContain("post as root from_nobody=n pwd=/codebuild/output/src/src home=/root");
    },
  );

  it("run-as at the top applies to every phase without its own; a user the image lacks is exit 3", async () => {
    const { result, text } = await run(
      "version: 0.2\nrun-as: nobody\nphases:\n  install:\n    run-as: root\n    commands: ['echo \"install as $(id -un)\"']\n  build:\n    commands: ['echo \"build as $(id -un)\"']\n",
    );
    expect(ok(result).status).toBe("SUCCEEDED");
    expect(text).toContain("install as root");
    expect(text).toContain("build as nobody");
    const missing = await run("version: 0.2\nphases:\n  build:\n    run-as: ghost\n    commands: [echo x]\n");
    expect((missing.result as ConfigError).exitCode).toBe(3);
    expect((missing.result as ConfigError).toLine()).toBe(
      `buildspec.yml:4: run-as: user 'ghost' does not exist in ${IMAGE} (fix: create the user in the image (useradd), or name one it has)`,
    );
  });
});

describe("version 0.1 and batch-only buildspecs", () => {
  it("version 0.1 runs each command in a shell of its own: cd and export do not carry over; plaintext variables are set", async () => {
    const { result, text } = await run(
      'version: 0.1\nenvironment_variables:\n  plaintext:\n    GREETING: hello\nphases:\n  build:\n    commands:\n      - mkdir -p sub && cd sub && export MOVED=yes\n      - echo "where=$(basename $PWD) moved=${MOVED:-no} greeting=$GREETING"\n',
    );
    expect(ok(result).status).toBe("SUCCEEDED");
    expect(text).toMatch(/where=(?!sub)\S+ moved=no greeting=hello/);
    expect(text).toContain("version 0.1 runs every command in its own shell");
  });

  it("a batch-only buildspec is refused by codebuild run (exit 3), naming its tasks' buildspecs; validate accepts it", () => {
    const dir = source({
      "buildspec.yml":
        "version: 0.2\nbatch:\n  build-list:\n    - identifier: one\n      buildspec: one.yml\n",
    });
    expect(cli("buildspec", "validate", join(dir, "buildspec.yml")).status).toBe(0);
    const refused = cli("codebuild", "run", "-i", IMAGE, "-s", dir);
    expect(refused.status).toBe(3);
    expect(refused.stderr.trim().split("\n").at(-1)).toBe(
      "prebake: error: buildspec.yml:2: a batch buildspec with no phases: its build-list tasks run their own builds (fix: run a task's buildspec: prebake codebuild run -b one.yml)",
    );
  });
});

describe("keys a local run does not act on", () => {
  it("on-failure RETRY is not retried: the failure ends the build as ABORT does, with a warning", async () => {
    const { result, text } = await run(
      "version: 0.2\nphases:\n  build:\n    on-failure: RETRY-2\n    commands: ['echo attempt', 'false']\n  post_build:\n    commands: [echo post]\n",
    );
    expect((result as BuildFailedError).toLine()).toContain("phase BUILD failed: command `false` exited 1");
    expect(text.match(/attempt/g)).toHaveLength(1);
    expect(text).toContain("phases.build.on-failure: RETRY is not retried locally");
  });

  it("proxy, batch, git-credential-helper and s3-prefix: the build runs, each warning says why it is not acted on", async () => {
    const artifactsDir = mkdtempSync(join(tmpdir(), "prebake-cb-art-"));
    const { result, text } = await run(
      "version: 0.2\nproxy:\n  logs: yes\nbatch:\n  build-list:\n    - identifier: one\nenv:\n  git-credential-helper: yes\nphases:\n  build:\n    commands: [echo x > a.txt]\nartifacts:\n  files: [a.txt]\n  s3-prefix: builds\n",
      { artifactsDir },
    );
    expect(ok(result).status).toBe("SUCCEEDED");
    for (const key of ["proxy", "batch", "env.git-credential-helper", "artifacts.s3-prefix"]) {
      expect(text).toContain(`${key}: `);
    }
    expect(readdirSync(join(artifactsDir, "artifacts"))).toEqual(["a.txt"]);
  });

  it("steps: `buildspec validate` accepts them (exit 0); `codebuild run` refuses them (exit 3), naming the phase", () => {
    const dir = source({
      "buildspec.yml":
        "version: 0.2\nphases:\n  install:\n    commands: [echo x]\n  build:\n    steps:\n      - uses: actions/setup-node@v4\n        with: { node-version: '22' }\n      - run: npm test\n",
    });
    const valid = cli("buildspec", "validate", join(dir, "buildspec.yml"));
    expect(valid.status, valid.stderr).toBe(0);
    const refused = cli("codebuild", "run", "-i", IMAGE, "-s", dir);
    expect(refused.status).toBe(3);
    expect(refused.stderr).toContain(
      "prebake: error: buildspec.yml:6: phases.build: GitHub Actions steps are not supported locally",
    );
  });
});

describe("buildspec validate --compute lambda", () => {
  it("flags on-failure and cache with their lines (exit 4); the repository's erlang buildspec passes", () => {
    const dir = source({
      "bs.yml":
        "version: 0.2\nphases:\n  build:\n    on-failure: CONTINUE\n    commands: [docker build -t x .]\ncache:\n  paths: [/root/.m2/**/*]\n",
    });
    const flagged = cli("buildspec", "validate", "--compute", "lambda", join(dir, "bs.yml"));
    expect(flagged.status).toBe(4);
    expect(flagged.stderr).toContain(
      "bs.yml:4: phases.build.on-failure: Lambda compute does not support on-failure",
    );
    expect(flagged.stderr).toContain("bs.yml:6: cache: Lambda compute does not support caching");
    expect(flagged.stdout).toContain(
      "bs.yml:3: phases.build: `docker build -t x .` runs docker: Lambda compute has no Docker builds or runs",
    );
    expect(cli("buildspec", "validate", join(dir, "bs.yml")).status).toBe(0);
    const erlang = cli(
      "buildspec",
      "validate",
      "--compute",
      "lambda",
      join(repo, "buildspecs/erlang-app.yml"),
    );
    expect(erlang.status, erlang.stderr).toBe(0);
    expect(cli("buildspec", "validate", "--compute", "fargate", join(dir, "bs.yml")).status).toBe(3);
  });
});
