import { NodeHttpHandler } from "@smithy/node-http-handler";
import { type AwsTimeouts, DEFAULT_TIMEOUTS, type ResolvedProfile } from "./config.ts";
import { describeMs } from "./deadline.ts";
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

/** The slowest upload rate a request's deadline allows for (128 KiB/s): big bodies get more time. */
const MIN_UPLOAD_BYTES_PER_MS = (128 * 1024) / 1000;

/** The deadline of one request: the profile's request timeout, plus time to send its body. */
export function requestTimeoutFor(bodyBytes: number, timeouts: AwsTimeouts): number {
  return timeouts.requestMs + Math.ceil(bodyBytes / MIN_UPLOAD_BYTES_PER_MS);
}

type HandlerRequest = Parameters<NodeHttpHandler["handle"]>[0];
type HandlerOptions = NonNullable<Parameters<NodeHttpHandler["handle"]>[1]>;

/** The size of a request body when it is known up front (streams without a length count as 0). */
function bodyBytes(request: HandlerRequest): number {
  const header = Object.entries(request.headers).find(([k]) => k.toLowerCase() === "content-length")?.[1];
  if (header !== undefined && Number.isFinite(Number(header))) return Number(header);
  const body: unknown = request.body;
  if (typeof body === "string") return Buffer.byteLength(body);
  if (body instanceof Uint8Array) return body.byteLength;
  return 0;
}

/** What a TimeoutError carries once it passed through the handler below: which deadline, how long. */
interface DeadlineInfo {
  phase: "connect" | "answer";
  ms: number;
}

/**
 * The SDK's Node handler with deadlines: a connection timeout, and a request timeout that is an
 * error (smithy only logs it unless throwOnRequestTimeout) and grows with the body to upload, so
 * a 50 MB layer publish is not cut off where a DescribeStacks would be.
 */
class DeadlineHttpHandler extends NodeHttpHandler {
  readonly #timeouts: AwsTimeouts;

  constructor(timeouts: AwsTimeouts) {
    super({ connectionTimeout: timeouts.connectMs, throwOnRequestTimeout: true });
    this.#timeouts = timeouts;
  }

  override async handle(request: HandlerRequest, options: HandlerOptions = {}) {
    const requestTimeout = options.requestTimeout ?? requestTimeoutFor(bodyBytes(request), this.#timeouts);
    try {
      return await super.handle(request, { ...options, requestTimeout });
    } catch (err) {
      if ((err as { name?: string }).name === "TimeoutError") {
        const connecting = /establish a connection/.test(firstLine(err));
        const deadline: DeadlineInfo = connecting
          ? { phase: "connect", ms: this.#timeouts.connectMs }
          : { phase: "answer", ms: requestTimeout };
        Object.assign(err as object, { deadline });
      }
      throw err;
    }
  }
}

/**
 * Build an SDK client for the profile. Retries are the SDK's own standard strategy
 * (maxAttempts); we never wrap SDK calls in a hand-written retry loop. Every call has a
 * deadline (the profile's timeouts), so an endpoint that never answers is an error, not a hang.
 */
export function createAwsClient<T>(Ctor: ClientCtor<T>, profile: ResolvedProfile): T {
  const client = new Ctor({
    region: profile.region,
    maxAttempts: 4,
    retryMode: "standard",
    requestHandler: new DeadlineHttpHandler(profile.timeouts ?? DEFAULT_TIMEOUTS),
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
