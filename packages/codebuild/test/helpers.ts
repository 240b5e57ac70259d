import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Writable } from "node:stream";
import { createContext } from "@prebake/core";
import { type LocalBuildOptions, parseBuildspec, runLocalBuild } from "../src/index.ts";

/** Helpers of the codebuild integration tests: real engine, real containers. */
export const repo = resolve(import.meta.dirname, "../../..");
/** The local base image (scripts/local-env.sh up builds it). */
export const IMAGE = "prebake/debian:bookworm";

/** A context whose output is captured (and masked, as the CLI's is). */
export function context() {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _e, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  return { ctx: createContext({ cwd: repo, stdout: sink, tty: false, env: {} }), text: () => lines.join("") };
}

/** A fresh source folder with one file. */
export function source(files: Record<string, string> = { "hello.txt": "from the source\n" }): string {
  const dir = mkdtempSync(join(tmpdir(), "prebake-cb-src-"));
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(join(dir, name, ".."), { recursive: true });
    writeFileSync(join(dir, name), content);
  }
  return dir;
}

/** Build containers of one process (this test's by default): other runs on the engine do not count. */
export const leftovers = (pid: number = process.pid) =>
  spawnSync("docker", ["ps", "-aq", "--filter", `label=prebake.codebuild.pid=${pid}`], {
    encoding: "utf8",
  }).stdout.trim();

/** Run a buildspec text locally; the result, or the error it threw, and everything printed. */
export async function run(
  buildspec: string,
  extra: Partial<Omit<LocalBuildOptions, "spec">> = {},
): Promise<{ result: unknown; text: string }> {
  const { ctx, text } = context();
  const spec = parseBuildspec(buildspec, "buildspec.yml");
  const result = await runLocalBuild(ctx, { image: IMAGE, spec, sourceDir: source(), ...extra }).catch(
    (e: unknown) => e,
  );
  return { result, text: text() };
}

/** The prebake CLI under the test's Node (CI=true: plain output). */
export function cli(...args: string[]) {
  return spawnSync(process.execPath, [join(repo, "packages/cli/bin/prebake.js"), ...args], {
    cwd: repo,
    encoding: "utf8",
    env: { ...process.env, CI: "true" },
  });
}

/** Build a throw-away image from a Dockerfile text (and files beside it); remove it with removeImage. */
export function buildImage(tag: string, dockerfile: string, files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), "prebake-img-"));
  writeFileSync(join(dir, "Dockerfile"), dockerfile);
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  const r = spawnSync("docker", ["build", "--network", "host", "-t", tag, dir], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`test image ${tag} failed to build: ${r.stderr.slice(-2000)}`);
  return tag;
}

export function removeImage(tag: string): void {
  spawnSync("docker", ["rmi", "-f", tag], { encoding: "utf8" });
}

/**
 * The baked Erlang image when this machine has pushed one (npm start does); on a fresh CI machine, a
 * stand-in built from Debian's Erlang packages with the same /usr/local/erlang/activate
 * interface, so the sample app and the buildspec are still built and tested for real.
 */
export function erlangImage(): string {
  try {
    const manifest = JSON.parse(readFileSync(join(repo, "dist/images/erlang-otp-27.3.4.1.json"), "utf8")) as {
      uri: string;
    };
    if (spawnSync("docker", ["image", "inspect", manifest.uri]).status === 0) return manifest.uri;
  } catch {
    // no pushed image: the real image's local tag, else the stand-in below
  }
  if (spawnSync("docker", ["image", "inspect", "prebake/erlang-otp:real-27"]).status === 0)
    return "prebake/erlang-otp:real-27";
  const tag = "prebake-test/erlang-debian:bookworm";
  if (spawnSync("docker", ["image", "inspect", tag]).status === 0) return tag;
  return buildImage(
    tag,
    `FROM ${IMAGE}
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends erlang-nox erlang-dev erlang-eunit erlang-tools erlang-common-test rebar3 && rm -rf /var/lib/apt/lists/*
RUN mkdir -p /usr/local/erlang && printf 'kerl_deactivate() { :; }\\n' > /usr/local/erlang/activate
`,
  );
}
