/**
 * Recorded AWS answers for unit tests of code the emulator cannot serve (CodePipeline executions):
 * real SDK clients whose HTTP handler answers from a script of response bodies, written from the
 * API reference, so the SDK's own parsing (timestamps, pagination tokens, error types) runs.
 */
import { Readable, Writable } from "node:stream";
import { type Context, createContext } from "@prebake/core";

export interface RecordedResponse {
  status?: number;
  headers?: Record<string, string>;
  body?: unknown;
}

export interface RecordedRequest {
  /** `CodePipeline_20150709.GetPipeline`, or `PUT /bucket/key` for REST calls. */
  operation: string;
  body: Record<string, unknown> | undefined;
}

interface HttpRequestLike {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: unknown;
}

const operationOf = (req: HttpRequestLike) =>
  req.headers["x-amz-target"] ?? req.headers["X-Amz-Target"] ?? `${req.method} ${req.path}`;

async function bodyText(body: unknown): Promise<string> {
  if (body === undefined || body === null) return "";
  if (typeof body === "string") return body;
  if (body instanceof Uint8Array) return new TextDecoder().decode(body);
  if (typeof (body as Readable).on === "function") {
    const chunks: Buffer[] = [];
    for await (const c of body as Readable) chunks.push(Buffer.from(c as Buffer));
    return Buffer.concat(chunks).toString("utf8");
  }
  return "";
}

/**
 * Answers each operation from its list of responses in order (the last one repeats); an
 * operation with no script fails the test. Every request is recorded.
 */
export class RecordedAws {
  readonly requests: RecordedRequest[] = [];
  private readonly script: Map<string, RecordedResponse[]>;

  constructor(script: Record<string, RecordedResponse[]>) {
    this.script = new Map(Object.entries(script));
  }

  /** The SDK's requestHandler interface. */
  readonly handler = {
    handle: async (req: HttpRequestLike) => {
      const operation = operationOf(req);
      const text = await bodyText(req.body);
      const json = req.headers["content-type"]?.includes("json") && text ? JSON.parse(text) : undefined;
      this.requests.push({ operation, body: json });
      // JSON APIs by their exact target; REST calls by method and path prefix ("PUT /").
      const key = this.script.has(operation)
        ? operation
        : [...this.script.keys()].find((k) => k.includes(" ") && operation.startsWith(k));
      const list = key ? this.script.get(key)! : undefined;
      if (!list || list.length === 0) throw new Error(`no recorded answer for ${operation}`);
      const answer = list.length > 1 ? list.shift()! : list[0]!;
      // A string is sent as it is (an XML API's answer); anything else as JSON.
      const body =
        answer.body === undefined
          ? ""
          : typeof answer.body === "string"
            ? answer.body
            : JSON.stringify(answer.body);
      return {
        response: {
          statusCode: answer.status ?? 200,
          headers: { "content-type": "application/x-amz-json-1.1", ...(answer.headers ?? {}) },
          body: Readable.from([Buffer.from(body)]),
        },
      };
    },
  };

  operations(): string[] {
    return this.requests.map((r) => r.operation);
  }
}

/** A context of the aws profile in `root` whose AWS clients all answer from `aws`; output captured. */
export function recordedContext(root: string, aws: RecordedAws): { ctx: Context; text: () => string } {
  const lines: string[] = [];
  const stdout = new Writable({
    write(chunk: Buffer, _e: string, cb: () => void) {
      lines.push(String(chunk));
      cb();
    },
  });
  const base = createContext({ cwd: root, profile: "aws", stdout, tty: false, env: {} });
  const clients = new Map<unknown, unknown>();
  const ctx: Context = {
    ...base,
    aws(Ctor) {
      if (!clients.has(Ctor)) {
        clients.set(
          Ctor,
          new Ctor({
            region: "eu-west-1",
            credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" },
            requestHandler: aws.handler,
            maxAttempts: 1,
          }),
        );
      }
      return clients.get(Ctor) as never;
    },
  };
  return { ctx, text: () => lines.join("") };
}
