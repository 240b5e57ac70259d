import { type Buildspec, PHASES, whereIn } from "./buildspec.ts";

/**
 * What CodeBuild's Lambda compute (BUILD_LAMBDA_*, environment LINUX_LAMBDA_CONTAINER) does not
 * support, found in a buildspec. From CodeBuild's "Limitations of AWS Lambda compute" and the
 * buildspec reference: no on-failure (any value, RETRY included: "only EC2 compute"), no caching,
 * no Docker builds or runs, no tools that need root, no writing outside /tmp, builds of at most
 * 15 minutes. Errors are keys Lambda compute refuses; warnings are commands that will likely fail
 * there (a static look at the text, so it can be wrong both ways).
 */
export type Compute = "ec2" | "lambda";
export const COMPUTE_MODES: readonly Compute[] = ["ec2", "lambda"];

export interface ComputeFinding {
  level: "error" | "warning";
  /** `file:line` */
  where: string;
  message: string;
  fix: string;
}

/** Commands that need what Lambda compute does not give a build. */
const COMMAND_LIMITS: { pattern: RegExp; what: string }[] = [
  { pattern: /(^|[\s;&|(`])docker(\s|$)/, what: "runs docker: Lambda compute has no Docker builds or runs" },
  {
    pattern: /(^|[\s;&|(`])(sudo|yum|dnf|rpm|apt-get|apt|apk)(\s|$)/,
    what: "needs root (package managers, sudo): Lambda compute does not run tools that require root",
  },
];

function keyFindings(spec: Buildspec): ComputeFinding[] {
  const out: ComputeFinding[] = [];
  for (const name of PHASES) {
    const path = `phases.${name}.on-failure`;
    if (spec.lines[path] !== undefined) {
      out.push({
        level: "error",
        where: whereIn(spec, path),
        message: `${path}: Lambda compute does not support on-failure`,
        fix: "remove it (a failing phase then ends the build), or build on EC2 compute",
      });
    }
  }
  if (spec.cache) {
    out.push({
      level: "error",
      where: whereIn(spec, "cache"),
      message: "cache: Lambda compute does not support caching",
      fix: "remove the cache section, or build on EC2 compute",
    });
  }
  return out;
}

function commandFindings(spec: Buildspec): ComputeFinding[] {
  const out: ComputeFinding[] = [];
  for (const name of PHASES) {
    const phase = spec.phases[name];
    for (const command of [...(phase?.commands ?? []), ...(phase?.finally ?? [])]) {
      for (const limit of COMMAND_LIMITS) {
        if (limit.pattern.test(command)) {
          out.push({
            level: "warning",
            where: whereIn(spec, `phases.${name}`),
            message: `phases.${name}: \`${command.split("\n")[0]}\` ${limit.what}`,
            fix: "bake it into the image, or build on EC2 compute",
          });
        }
      }
    }
  }
  return out;
}

/** The buildspec's findings for a compute mode (none for EC2, which supports every key). */
export function computeFindings(spec: Buildspec, compute: Compute): ComputeFinding[] {
  return compute === "lambda" ? [...keyFindings(spec), ...commandFindings(spec)] : [];
}

export function formatComputeFinding(f: ComputeFinding): string {
  return `${f.where}: ${f.message} (fix: ${f.fix})`;
}
