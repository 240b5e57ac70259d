import { NodeHttpHandler } from "@smithy/node-http-handler";
import { awsErrorName, type DeadlineInfo } from "./aws-errors.ts";
import { type AwsTimeouts, DEFAULT_TIMEOUTS, type ResolvedProfile } from "./config.ts";
import { firstLine } from "./errors.ts";

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
      if (awsErrorName(err) === "TimeoutError") {
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
