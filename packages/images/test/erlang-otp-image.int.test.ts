import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { BuildFailedError, ExitCode } from "@prebake/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ImageDefinition, loadImageDefinition } from "../src/definition.ts";
import { buildImageVersion } from "../src/release.ts";
import {
  type FakeFile,
  writeFakeOtpSource,
  writeFakeRebar3Escript,
  writeFakeRebar3Source,
} from "./fixtures/erlang-otp/fake-toolchain.ts";
import { type FixtureServer, serveDirectory } from "./fixtures/erlang-otp/server.ts";
import { makeRoot, suffix, type TestRoot, testContext } from "./fixtures.ts";

// The real images/erlang-otp (image.yaml + Dockerfile) built through the images library on the real
// engine, with stand-in OTP/rebar3 downloads served from 127.0.0.1 (GitHub is out of reach and a
// real OTP compile takes minutes; scripts/build-real-erlang-image.sh does the real one).
const REPO_ROOT = resolve(import.meta.dirname, "../../..");
const id = suffix();
const t: TestRoot = makeRoot();
const { ctx } = testContext(t.root);
const downloads = mkdtempSync(join(tmpdir(), "prebake-erlang-fixtures-"));
const built: string[] = [];

let server: FixtureServer;
let def: ImageDefinition;
let otp27: FakeFile;
let otp26xz: FakeFile;
let rebar3Escript: FakeFile;
let rebar3Source: FakeFile;

/** The built image's reference (build-image results always carry one). */
function builtRef(result: { uri: string | undefined }): string {
  if (!result.uri) throw new Error("build-image returned no image reference");
  built.push(result.uri);
  return result.uri;
}

function docker(args: string[]) {
  const r = spawnSync("docker", args, { encoding: "utf8", timeout: 60_000 });
  return { code: r.status, out: `${r.stdout}${r.stderr}`.trim() };
}

beforeAll(async () => {
  const real = loadImageDefinition(join(REPO_ROOT, "images"), "erlang-otp");
  // Same folder, Dockerfile and build args; a throwaway repository name so tags never collide.
  def = { ...real, repository: `prebake-test/erlang-otp-${id}` };
  const rebar3Version = real.buildArgs.REBAR3_VERSION!;
  otp27 = writeFakeOtpSource(downloads, { version: "27.1" });
  otp26xz = writeFakeOtpSource(downloads, { version: "26.2.5", compression: "xz" });
  rebar3Escript = writeFakeRebar3Escript(downloads, rebar3Version);
  rebar3Source = writeFakeRebar3Source(downloads, rebar3Version);
  server = await serveDirectory(downloads);
});

afterAll(async () => {
  for (const ref of built) docker(["image", "rm", "-f", ref]);
  await server?.close();
  rmSync(downloads, { recursive: true, force: true });
  rmSync(t.root, { recursive: true, force: true });
});

const mirrorArgs = (otp: FakeFile, rebar3: FakeFile, extra: Record<string, string> = {}) => ({
  OTP_URL: server.url(otp.file),
  OTP_SHA256: otp.sha256,
  REBAR3_URL: server.url(rebar3.file),
  REBAR3_SHA256: rebar3.sha256,
  ...extra,
});

describe("images/erlang-otp Dockerfile (stand-in sources)", () => {
  // The 27.1 build is the block's setup: the tests that inspect the image each start from it,
  // whichever of them runs first.
  let image27: string;
  let result: Awaited<ReturnType<typeof buildImageVersion>>;
  beforeAll(async () => {
    result = await buildImageVersion(ctx, def, "27.1", { buildArgs: mirrorArgs(otp27, rebar3Escript) });
    image27 = builtRef(result);
  });

  it("builds 27.1 from a .tar.gz and the rebar3 escript; kerl-style activate gives erl and rebar3", async () => {
    expect(result.action).toBe("built");
    expect(server.requests).toEqual(expect.arrayContaining([otp27.file, rebar3Escript.file]));

    const run = docker([
      "run",
      "--rm",
      image27,
      "bash",
      "-lc",
      `. /usr/local/erlang/activate && erl -noshell -eval 'io:format("~s~n",[erlang:system_info(otp_release)]), halt().' && rebar3 version`,
    ]);
    expect(run.code, run.out).toBe(0);
    expect(run.out.split("\n")).toEqual(["27", "rebar 3.24.0 on Erlang/OTP 27 Erts 15.1"]);
  });

  it("kerl_deactivate restores PATH and MANPATH (plain sh, as CodeBuild runs buildspecs)", () => {
    const script = [
      'P0="$PATH"',
      ". /usr/local/erlang/activate",
      '[ "$PATH" = "/usr/local/erlang/bin:$P0" ] || { echo "activate PATH: $PATH"; exit 11; }',
      '[ "$MANPATH" = "/usr/local/erlang/lib/erlang/man:" ] || { echo "MANPATH: $MANPATH"; exit 12; }',
      "command -v erl >/dev/null && command -v rebar3 >/dev/null || exit 13",
      ". /usr/local/erlang/activate", // a second activate must not stack entries
      '[ "$PATH" = "/usr/local/erlang/bin:$P0" ] || { echo "twice PATH: $PATH"; exit 14; }',
      "kerl_deactivate",
      '[ "$PATH" = "$P0" ] || { echo "deactivated PATH: $PATH"; exit 15; }',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell parameter expansion, not a template
      '[ -z "${MANPATH+x}" ] || { echo "MANPATH left: $MANPATH"; exit 16; }',
      "! command -v erl >/dev/null || exit 17",
      "! command -v kerl_deactivate >/dev/null || exit 18",
      "echo restored",
    ].join("\n");
    const run = docker(["run", "--rm", "-e", "MANPATH", image27, "sh", "-c", script]);
    expect(run.code, run.out).toBe(0);
    expect(run.out).toBe("restored");

    // A MANPATH that was set before activation comes back exactly.
    const kept = docker([
      "run",
      "--rm",
      "-e",
      "MANPATH=/opt/man",
      image27,
      "sh",
      "-c",
      '. /usr/local/erlang/activate; echo "$MANPATH"; kerl_deactivate; echo "$MANPATH"',
    ]);
    expect(kept.out.split("\n")).toEqual(["/usr/local/erlang/lib/erlang/man:/opt/man", "/opt/man"]);
  });

  it("passes the no-javac/wx/odbc/debugger/observer/et flags, drops sources/examples/docs, keeps include and priv", () => {
    const run = docker([
      "run",
      "--rm",
      image27,
      "sh",
      "-c",
      "cat /usr/local/erlang/lib/erlang/configure.args; cd /usr/local/erlang/lib/erlang/lib && find . | sort",
    ]);
    expect(run.code, run.out).toBe(0);
    const lines = run.out.split("\n");
    expect(lines).toEqual(
      expect.arrayContaining([
        "--prefix=/usr/local/erlang",
        "--without-javac",
        "--without-wx",
        "--without-odbc",
        "--without-debugger",
        "--without-observer",
        "--without-et",
        "./fake_app-1.0/ebin/fake_app.app",
        "./fake_app-1.0/include/fake_app.hrl",
        "./common_test/priv/ct_default.css",
        "./common_test/priv/jquery-latest.js",
      ]),
    );
    expect(lines.filter((l) => /\/(src|examples|doc)(\/|$)/.test(l))).toEqual([]);
  });

  it("records OTP and rebar3 versions and sources in OCI labels", () => {
    const inspect = docker(["image", "inspect", "-f", "{{json .Config.Labels}}", image27]);
    const labels = JSON.parse(inspect.out) as Record<string, string>;
    expect(labels).toMatchObject({
      "org.opencontainers.image.version": "27.1",
      "org.opencontainers.image.title": "erlang-otp",
      "dev.prebake.erlang.otp-version": "27.1",
      "dev.prebake.erlang.otp-source": server.url(otp27.file),
      "dev.prebake.erlang.otp-sha256": otp27.sha256,
      "dev.prebake.erlang.rebar3-version": "3.24.0",
      "dev.prebake.erlang.rebar3-source": server.url(rebar3Escript.file),
    });
    expect(labels["org.opencontainers.image.revision"]).toMatch(/^[0-9a-f]{40}$/);
  });

  it("builds 26.2.5 from a .tar.xz and bootstraps rebar3 from a source tarball", async () => {
    const result = await buildImageVersion(ctx, def, "26.2.5", {
      buildArgs: mirrorArgs(otp26xz, rebar3Source),
    });
    const run = docker([
      "run",
      "--rm",
      builtRef(result),
      "bash",
      "-lc",
      "erl -noshell -eval 'halt().' && rebar3 version",
    ]);
    expect(run.code, run.out).toBe(0);
    expect(run.out.split("\n")).toEqual(["26", "rebar 3.24.0 on Erlang/OTP 26 Erts 15.1"]);
  });

  it("fails the build on a sha256 mismatch with one line naming expected, actual and the URL", async () => {
    const wrong = "0".repeat(64);
    const err = await buildImageVersion(ctx, def, "27.1", {
      buildArgs: mirrorArgs(otp27, rebar3Escript, { OTP_SHA256: wrong }),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BuildFailedError);
    expect((err as BuildFailedError).exitCode).toBe(ExitCode.BUILD_FAILED);
    expect((err as Error).message).toContain(
      `prebake: OTP 27.1: sha256 mismatch for ${server.url(otp27.file)}: expected ${wrong}, got ${otp27.sha256}`,
    );
  });

  it("fails the image check when the source is not the pinned OTP version", async () => {
    // Same URL shape, different contents: a mirror serving 27.0 under the 27.1 pin's version.
    const stale = writeFakeOtpSource(downloads, {
      version: "27.1",
      reportsVersion: "27.0",
      compression: "xz",
    });
    const err = await buildImageVersion(ctx, def, "27.1", {
      buildArgs: mirrorArgs(stale, rebar3Escript),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BuildFailedError);
    expect((err as Error).message).toContain("the source is OTP 27.0, the build pinned OTP_VERSION=27.1");
  });

  it("fails the build when a download is missing, naming the URL", async () => {
    const missing = { file: "otp_src_27.9.tar.gz", sha256: otp27.sha256 };
    const err = await buildImageVersion(ctx, def, "27.1", {
      buildArgs: mirrorArgs(missing, rebar3Escript),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BuildFailedError);
    expect((err as Error).message).toContain(
      `prebake: OTP 27.1: download failed: ${server.url(missing.file)}`,
    );
  });
});
