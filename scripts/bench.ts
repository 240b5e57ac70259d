/**
 * `npm run bench`: runs the quick benchmarks one after the other and rewrites each one's block in
 * docs/benchmarks.md from what it printed (see bench/doc-blocks.ts), so the doc cannot drift from
 * the scripts. Not here: the Erlang/OTP image build and the headline compile-in-install benchmark
 * (minutes of compiling each); their sections say by hand which command and date they come from.
 *
 *   npm run bench                     every quick benchmark
 *   npm run bench -- deploy-noop ...  only the named ones
 *   npm run bench -- pipeline --rounds 1 --noop-runs 1
 *                                     options after the names go to each named benchmark (and into
 *                                     the command its block shows)
 *   npm run bench -- scale            a benchmark that runs only when named (NAMED_ONLY below)
 *   npm run bench -- --list           their names and commands
 *
 * A benchmark that fails leaves its block as it was and makes the run exit 1; the others still run.
 * Needs the local services (scripts/local-env.sh up); the pipeline benchmark also needs the
 * repository's images pushed and its layer published (a first `npm start`).
 */
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg } from "node:os";
import { join, resolve } from "node:path";
import { type BenchRun, blockNames, renderBlock, replaceBlock } from "./bench/doc-blocks.ts";

const repo = resolve(import.meta.dirname, "..");
const DOC = join(repo, "docs", "benchmarks.md");
const NODE = "node_modules/.bin/node";

/** The quick benchmarks, by block name; each command is run from the repository root. */
const QUICK: Record<string, string[]> = {
  layers: [NODE, "packages/layers/bench/layer.bench.ts", "3"],
  "images-push": [NODE, "packages/images/bench/push.bench.ts", "5"],
  "images-resolve": [NODE, "packages/images/bench/resolve.bench.ts", "30"],
  "deploy-noop": [NODE, "packages/deploy/bench/noop-deploy.bench.ts", "--runs", "7"],
  "stack-render": [NODE, "packages/stack/bench/render.bench.ts", "--runs", "9"],
  pipeline: [NODE, "scripts/bench-pipeline.ts", "--rounds", "3", "--noop-runs", "3"],
  startup: [NODE, "packages/cli/bench/startup.bench.ts", "--runs", "11"],
};

/**
 * Benchmarks that run only when named: the scale benchmark makes fresh copies of a team-sized
 * repository for this checkout and a baseline's clone, about three quarters of an hour in all.
 */
const NAMED_ONLY: Record<string, string[]> = {
  scale: [NODE, "scripts/bench-scale.ts"],
};
const ALL: Record<string, string[]> = { ...QUICK, ...NAMED_ONLY };

function git(...args: string[]): string {
  return spawnSync("git", args, { cwd: repo, encoding: "utf8" }).stdout.trim();
}

/**
 * The commit the figures measure, and whether the code differed from it. The doc being rewritten
 * and package-lock.json (the versions package.json already states) are not code.
 */
function measuredCommit(): { commit: string; dirty: boolean } {
  const changes = git(
    "status",
    "--porcelain",
    "--untracked-files=no",
    "--",
    ".",
    ":!docs/benchmarks.md",
    ":!package-lock.json",
  );
  return { commit: git("rev-parse", "--short=10", "HEAD"), dirty: changes !== "" };
}

function runOne(name: string, argv: string[]): BenchRun | undefined {
  const command = argv.join(" ");
  process.stderr.write(`\n==> ${name}: ${command}\n`);
  const startedAt = new Date().toISOString();
  const loadBefore = loadavg()[0]!;
  const { commit, dirty } = measuredCommit();
  const r = spawnSync(argv[0]!, argv.slice(1), {
    cwd: repo,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
    maxBuffer: 64 * 1024 * 1024,
  });
  process.stdout.write(r.stdout ?? "");
  if (r.status !== 0) {
    process.stderr.write(`${name}: exit ${r.status ?? r.signal}; its block in docs/benchmarks.md is kept\n`);
    return undefined;
  }
  return {
    command,
    startedAt,
    commit,
    dirty,
    loadBefore,
    loadAfter: loadavg()[0]!,
    cores: availableParallelism(),
    stdout: r.stdout,
  };
}

function main(args: string[]): number {
  if (args.includes("--list")) {
    for (const [name, argv] of Object.entries(ALL)) {
      const when = name in QUICK ? "" : "\t(only when named)";
      process.stdout.write(`${name}\t${argv.join(" ")}${when}\n`);
    }
    return 0;
  }
  const firstOption = args.findIndex((a) => a.startsWith("--"));
  const named = firstOption < 0 ? args : args.slice(0, firstOption);
  const options = firstOption < 0 ? [] : args.slice(firstOption);
  if (options.length && !named.length) {
    process.stderr.write(
      "bench: options need the benchmarks they are for (npm run bench -- NAME --option value)\n",
    );
    return 2;
  }
  const unknown = named.filter((a) => !(a in ALL));
  if (unknown.length) {
    process.stderr.write(
      `bench: unknown benchmark ${unknown.join(", ")} (known: ${Object.keys(ALL).join(", ")})\n`,
    );
    return 2;
  }
  const names = named.length ? named : Object.keys(QUICK);
  const missing = names.filter((n) => !blockNames(readFileSync(DOC, "utf8")).includes(n));
  if (missing.length) {
    process.stderr.write(
      `bench: docs/benchmarks.md has no block for ${missing.join(", ")} (add <!-- bench:NAME --> <!-- /bench -->)\n`,
    );
    return 3;
  }
  const failed: string[] = [];
  for (const name of names) {
    const run = runOne(name, [...ALL[name]!, ...options]);
    if (!run) {
      failed.push(name);
      continue;
    }
    // Written after each benchmark: a later failure or an interrupted run keeps what was measured.
    writeFileSync(DOC, replaceBlock(readFileSync(DOC, "utf8"), name, renderBlock(run)));
    process.stderr.write(`${name}: docs/benchmarks.md updated\n`);
  }
  if (failed.length) process.stderr.write(`bench: failed: ${failed.join(", ")}\n`);
  return failed.length ? 1 : 0;
}

process.exitCode = main(process.argv.slice(2));
