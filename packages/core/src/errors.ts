/**
 * Typed errors and the exit codes they map to. Every expected failure is a PrebakeError:
 * the CLI prints its one-line message (never a stack trace) and exits with its code.
 * The table is documented in README.md ("Exit codes"); keep the two in step.
 */
export const ExitCode = {
  OK: 0,
  INTERNAL: 1,
  USAGE: 2,
  CONFIG: 3,
  VALIDATION: 4,
  UNAVAILABLE: 5,
  AUTH: 6,
  DEPLOY_FAILED: 7,
  BUILD_FAILED: 8,
  REFUSED: 9,
  /** Not a failure: `prebake images outdated` found a pushed image whose base moved (CI rebuilds on it). */
  REBUILD_DUE: 10,
  /** Not a failure: `prebake deploy --dry-run --fail` found a stack that would change (CI gates on it). */
  CHANGES_PENDING: 11,
  /** Stopped by a signal, after cleaning up: 128 + the signal's number. */
  HANGUP: 129,
  INTERRUPTED: 130,
  TERMINATED: 143,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export interface ErrorDetails {
  /** Where the problem is: a file and field, a logical ID, an AWS resource. */
  where?: string;
  /** What the user can do about it. */
  fix?: string;
  cause?: unknown;
  /** Every problem found, when there were several (a file's checks report all of them at once). */
  problems?: Problem[];
}

/** One problem of several: `file:line:column`, what is wrong there, what to do. */
export interface Problem {
  where: string;
  message: string;
  fix?: string | undefined;
}

/**
 * Marks prebake's errors across copies of this module: the bundled CLI (dist/cli/prebake.mjs) has
 * its own copy of core, while a stack.ts it renders imports the repository's, so `instanceof`
 * alone would not know the stack's ConfigError for one of prebake's.
 */
const PREBAKE_ERROR = Symbol.for("@prebake/core.PrebakeError");

export class PrebakeError extends Error {
  readonly [PREBAKE_ERROR] = true;
  readonly exitCode: ExitCodeValue;
  readonly where: string | undefined;
  readonly fix: string | undefined;
  /** Every problem, the first one included, when there were several; else empty. */
  readonly problems: readonly Problem[];

  constructor(exitCode: ExitCodeValue, message: string, details: ErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = new.target.name;
    this.exitCode = exitCode;
    this.where = details.where;
    this.fix = details.fix;
    this.problems = details.problems && details.problems.length > 1 ? details.problems : [];
  }

  /** The single line the CLI prints: "<where>: <message> (fix: <fix>)". */
  toLine(): string {
    const where = this.where ? `${this.where}: ` : "";
    const fix = this.fix ? ` (fix: ${this.fix})` : "";
    return `${where}${this.message}${fix}`.replace(/\s*\n\s*/g, " ");
  }
}

/** Bad user input: configuration, stack.ts, image definition, buildspec, layer definition. */
export class ConfigError extends PrebakeError {
  constructor(message: string, details: ErrorDetails = {}) {
    super(ExitCode.CONFIG, message, details);
  }
}

/**
 * One ConfigError for every problem of a check (there is at least one): it reads as the first
 * problem, "(and N more listed above)" when there are more, and carries them all, which the CLI
 * prints each on a line of its own before its last line.
 */
export function configErrorOf(problems: Problem[]): ConfigError {
  const [first, ...rest] = problems;
  if (!first) throw new Error("configErrorOf needs at least one problem");
  const more = rest.length > 0 ? ` (and ${rest.length} more listed above)` : "";
  return new ConfigError(`${first.message}${more}`, { where: first.where, fix: first.fix, problems });
}

/** The line a problem prints as: "<where>: <message> (fix: <fix>)". */
export function problemLine(problem: Problem): string {
  return `${problem.where}: ${problem.message}${problem.fix ? ` (fix: ${problem.fix})` : ""}`;
}

/** A check found problems: cfn-lint findings, stale stack.yaml, layer validation. */
export class ValidationError extends PrebakeError {
  constructor(message: string, details: ErrorDetails = {}) {
    super(ExitCode.VALIDATION, message, details);
  }
}

/** A service we need cannot be reached: Docker engine, registry, AWS endpoint. */
export class UnavailableError extends PrebakeError {
  constructor(message: string, details: ErrorDetails = {}) {
    super(ExitCode.UNAVAILABLE, message, details);
  }
}

/** Missing, wrong or expired credentials. */
export class AuthError extends PrebakeError {
  constructor(message: string, details: ErrorDetails = {}) {
    super(ExitCode.AUTH, message, details);
  }
}

/** A stack operation failed in CloudFormation. */
export class DeployFailedError extends PrebakeError {
  constructor(message: string, details: ErrorDetails = {}) {
    super(ExitCode.DEPLOY_FAILED, message, details);
  }
}

/** An image build, a CodeBuild build, or a layer build failed. */
export class BuildFailedError extends PrebakeError {
  constructor(message: string, details: ErrorDetails = {}) {
    super(ExitCode.BUILD_FAILED, message, details);
  }
}

/** A safety check refused to go on (e.g. a lifecycle policy would expire an in-use image). */
export class RefusedError extends PrebakeError {
  constructor(message: string, details: ErrorDetails = {}) {
    super(ExitCode.REFUSED, message, details);
  }
}

/** A pushed image needs a rebuild (its base moved, or its content changed): `prebake images outdated`. */
export class RebuildDueError extends PrebakeError {
  constructor(message: string, details: ErrorDetails = {}) {
    super(ExitCode.REBUILD_DUE, message, details);
  }
}

/** An error as `--json` prints it: `{"error": ErrorJson}`; where and fix are null when the error has none. */
export interface ErrorJson {
  exitCode: number;
  message: string;
  where: string | null;
  fix: string | null;
  /** Present when there were several problems: each of them, the first one included. */
  problems?: { where: string; message: string; fix: string | null }[];
}

export function errorJson(err: PrebakeError): ErrorJson {
  const oneLine = (text: string) => text.replace(/\s*\n\s*/g, " ");
  return {
    exitCode: err.exitCode,
    message: oneLine(err.message),
    where: err.where ?? null,
    fix: err.fix ?? null,
    ...(err.problems.length > 0
      ? {
          problems: err.problems.map((p) => ({
            where: p.where,
            message: oneLine(p.message),
            fix: p.fix ?? null,
          })),
        }
      : {}),
  };
}

/** `deploy --dry-run --fail` found pending changes: the dry run itself succeeded. */
export class ChangesPendingError extends PrebakeError {
  constructor(message: string, details: ErrorDetails = {}) {
    super(ExitCode.CHANGES_PENDING, message, details);
  }
}

export function isPrebakeError(err: unknown): err is PrebakeError {
  return err instanceof PrebakeError || (err instanceof Error && PREBAKE_ERROR in err);
}

/**
 * The first line of an error's message (or of any thrown value): what a one-line error or warning
 * quotes. Engine, SDK and YAML errors often carry a multi-line body after a useful first line.
 */
export function firstLine(err: unknown): string {
  const text =
    typeof err === "string" ? err : ((err as { message?: unknown } | null)?.message ?? String(err));
  return String(text).trim().split("\n")[0]!.trim();
}
