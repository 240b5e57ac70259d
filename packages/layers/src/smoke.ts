import { dirname } from "node:path";
import { BuildFailedError, type Context, containerRuntime, ValidationError } from "@prebake/core";
import { resolveLayerImage } from "./image.ts";
import { ContainerRunner } from "./runner.ts";
import { ARCH_FACTS, type Architecture } from "./runtimes.ts";

export interface ImportTiming {
  module: string;
  ok: boolean;
  /** Wall time of `import <module>` in a fresh interpreter: the layer's cold-start cost for it. */
  ms: number;
  error?: string;
}

/**
 * Runs in the container, in a fresh interpreter per module (cold, like a Lambda init). `-S -s`:
 * no site-packages of the image, only the stdlib and what the layer puts on Lambda's path, so a
 * package that imports only because the image happens to have it fails here as it would on Lambda.
 */
export const SMOKE_SCRIPT = `
import json, subprocess, sys
probe = "import importlib, time, json, sys\\nt = time.perf_counter()\\nimportlib.import_module(sys.argv[1])\\nprint(json.dumps({'ms': (time.perf_counter() - t) * 1000}))"
for name in sys.argv[1:]:
    p = subprocess.run([sys.executable, "-S", "-s", "-c", probe, name], capture_output=True, text=True)
    if p.returncode == 0:
        print(json.dumps({"module": name, "ok": True, "ms": json.loads(p.stdout.strip().splitlines()[-1])["ms"]}))
    else:
        last = (p.stderr.strip().splitlines() or ["exit %d" % p.returncode])[-1]
        print(json.dumps({"module": name, "ok": False, "ms": 0, "error": last}))
`;

/** Lambda puts these on sys.path for a layer extracted to /opt. */
export const lambdaPythonPath = (version: string) =>
  `/opt/python:/opt/python/lib/python${version}/site-packages`;

/** Parse the JSON lines SMOKE_SCRIPT prints. */
export function parseSmokeOutput(stdout: string): ImportTiming[] {
  return stdout
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as ImportTiming);
}

export interface SmokeResult {
  version: string;
  image: string;
  timings: ImportTiming[];
}

/** layer.yaml's budget.coldStartMs, where it is written, and whether passing it fails the build. */
export interface ColdStartBudget {
  coldStartMs: number;
  /** The definition file, for the message. */
  file: string;
  /** --strict: over budget is a validation failure (exit 4), not a warning. */
  strict: boolean;
}

/** Modules whose cold import took longer than the budget, slowest first. */
export function overColdStartBudget(timings: ImportTiming[], budgetMs: number): ImportTiming[] {
  return timings.filter((t) => t.ok && t.ms > budgetMs).sort((a, b) => b.ms - a.ms);
}

/** Warn (or, with --strict, fail) when a module's cold import passes the budget. */
export function checkColdStart(
  ctx: Context,
  timings: ImportTiming[],
  version: string,
  budget: ColdStartBudget,
): void {
  const slow = overColdStartBudget(timings, budget.coldStartMs);
  if (slow.length === 0) return;
  const list = slow.map((t) => `${t.module} ${Math.round(t.ms)} ms`).join(", ");
  const what = `python${version}: cold import over the ${budget.coldStartMs} ms cold-start budget: ${list}`;
  const fix = "import the heavy module lazily, trim the layer, or raise budget.coldStartMs";
  if (budget.strict) throw new ValidationError(what, { where: `${budget.file}: budget.coldStartMs`, fix });
  ctx.out.warn(`${what} (${budget.file}: budget.coldStartMs; ${fix}; --strict fails the build)`);
}

/**
 * Unzip the layer into /opt of a container matching the runtime and import every top-level package.
 * Throws ValidationError naming the first module that fails to import.
 */
export async function smokeTestLayer(
  ctx: Context,
  zipPath: string,
  version: string,
  arch: Architecture,
  modules: string[],
  budget?: ColdStartBudget,
): Promise<SmokeResult> {
  const runtime = containerRuntime(ctx);
  const info = (await runtime.call("a request for its architecture", () => runtime.docker.info())) as {
    Architecture?: string;
  };
  const engineArch =
    info.Architecture === "aarch64" ? "arm64" : info.Architecture === "x86_64" ? "x86_64" : info.Architecture;
  if (engineArch !== arch) {
    throw new ValidationError(`cannot smoke-test a ${arch} layer on a ${info.Architecture} Docker engine`, {
      where: zipPath,
      fix: `run the import test on a ${ARCH_FACTS[arch].machine} engine, or pass --skip-smoke-test`,
    });
  }
  const image = await resolveLayerImage(ctx, version);
  const runner = await ContainerRunner.start(ctx, {
    image,
    namePrefix: "prebake-layer-smoke",
    binds: [{ host: dirname(zipPath), container: "/layer", readOnly: true }],
    env: { PYTHONPATH: lambdaPythonPath(version), PYTHONDONTWRITEBYTECODE: "1" },
  });
  try {
    const zipName = zipPath.slice(dirname(zipPath).length + 1);
    const unzip = await runner.run(["unzip", "-q", "-o", `/layer/${zipName}`, "-d", "/opt"]);
    if (unzip.exitCode !== 0) {
      throw new BuildFailedError(`unzip of the layer failed: ${unzip.tail.join(" ").slice(0, 300)}`, {
        where: zipPath,
      });
    }
    ctx.out.info(`import test of ${modules.join(", ")} in ${image} (python${version}, ${arch})`);
    const res = await runner.run([
      "/opt/python-layer/bin/python",
      "-S",
      "-s",
      "-c",
      SMOKE_SCRIPT,
      ...modules,
    ]);
    if (res.exitCode !== 0) {
      throw new BuildFailedError(`import smoke test did not run: ${res.tail.slice(-3).join(" ")}`, {
        where: image,
      });
    }
    const timings = parseSmokeOutput(res.stdout);
    const failed = timings.find((t) => !t.ok);
    if (failed) {
      throw new ValidationError(
        `import ${failed.module} fails on python${version} ${arch}: ${failed.error}`,
        {
          where: zipPath,
          fix: "add the missing dependency to the requirements, or pin a wheel built for this runtime",
        },
      );
    }
    if (budget) checkColdStart(ctx, timings, version, budget);
    return { version, image, timings };
  } finally {
    await runner.close();
  }
}
