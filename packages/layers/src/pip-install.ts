/**
 * pip for one Python version of one architecture: resolve the requirements to exact files (a dry
 * run with --report), install them in batches that keep each command line under ARG_MAX, merge
 * the batches, and word pip's failures (the error line; a missing wheel with its target and index).
 */
import { existsSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { BuildFailedError, type Context } from "@prebake/core";
import type { BuildOptions } from "./build.ts";
import type { LayerDefinition } from "./definition.ts";
import {
  batchArguments,
  type MissingDistribution,
  missingDistribution,
  type PipIndex,
  parsePipReport,
  pinnedRequirement,
  pipEnvironment,
  type ResolvedDistribution,
  targetArgs,
} from "./pip.ts";
import { ARCH_FACTS, type Architecture, formatGlibc, PYTHON_RUNTIMES } from "./runtimes.ts";
import { mergeTree, type Workspace } from "./workspace.ts";
import { listFiles } from "./zip.ts";

/** The folder pip installs into for a Python version: python/ alone, or python/lib/pythonX.Y/site-packages. */
export function installSubdir(def: Pick<LayerDefinition, "pythonVersions">, version: string): string {
  return def.pythonVersions.length === 1 ? "python" : `python/lib/python${version}/site-packages`;
}

/** pip writes direct_url.json for URL installs: it would leak local paths and differ per index. Drop it. */
async function dropDirectUrls(root: string): Promise<void> {
  for (const rel of await listFiles(root)) {
    if (!/\.dist-info\/direct_url\.json$/.test(rel)) continue;
    await rm(join(root, rel));
    const record = join(root, rel.replace(/direct_url\.json$/, "RECORD"));
    if (existsSync(record)) {
      const lines = (await readFile(record, "utf8"))
        .split("\n")
        .filter((l) => !l.includes("direct_url.json,"));
      await writeFile(record, lines.join("\n"));
    }
  }
}

function pipFailure(step: string, tail: string[], def: LayerDefinition): BuildFailedError {
  const errorLine =
    [...tail].reverse().find((l) => /^ERROR:/.test(l.trim())) ?? tail[tail.length - 1] ?? "no output";
  return new BuildFailedError(`pip ${step} failed: ${errorLine.trim()}`, {
    where: def.file,
    fix: "run again with --debug for pip's full output",
  });
}

/**
 * The index has no wheel of a requirement for this target: pip only takes wheels here, for the
 * Lambda runtime's Python, CPU and glibc. Names the package, the target and the index.
 */
function noWheelFailure(missing: MissingDistribution, job: PipJob): BuildFailedError {
  const py = PYTHON_RUNTIMES[job.version]!;
  const machine = ARCH_FACTS[job.arch].machine;
  const glibc = formatGlibc(py.glibc);
  const found =
    missing.versions === "none" ? "no version of it has one" : `versions with one: ${missing.versions}`;
  return new BuildFailedError(
    `no ${machine} wheel of ${missing.requirement} for ${py.runtime} (${py.cpTag}, manylinux up to glibc ${glibc}) ` +
      `in the index ${job.index.description}; ${found}`,
    {
      where: `${job.def.file}: requirements`,
      fix:
        `pin a version that ships a manylinux ${machine} wheel for ${py.cpTag} (or abi3, or pure Python), add such a wheel to the index, ` +
        `or remove ${job.arch} from architectures / ${job.version} from pythonVersions`,
    },
  );
}

/** One Python version of one architecture: what pip installs, where, and from which index. */
interface PipJob {
  def: LayerDefinition;
  arch: Architecture;
  version: string;
  index: PipIndex;
  workDir: string;
  stageDir: string;
  options: BuildOptions;
}

/** The pip command both steps share, and the options that pick wheels for the Lambda runtime. */
function pipCommand(ws: Workspace, job: PipJob) {
  const py = PYTHON_RUNTIMES[job.version]!;
  return {
    py,
    base: [ws.map.python, "-m", "pip", "install", ...(job.options.debug ? ["-v"] : [])],
    // The index is in pip's environment (pipEnvironment), never in argv: its URL may carry a token.
    target: targetArgs(py, job.arch),
    env: pipEnvironment(job.index),
  };
}

const pipLines = (ctx: Context, job: PipJob) => (line: string) =>
  job.options.debug ? ctx.out.info(line) : ctx.out.debug(line);

/** pip's dry run with --report: every distribution the requirements resolve to, with its exact file. */
async function resolveDistributions(
  ctx: Context,
  ws: Workspace,
  job: PipJob,
): Promise<ResolvedDistribution[]> {
  const { def, workDir } = job;
  const { py, base, target, env } = pipCommand(ws, job);
  const reportFile = join(workDir, `report-${job.version}.json`);
  const requirements = join(def.dir, relative(def.dir, def.requirementsPath));
  ctx.out.progress(
    "pip",
    `resolving ${relative(def.dir, def.requirementsPath)} for ${py.runtime} ${job.arch}`,
  );
  const resolved = await ws.runner.run(
    [
      ...base,
      "--dry-run",
      "--ignore-installed",
      "--quiet",
      "--report",
      ws.map.path(reportFile),
      "--target",
      ws.map.path(join(workDir, "resolve")),
      ...target,
      "-r",
      ws.map.path(requirements),
    ],
    pipLines(ctx, job),
    env,
  );
  if (resolved.exitCode !== 0) {
    const missing = missingDistribution(resolved.tail);
    throw missing
      ? noWheelFailure(missing, job)
      : pipFailure(`resolution (${py.runtime}, ${job.arch})`, resolved.tail, def);
  }
  return parsePipReport(await readFile(reportFile, "utf8"));
}

/** Resolve, then install the exact files in batches that keep each command line under ARG_MAX. */
export async function installFor(
  ctx: Context,
  ws: Workspace,
  job: PipJob,
): Promise<{ distributions: ResolvedDistribution[]; batches: number }> {
  const { def, workDir } = job;
  const distributions = await resolveDistributions(ctx, ws, job);
  const { py, base, target, env } = pipCommand(ws, job);
  // pip compiles .pyc by default; slimming removes them (Lambda's /opt is read-only, they would never be
  // refreshed), which keeps "before slimming" honest: it is what a plain pip install produces.
  const installArgv = (batchDir: string, batch: string[]) => [
    ...base,
    "--no-deps",
    "--target",
    ws.map.path(batchDir),
    ...target,
    ...batch,
  ];
  const fixed = installArgv(join(workDir, "batch-000"), []);
  const batches = batchArguments(distributions.map(pinnedRequirement), fixed, job.options.maxArgBytes);
  const installDir = join(job.stageDir, installSubdir(def, job.version));
  await mkdir(installDir, { recursive: true });
  for (const [i, batch] of batches.entries()) {
    // Each batch gets its own --target: pip refuses to merge into an existing folder (namespace packages
    // shared by two batches would be skipped or clobbered), so batches are merged here, file by file.
    const batchDir = join(workDir, `batch-${String(i).padStart(3, "0")}`);
    await rm(batchDir, { recursive: true, force: true });
    const of = `${i + 1}/${batches.length}`;
    ctx.out.progress(
      "pip",
      `installing batch ${of} (${batch.length} distributions) for ${py.runtime} ${job.arch}`,
    );
    const res = await ws.runner.run(installArgv(batchDir, batch), pipLines(ctx, job), env);
    if (res.exitCode !== 0) throw pipFailure(`install (batch ${of})`, res.tail, def);
    const conflicts = await mergeTree(batchDir, installDir);
    if (conflicts.length > 0) {
      throw new BuildFailedError(
        `two distributions install the same file: ${conflicts.slice(0, 3).join(", ")}`,
        {
          where: def.file,
          fix: "remove one of the conflicting requirements",
        },
      );
    }
    await rm(batchDir, { recursive: true, force: true });
  }
  await dropDirectUrls(installDir);
  return { distributions, batches: batches.length };
}
