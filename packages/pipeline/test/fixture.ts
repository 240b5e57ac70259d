/**
 * A throw-away project (a git repository in a temp folder) for the pipeline tests: its own
 * prebake.config.yaml, stacks and sources, committed, since the pipeline's source is the committed tree.
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";

export const repo = resolve(import.meta.dirname, "../../..");

export class FixtureProject {
  readonly root = mkdtempSync(join(tmpdir(), "prebake-pipeline-project-"));

  write(path: string, text: string): this {
    mkdirSync(dirname(join(this.root, path)), { recursive: true });
    writeFileSync(join(this.root, path), text);
    return this;
  }

  /** Copy a file or folder of this repository into the project, at the same path. */
  copy(path: string): this {
    cpSync(join(repo, path), join(this.root, path), { recursive: true });
    return this;
  }

  commit(): this {
    const git = (...args: string[]) =>
      execFileSync("git", ["-c", "user.email=t@t", "-c", "user.name=t", ...args], { cwd: this.root });
    git("init", "-q");
    git("add", "-A");
    git("commit", "-qm", "fixture");
    return this;
  }
}

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  pid: number;
}

/**
 * The prebake CLI under Node 24, in the project, with its own TMPDIR (so leftovers can be counted).
 * `onOutput` sees everything printed so far (both streams) and may signal the process.
 */
export function prebake(
  cwd: string,
  args: string[],
  opts: { tmp: string; onOutput?: (text: string, child: ChildProcess) => void },
): Promise<CliRun> {
  const child = spawn(
    join(repo, "node_modules/.bin/node"),
    [join(repo, "packages/cli/bin/prebake.js"), ...args],
    {
      cwd,
      env: { ...process.env, CI: "1", TMPDIR: opts.tmp },
    },
  );
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => {
    stdout += d;
    opts.onOutput?.(stdout + stderr, child);
  });
  child.stderr.on("data", (d: Buffer) => {
    stderr += d;
    opts.onOutput?.(stdout + stderr, child);
  });
  return new Promise((res) =>
    child.on("close", (code, signal) => res({ code, signal, stdout, stderr, pid: child.pid! })),
  );
}

/** Build containers a process left (label prebake.codebuild.pid). */
export const leftoverContainers = (pid: number) =>
  spawnSync("docker", ["ps", "-aq", "--filter", `label=prebake.codebuild.pid=${pid}`], {
    encoding: "utf8",
  }).stdout.trim();

/**
 * The Erlang stand-in the codebuild tests build when no baked image is pushed: Debian's Erlang
 * packages behind the baked image's /usr/local/erlang/activate interface (never the 40-minute OTP
 * compile). Same tag and recipe as the runner tests, so it is built once per machine.
 */
export function erlangStandIn(): string {
  const tag = "prebake-test/erlang-debian:bookworm";
  if (spawnSync("docker", ["image", "inspect", tag]).status === 0) return tag;
  const dir = mkdtempSync(join(tmpdir(), "prebake-erl-"));
  writeFileSync(
    join(dir, "Dockerfile"),
    `FROM prebake/debian:bookworm
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends erlang-nox erlang-dev erlang-eunit erlang-tools erlang-common-test rebar3 && rm -rf /var/lib/apt/lists/*
RUN mkdir -p /usr/local/erlang && printf 'kerl_deactivate() { :; }\\n' > /usr/local/erlang/activate
`,
  );
  const r = spawnSync("docker", ["build", "--network", "host", "-t", tag, dir], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`stand-in Erlang image failed to build: ${r.stderr.slice(-2000)}`);
  return tag;
}
