import { ConfigError } from "@prebake/core";
import { describe, expect, it } from "vitest";
import { type Buildspec, localRunWarnings, parseBuildspec, refuseUnsupportedLocally } from "../src/index.ts";

/**
 * Every key of CodeBuild's buildspec reference, as `buildspec validate` reads it: accepted with
 * its documented values, refused with file:line otherwise. The README's conformance table names
 * these tests.
 */
const parse = (text: string) => parseBuildspec(text, "bs.yml");
const fails = (text: string): string => {
  try {
    parse(text);
  } catch (err) {
    if (err instanceof ConfigError) return err.toLine();
    throw err;
  }
  throw new Error("expected a ConfigError");
};
const build = (phase: string) => `version: 0.2\nphases:\n  build:\n${phase}`;

describe("env", () => {
  it("env.shell takes bash and /bin/sh; a Windows shell is refused", () => {
    expect(
      parse(`version: 0.2\nenv:\n  shell: /bin/sh\n${build("    commands: [x]\n").slice(13)}`).env.shell,
    ).toBe("/bin/sh");
    expect(fails("version: 0.2\nenv:\n  shell: powershell.exe\nphases:\n  build:\n    commands: [x]\n")).toBe(
      "bs.yml:3:10: env.shell 'powershell.exe' is not supported on Linux images (fix: use bash or /bin/sh)",
    );
  });

  it("env.variables keep the text as written (1.10 stays 1.10, not the number 1.1)", () => {
    const spec = parse(
      "version: 0.2\nenv:\n  variables:\n    V: 1.10\n    N: 007\nphases:\n  build:\n    commands: [x]\n",
    );
    expect(spec.env.variables).toEqual({ V: "1.10", N: "007" });
  });

  it("env.git-credential-helper is yes or no", () => {
    const spec = parse(
      "version: 0.2\nenv:\n  git-credential-helper: yes\nphases:\n  build:\n    commands: [x]\n",
    );
    expect(spec.env.gitCredentialHelper).toBe(true);
    expect(
      fails("version: 0.2\nenv:\n  git-credential-helper: maybe\nphases:\n  build:\n    commands: [x]\n"),
    ).toContain("bs.yml:3:26: env.git-credential-helper must be yes or no, not 'maybe'");
  });

  it("env.parameter-store, secrets-manager and exported-variables are read", () => {
    const spec = parse(
      "version: 0.2\nenv:\n  parameter-store: { P: /a/b }\n  secrets-manager: { S: 'sec:key' }\n  exported-variables: [OUT]\nphases:\n  build:\n    commands: [x]\n",
    );
    expect(spec.env).toMatchObject({
      parameterStore: { P: "/a/b" },
      secretsManager: { S: "sec:key" },
      exportedVariables: ["OUT"],
    });
  });
});

describe("run-as, proxy, batch", () => {
  it("run-as at the top and per phase; a phase's run-as wins", () => {
    const spec = parse(
      "version: 0.2\nrun-as: builder\nphases:\n  install:\n    run-as: root\n    commands: [x]\n  build:\n    commands: [y]\n",
    );
    expect(spec.runAs).toBe("builder");
    expect(spec.phases.install?.runAs).toBe("root");
    expect(fails("version: 0.2\nrun-as: 'bad user'\nphases:\n  build:\n    commands: [x]\n")).toContain(
      "bs.yml:2:9: run-as 'bad user' is not a Linux user name",
    );
  });

  it("proxy.upload-artifacts and proxy.logs are yes or no; other keys are refused", () => {
    expect(
      parse(
        "version: 0.2\nproxy:\n  upload-artifacts: yes\n  logs: no\nphases:\n  build:\n    commands: [x]\n",
      ).proxy,
    ).toEqual({
      uploadArtifacts: true,
      logs: false,
    });
    expect(fails("version: 0.2\nproxy:\n  log: yes\nphases:\n  build:\n    commands: [x]\n")).toContain(
      "bs.yml:3:3: unknown key 'log' in proxy",
    );
  });

  it("batch: fast-fail and one kind; build-list and build-graph tasks need an identifier", () => {
    const spec = parse(
      "version: 0.2\nbatch:\n  fast-fail: true\n  build-graph:\n    - identifier: a\n    - identifier: b\n      depend-on: [a]\n      env:\n        variables: { X: '1' }\nphases:\n  build:\n    commands: [x]\n",
    );
    expect(spec.batch).toEqual({ fastFail: true, kind: "build-graph" });
    expect(
      fails(
        "version: 0.2\nbatch:\n  build-list:\n    - buildspec: a.yml\nphases:\n  build:\n    commands: [x]\n",
      ),
    ).toContain("bs.yml:4:7: batch.build-list[0] has no identifier");
    expect(
      fails(
        "version: 0.2\nbatch:\n  build-list:\n    - identifier: a\n      depend-on: [b]\nphases:\n  build:\n    commands: [x]\n",
      ),
    ).toContain("bs.yml:5:7: unknown key 'depend-on' in batch.build-list[0]");
    expect(
      fails(
        "version: 0.2\nbatch:\n  build-list: []\n  build-matrix: {}\nphases:\n  build:\n    commands: [x]\n",
      ),
    ).toContain("batch has build-list and build-matrix");
    expect(
      parse(
        "version: 0.2\nbatch:\n  build-matrix:\n    static: {}\n    dynamic: {}\nphases:\n  build:\n    commands: [x]\n",
      ).batch,
    ).toEqual({ fastFail: undefined, kind: "build-matrix" });
  });
});

describe("phases", () => {
  it("on-failure takes ABORT, CONTINUE and RETRY[-count][-regex] (CodeBuild also writes Retry-)", () => {
    const of = (value: string) => parse(build(`    on-failure: ${value}\n    commands: [x]\n`)).phases.build;
    expect(of("CONTINUE")).toMatchObject({ onFailure: "CONTINUE" });
    expect(of("RETRY")).toMatchObject({ onFailure: "RETRY", retry: { count: 3, pattern: ".*" } });
    expect(of("RETRY-8")).toMatchObject({ retry: { count: 8, pattern: ".*" } });
    expect(of("'RETRY-.*timed out.*'")).toMatchObject({ retry: { count: 3, pattern: ".*timed out.*" } });
    expect(of("'Retry-3-.*connection reset.*'")).toMatchObject({
      retry: { count: 3, pattern: ".*connection reset.*" },
    });
    expect(fails(build("    on-failure: RETRY-101\n    commands: [x]\n"))).toContain(
      "RETRY count 101 is over 100",
    );
    expect(fails(build("    on-failure: 'RETRY-(unclosed'\n    commands: [x]\n"))).toContain(
      "'(unclosed' is not a regular expression",
    );
  });

  it("finally and runtime-versions (install only; the version text as written)", () => {
    const spec = parse(
      "version: 0.2\nphases:\n  install:\n    runtime-versions:\n      python: 3.10\n    commands: [x]\n    finally: [y]\n",
    );
    expect(spec.phases.install).toMatchObject({ runtimeVersions: { python: "3.10" }, finally: ["y"] });
    expect(fails(build("    runtime-versions: { python: 3.12 }\n    commands: [x]\n"))).toContain(
      "runtime-versions belongs to the install phase",
    );
  });

  it("steps: GitHub Actions steps are accepted and checked (uses or run, known keys, not with commands)", () => {
    const spec = parse(
      build(
        "    steps:\n      - name: checkout\n        uses: actions/checkout@v4\n        with: { fetch-depth: '0' }\n      - run: make test\n        env: { CI: 'true' }\n        continue-on-error: true\n        timeout-minutes: 5\n",
      ),
    );
    expect(spec.phases.build?.steps).toEqual([
      { name: "checkout", uses: "actions/checkout@v4", run: undefined },
      { name: undefined, uses: undefined, run: "make test" },
    ]);
    expect(fails(build("    commands: [x]\n    steps:\n      - run: y\n"))).toContain(
      "bs.yml:5:5: phases.build has both commands and steps",
    );
    expect(fails(build("    steps:\n      - uses: a@v1\n        run: b\n"))).toContain(
      "phases.build.steps[0] needs exactly one of uses or run",
    );
    expect(fails(build("    steps:\n      - name: nothing\n"))).toContain("needs exactly one of uses or run");
    expect(fails(build("    steps:\n      - run: x\n        wiht: {}\n"))).toContain(
      "bs.yml:6:9: unknown key 'wiht' in phases.build.steps[0]",
    );
  });
});

describe("reports, artifacts, cache", () => {
  it("reports: groups by name or ARN, JUNITXML by default, formats case-insensitive, at most five groups", () => {
    const spec = parse(
      `${build("    commands: [x]\n")}reports:\n  unit:\n    files: ['TEST-*.xml']\n    base-directory: out\n    discard-paths: yes\n  'arn:aws:codebuild:eu-west-1:1:report-group/cov':\n    files: [cov.xml]\n    file-format: coberturaxml\n`,
    );
    expect(spec.reports).toEqual([
      {
        name: "unit",
        files: ["TEST-*.xml"],
        baseDirectory: "out",
        discardPaths: true,
        fileFormat: "JUNITXML",
      },
      {
        name: "arn:aws:codebuild:eu-west-1:1:report-group/cov",
        files: ["cov.xml"],
        baseDirectory: undefined,
        discardPaths: false,
        fileFormat: "COBERTURAXML",
      },
    ]);
    expect(
      fails(`${build("    commands: [x]\n")}reports:\n  unit:\n    files: [a]\n    file-format: XUNIT\n`),
    ).toContain("reports.unit.file-format 'XUNIT' is not a report format");
    const six = [1, 2, 3, 4, 5, 6].map((i) => `  g${i}:\n    files: [a]\n`).join("");
    expect(fails(`${build("    commands: [x]\n")}reports:\n${six}`)).toContain(
      "a project can have at most 5",
    );
  });

  it("artifacts: exclude-paths (one or a list), enable-symlinks, s3-prefix, secondary-artifacts", () => {
    const spec = parse(
      `${build("    commands: [x]\n")}artifacts:\n  files: ['**/*']\n  exclude-paths: '**/*.tmp'\n  enable-symlinks: yes\n  s3-prefix: builds\n  secondary-artifacts:\n    docs:\n      files: ['docs/**/*']\n      exclude-paths: [docs/draft/*, '**/.keep']\n      name: manual\n`,
    );
    expect(spec.artifacts).toMatchObject({
      excludePaths: ["**/*.tmp"],
      enableSymlinks: true,
      s3Prefix: "builds",
    });
    expect(spec.artifacts?.secondary).toEqual([
      {
        identifier: "docs",
        files: ["docs/**/*"],
        baseDirectory: undefined,
        discardPaths: false,
        name: "manual",
        excludePaths: ["docs/draft/*", "**/.keep"],
        enableSymlinks: false,
        s3Prefix: undefined,
      },
    ]);
    expect(
      fails(
        `${build("    commands: [x]\n")}artifacts:\n  files: [a]\n  secondary-artifacts:\n    docs:\n      secondary-artifacts: {}\n`,
      ),
    ).toContain("unknown key 'secondary-artifacts' in artifacts.secondary-artifacts.docs");
  });

  it("cache: paths, key, fallback-keys (at most five, ignored without key), action restore or save", () => {
    const spec = parse(
      `${build("    commands: [x]\n")}cache:\n  key: npm-$(codebuild-hash-files package-lock.json)\n  fallback-keys: [npm-]\n  action: restore\n  paths: ['node_modules/**/*']\n`,
    );
    expect(spec.cache).toEqual({
      paths: ["node_modules/**/*"],
      key: "npm-$(codebuild-hash-files package-lock.json)",
      fallbackKeys: ["npm-"],
      action: "restore",
    });
    expect(fails(`${build("    commands: [x]\n")}cache:\n  action: both\n  paths: [a]\n`)).toContain(
      "cache.action must be restore or save, not 'both'",
    );
    expect(
      fails(
        `${build("    commands: [x]\n")}cache:\n  key: k\n  fallback-keys: [a, b, c, d, e, f]\n  paths: [a]\n`,
      ),
    ).toContain("CodeBuild takes at most 5");
    expect(
      parse(`${build("    commands: [x]\n")}cache:\n  fallback-keys: [a]\n  paths: [a]\n`).warnings[0],
    ).toBe("bs.yml:6: cache.fallback-keys is ignored without cache.key (as in CodeBuild)");
  });
});

describe("what a local run refuses or only warns about", () => {
  const withAll = (): Buildspec =>
    parse(
      "version: 0.2\nproxy:\n  logs: yes\nbatch:\n  fast-fail: true\nenv:\n  git-credential-helper: yes\nphases:\n  build:\n    on-failure: RETRY-2\n    commands: [x]\nreports:\n  cov:\n    files: [c.xml]\n    file-format: JACOCOXML\nartifacts:\n  files: [a]\n  s3-prefix: p\n",
    );

  it("GitHub Actions steps are refused locally (exit 3), naming the phase and line", () => {
    const spec = parse(
      "version: 0.2\nphases:\n  install:\n    commands: [x]\n  build:\n    steps:\n      - uses: actions/setup-node@v4\n",
    );
    const err = (() => {
      try {
        refuseUnsupportedLocally(spec);
      } catch (e) {
        return e as ConfigError;
      }
    })();
    expect(err?.exitCode).toBe(3);
    expect(err?.toLine()).toBe(
      "bs.yml:6: phases.build: GitHub Actions steps are not supported locally (fix: run this buildspec in CodeBuild (prebake codebuild start), or write phase build as commands)",
    );
  });

  it("service-only keys and RETRY are warnings, each naming its line", () => {
    expect(localRunWarnings(withAll())).toEqual([
      "bs.yml:2: proxy: only matters behind CodeBuild's explicit proxy server; not acted on locally",
      "bs.yml:4: batch: is read by StartBuildBatch; a local run is one build, as StartBuild runs this buildspec",
      "bs.yml:7: env.git-credential-helper: CodeBuild's helper hands git the source credentials; locally git uses what the image has",
      "bs.yml:18: artifacts.s3-prefix: names the S3 key; locally the artifacts go to the -a folder",
      "bs.yml:10: phases.build.on-failure: RETRY is not retried locally: a failure of BUILD ends the build as ABORT does",
      "bs.yml:13: reports.cov: JACOCOXML files are collected and counted, not summarised (only JUNITXML is read locally)",
    ]);
  });
});
