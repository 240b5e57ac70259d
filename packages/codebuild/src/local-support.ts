import { ConfigError } from "@prebake/core";
import { type Buildspec, PHASES, whereIn } from "./buildspec.ts";

/**
 * What a local run cannot do the way CodeBuild does, decided from the buildspec before anything
 * runs: a refusal (exit 3) where running anyway would give a different build, a warning where
 * the key only matters to CodeBuild's service (the conformance table in the README lists both).
 */

/** GitHub Actions steps need CodeBuild's managed action runner (and a GitHub connection): refused. */
export function refuseUnsupportedLocally(spec: Buildspec): void {
  if (Object.keys(spec.phases).length === 0 && spec.batch) {
    // A batch-only buildspec: StartBuildBatch runs its tasks, each with the buildspec it names.
    const own = spec.batch.taskBuildspecs ?? [];
    throw new ConfigError(
      `a batch buildspec with no phases: its ${spec.batch.kind} tasks run their own builds`,
      {
        where: whereIn(spec, "batch"),
        fix:
          own.length > 0
            ? `run a task's buildspec: ${own.map((b) => `prebake codebuild run -b ${b}`).join(", or ")}`
            : "run a task's buildspec with prebake codebuild run -b <file>, or add phases to this one",
      },
    );
  }
  for (const name of PHASES) {
    if (spec.phases[name]?.steps) {
      throw new ConfigError(`phases.${name}: GitHub Actions steps are not supported locally`, {
        where: whereIn(spec, `phases.${name}.steps`),
        fix: `run this buildspec in CodeBuild (prebake codebuild start), or write phase ${name} as commands`,
      });
    }
  }
}

function serviceOnlyWarnings(spec: Buildspec): string[] {
  const out: string[] = [];
  const warn = (path: string, what: string) => out.push(`${whereIn(spec, path)}: ${path}: ${what}`);
  if (spec.proxy)
    warn("proxy", "only matters behind CodeBuild's explicit proxy server; not acted on locally");
  if (spec.batch) {
    warn("batch", "is read by StartBuildBatch; a local run is one build, as StartBuild runs this buildspec");
  }
  if (spec.env.gitCredentialHelper) {
    warn(
      "env.git-credential-helper",
      "CodeBuild's helper hands git the source credentials; locally git uses what the image has",
    );
  }
  for (const set of [spec.artifacts, ...(spec.artifacts?.secondary ?? [])]) {
    if (set?.s3Prefix !== undefined) {
      const path = set.identifier
        ? `artifacts.secondary-artifacts.${set.identifier}.s3-prefix`
        : "artifacts.s3-prefix";
      warn(path, "names the S3 key; locally the artifacts go to the -a folder");
    }
  }
  return out;
}

function behaviourWarnings(spec: Buildspec): string[] {
  const out: string[] = [];
  for (const name of PHASES) {
    const phase = spec.phases[name];
    if (phase?.onFailure === "RETRY") {
      out.push(
        `${whereIn(spec, `phases.${name}.on-failure`)}: phases.${name}.on-failure: RETRY is not retried locally: a failure of ${name.toUpperCase()} ends the build as ABORT does`,
      );
    }
  }
  for (const group of spec.reports) {
    if (group.fileFormat !== "JUNITXML") {
      out.push(
        `${whereIn(spec, `reports.${group.name}`)}: reports.${group.name}: ${group.fileFormat} files are collected and counted, not summarised (only JUNITXML is read locally)`,
      );
    }
  }
  return out;
}

/** Warnings a local run prints before it starts. */
export function localRunWarnings(spec: Buildspec): string[] {
  return [...spec.warnings, ...serviceOnlyWarnings(spec), ...behaviourWarnings(spec)];
}
