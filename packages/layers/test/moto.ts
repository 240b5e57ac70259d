/**
 * Test helpers for the emulator: an extra moto_server (a fixture wrapping moto) on a port the OS
 * assigns to that very process (-p 0, read back from its banner: nothing can take it in between),
 * and moto's IAM over its Query API (the repository carries no IAM client; CreateFunction needs a role).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { request } from "node:http";
import { join } from "node:path";

export interface ExtraMoto {
  endpoint: string;
  stop(): Promise<void>;
}

const FIXTURES = join(import.meta.dirname, "fixtures");

/** Start `python fixtures/<script> 0 ...args` and wait until it answers. */
export async function startMotoFixture(script: string, args: string[] = []): Promise<ExtraMoto> {
  const child: ChildProcess = spawn("python", [join(FIXTURES, script), "0", ...args], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  const port = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} did not start: ${stderr}`)), 60_000);
    child.stderr?.on("data", (d: Buffer) => {
      stderr += d.toString();
      const m = /Running on http:\/\/127\.0\.0\.1:(\d+)/.exec(stderr);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited (${code}): ${stderr}`));
    });
  });
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}

/**
 * One IAM Query API call. node:http, not fetch: fetch refuses port 5060 (the shared emulator's), which
 * is on the WHATWG "bad ports" list (SIP).
 */
export function iam(endpoint: string, params: Record<string, string>): Promise<string> {
  const body = new URLSearchParams({ Version: "2010-05-08", ...params }).toString();
  return new Promise((resolveText, reject) => {
    const req = request(
      `${endpoint}/`,
      {
        method: "POST",
        headers: {
          "content-type": "application/x-www-form-urlencoded",
          authorization:
            "AWS4-HMAC-SHA256 Credential=testing/20250101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0",
        },
      },
      (res) => {
        let text = "";
        res.on("data", (c: Buffer) => {
          text += c.toString();
        });
        res.on("end", () => resolveText(text));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/** A role Lambda functions can be created with; returns its ARN. */
export async function createLambdaRole(endpoint: string, name: string): Promise<string> {
  await iam(endpoint, {
    Action: "CreateRole",
    RoleName: name,
    AssumeRolePolicyDocument: JSON.stringify({
      Version: "2012-10-17",
      Statement: [
        { Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" },
      ],
    }),
  });
  return `arn:aws:iam::123456789012:role/${name}`;
}
