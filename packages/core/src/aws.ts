import type { ResolvedProfile } from "./config.ts";
import { AuthError, firstLine, PrebakeError, UnavailableError } from "./errors.ts";

/** The shape every AWS SDK v3 client constructor shares that we rely on. */
// biome-ignore lint/suspicious/noExplicitAny: SDK client configs differ per service.
type ClientCtor<T> = new (config: any) => T;

interface MiddlewareClient {
  middlewareStack: {
    add: (
      // biome-ignore lint/suspicious/noExplicitAny: smithy middleware signature
      mw: (next: any, context: any) => (args: any) => Promise<any>,
      options: { step: "initialize"; name: string },
    ) => void;
  };
}

/** Every AWS API call made through clients from createAwsClient, in order (for --verbose and benchmarks). */
export interface AwsCallRecord {
  service: string;
  command: string;
}

export const awsCallLog: AwsCallRecord[] = [];

/**
 * Build an SDK client for the profile. Retries are the SDK's own standard strategy
 * (maxAttempts); we never wrap SDK calls in a hand-written retry loop.
 */
export function createAwsClient<T>(Ctor: ClientCtor<T>, profile: ResolvedProfile): T {
  const client = new Ctor({
    region: profile.region,
    maxAttempts: 4,
    retryMode: "standard",
    ...(profile.endpoint ? { endpoint: profile.endpoint } : {}),
    // Static credentials only exist for the emulator; the aws profile uses the default chain.
    ...(profile.credentials ? { credentials: profile.credentials } : {}),
    // moto serves S3 path-style only.
    ...(profile.kind === "local" ? { forcePathStyle: true } : {}),
  });
  (client as unknown as MiddlewareClient).middlewareStack.add(
    (next, context) => async (args) => {
      awsCallLog.push({
        service: String(context.clientName ?? "").replace(/Client$/, ""),
        command: String(context.commandName),
      });
      return next(args);
    },
    { step: "initialize", name: "prebakeCallLog" },
  );
  return client;
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
  const name = (err as { name?: string }).name ?? "";
  const message = firstLine(err);
  const where =
    resource ?? (profile.endpoint ? `AWS endpoint ${profile.endpoint}` : `AWS (${profile.region})`);
  const net = networkCode(err);
  if (net || name === "TimeoutError") {
    return new UnavailableError(`cannot reach the AWS API (${net ?? name})`, {
      where: profile.endpoint ?? `AWS ${profile.region}`,
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
