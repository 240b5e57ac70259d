/**
 * What an AWS SDK error means, read in one place: its name, whether it says "that is not there",
 * and (classifyAwsError) the PrebakeError of the failures every command treats alike: an endpoint
 * that does not answer, refused credentials. Callers compare names through these, never by hand,
 * so a "does not exist" is one rule wherever a resource may be missing.
 */
import type { ResolvedProfile } from "./config.ts";
import { describeMs } from "./deadline.ts";
import { AuthError, firstLine, PrebakeError, UnavailableError } from "./errors.ts";

/** What a TimeoutError carries once it passed through aws.ts's handler: which deadline, how long. */
export interface DeadlineInfo {
  phase: "connect" | "answer";
  ms: number;
}

/** The name the SDK gives an error (the service's exception name, e.g. `RepositoryNotFoundException`); "" when it has none. */
export function awsErrorName(err: unknown): string {
  const name = (err as { name?: unknown } | undefined)?.name;
  return typeof name === "string" ? name : "";
}

/** Whether `err` is the service error `name`, and (when given) its message matches `message`. */
export function isAwsError(err: unknown, name: string, message?: RegExp): boolean {
  return awsErrorName(err) === name && (message === undefined || message.test(firstLine(err)));
}

/** S3's names for a missing key or bucket (a HEAD request's 404 has no body: the SDK names it NotFound). */
const S3_NOT_FOUND = new Set(["NotFound", "NoSuchKey", "NoSuchBucket"]);

/**
 * Whether the service said the resource asked for does not exist: an `...NotFoundException`
 * (ECR repositories, images and lifecycle policies, CodeBuild, CodePipeline, Logs), S3's
 * missing key or bucket, or CloudFormation's answer for a stack that is not there (a
 * `ValidationError` "Stack with id X does not exist": CloudFormation has no not-found name).
 */
export function isNotFound(err: unknown): boolean {
  const name = awsErrorName(err);
  return (
    name.endsWith("NotFoundException") ||
    S3_NOT_FOUND.has(name) ||
    isAwsError(err, "ValidationError", /does not exist/i)
  );
}

const AUTH_ERROR_NAMES = new Set([
  "CredentialsProviderError",
  "ExpiredToken",
  "ExpiredTokenException",
  "UnrecognizedClientException",
  "InvalidClientTokenId",
  "InvalidSignatureException",
  "SignatureDoesNotMatch",
  "AccessDenied",
  "AccessDeniedException",
  "UnauthorizedOperation",
]);

const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "ECONNRESET",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "EAI_AGAIN",
]);

/** Find the errno-style code of a network failure anywhere in the cause chain. */
function networkCode(err: unknown): string | undefined {
  let cur: unknown = err;
  for (let i = 0; i < 5 && cur; i++) {
    const code = (cur as { code?: string }).code;
    if (code && NETWORK_CODES.has(code)) return code;
    const errors = (cur as { errors?: unknown[] }).errors; // AggregateError from happy-eyeballs
    if (Array.isArray(errors)) {
      for (const e of errors) {
        const c = (e as { code?: string }).code;
        if (c && NETWORK_CODES.has(c)) return c;
      }
    }
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * Map an SDK error to a PrebakeError with a one-line message and a fix.
 * Errors we do not recognise are returned unchanged, for the caller to handle.
 */
export function classifyAwsError(err: unknown, profile: ResolvedProfile, resource?: string): unknown {
  if (err instanceof PrebakeError) return err;
  const name = awsErrorName(err);
  const message = firstLine(err);
  const where =
    resource ?? (profile.endpoint ? `AWS endpoint ${profile.endpoint}` : `AWS (${profile.region})`);
  const endpoint = profile.endpoint ?? `AWS ${profile.region}`;
  const deadline = (err as { deadline?: DeadlineInfo }).deadline;
  if (deadline) {
    const seconds = describeMs(deadline.ms);
    const what =
      deadline.phase === "connect"
        ? `no connection within ${seconds}`
        : `it did not answer within ${seconds}`;
    return new UnavailableError(`cannot reach the AWS API (${what})`, {
      where: endpoint,
      fix:
        profile.kind === "local"
          ? "check that the emulator is running and answering (`bash scripts/local-env.sh status`), then run again"
          : "check network access to AWS (proxy, VPN) and run again; raise profiles.<name>.timeouts in prebake.config.yaml for a slow link",
      cause: err,
    });
  }
  const net = networkCode(err);
  if (net || name === "TimeoutError") {
    return new UnavailableError(`cannot reach the AWS API (${net ?? name})`, {
      where: endpoint,
      fix:
        profile.kind === "local"
          ? "start the local services with `bash scripts/local-env.sh up`"
          : "check network access and the region in prebake.config.yaml",
      cause: err,
    });
  }
  if (AUTH_ERROR_NAMES.has(name) || /credential/i.test(name)) {
    return new AuthError(`AWS rejected the credentials (${name}: ${message})`, {
      where,
      fix:
        profile.kind === "aws"
          ? "refresh your credentials (aws sso login, or AWS_PROFILE / AWS_ACCESS_KEY_ID) and try again"
          : "check profiles.local.credentials in prebake.config.yaml",
      cause: err,
    });
  }
  return err;
}
