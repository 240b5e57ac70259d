import { ExitCode, errorJson, isPrebakeError, PrebakeError, problemLine } from "@prebake/core/errors";
import { processMasker } from "@prebake/core/mask";

export interface FailureOptions {
  json: boolean;
  verbose: boolean;
  /** The result the command produced before it failed (held by its Output under --json). */
  held?: { value: unknown } | undefined;
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream;
}

const BUG_FIX = "run again with --verbose for the stack trace, and report it as a bug";

/**
 * How a command's failure is printed, and its exit code. stderr: the one line
 * `prebake: error: <where>: <what> (fix: ...)` (an unexpected error: `prebake: internal error: ...`).
 * When the error found several problems, each is printed on its line first (`error: <where>: ...`).
 * Under --json, stdout also gets one JSON document: `{"error": {exitCode, message, where, fix}}`,
 * with the fields of a result the command had already produced (a failed build's phases, a check's
 * report) beside `error`; a list result is printed as it is.
 */
export function reportFailure(err: unknown, options: FailureOptions): number {
  const stderr = options.stderr ?? process.stderr;
  const stdout = options.stdout ?? process.stdout;
  const expected = isPrebakeError(err);
  const error = expected
    ? err
    : new PrebakeError(ExitCode.INTERNAL, String((err as Error)?.message ?? err), { fix: BUG_FIX });
  // Error lines can quote a build's output or a URL: masked like every other line.
  if (expected) {
    // Several problems (a file's every mistake): each on its line, then the line that counts them.
    for (const problem of error.problems)
      stderr.write(`error: ${processMasker.mask(problemLine(problem))}\n`);
    stderr.write(`prebake: error: ${processMasker.mask(error.toLine())}\n`);
    if (options.verbose && error.cause)
      stderr.write(`${processMasker.mask(String((error.cause as Error).stack ?? error.cause))}\n`);
  } else {
    stderr.write(`prebake: internal error: ${processMasker.mask(error.message)}\n`);
    // A stack trace starts with the error's message, and its frames can quote a URL: masked too.
    if (options.verbose) stderr.write(`${processMasker.mask(String((err as Error)?.stack))}\n`);
    else stderr.write("prebake: run again with --verbose for the stack trace, and report it as a bug\n");
  }
  if (options.json) stdout.write(`${JSON.stringify(failureDocument(error, options.held), null, 2)}\n`);
  return error.exitCode;
}

function failureDocument(error: PrebakeError, held: { value: unknown } | undefined): unknown {
  // Exit 10 (a rebuild is due) is not a failure: the result is printed as on success.
  if (held && error.exitCode === ExitCode.REBUILD_DUE) return held.value;
  const json = processMasker.maskJson(errorJson(error));
  if (!held) return { error: json };
  const { value } = held;
  if (value !== null && typeof value === "object" && !Array.isArray(value)) return { ...value, error: json };
  // A list result (render --check's stacks, images outdated's rows) is printed as it was: a list
  // cannot carry the error beside it, and scripts read these lists; the exit code and the stderr
  // line say what failed.
  return value;
}
