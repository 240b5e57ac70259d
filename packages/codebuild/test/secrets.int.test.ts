import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import { DeleteParameterCommand, PutParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { createContext } from "@prebake/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../core/test/fault-tools.ts";

/**
 * The secret canary: a SecureString parameter, a secrets-manager secret (whole, a JSON key, and a
 * JSON key through the secret's ARN) and host AWS keys passed with -c. The build prints each of
 * them three ways (echo, env, set -x under bash). None may appear in stdout, stderr, the --json
 * result, or any file under .prebake/ (PREBAKE_SUMMARY_DIR included); each shows as ***.
 */
const id = randomBytes(4).toString("hex");
const CANARIES = {
  ssm: `ssm-canary-${id}`,
  key: `sm-key-canary-${id}`,
  arnKey: `sm-arn-canary-${id}`,
  accessKey: `AKIACANARY${id.toUpperCase()}`,
  secretKey: `host-secret-canary-${id}`,
  sessionToken: `host-token-canary-${id}`,
};
const parameter = `/prebake-test/canary-${id}`;
const secretName = `prebake-test/canary-${id}`;
const aws = createContext({ cwd: tmpdir(), env: {} });
let root: string;
let secretArn: string;

beforeAll(async () => {
  await aws
    .aws(SSMClient)
    .send(new PutParameterCommand({ Name: parameter, Value: CANARIES.ssm, Type: "SecureString" }));
  const created = await aws.aws(SecretsManagerClient).send(
    new CreateSecretCommand({
      Name: secretName,
      SecretString: JSON.stringify({ pass: CANARIES.key, token: CANARIES.arnKey }),
    }),
  );
  secretArn = created.ARN!;
  root = mkdtempSync(join(tmpdir(), "prebake-canary-"));
  writeFileSync(join(root, "prebake.config.yaml"), `project: canary${id}\n`);
  mkdirSync(join(root, "src"));
  const printAll =
    '"pw=$PW whole=$WHOLE key=$KEY arn=$BY_ARN id=$AWS_ACCESS_KEY_ID sk=$AWS_SECRET_ACCESS_KEY st=$AWS_SESSION_TOKEN"';
  writeFileSync(
    join(root, "src", "buildspec.yml"),
    `version: 0.2
env:
  shell: bash
  parameter-store:
    PW: ${parameter}
  secrets-manager:
    WHOLE: ${secretName}
    KEY: ${secretName}:pass
    BY_ARN: ${secretArn}:token
  exported-variables: [PW, KEY]
phases:
  build:
    commands:
      - echo ${printAll}
      - env | sort
      - set -x
      - echo ${printAll} > /dev/null
      - export TRACED="$PW $KEY $BY_ARN"
`,
  );
});

afterAll(async () => {
  await aws
    .aws(SSMClient)
    .send(new DeleteParameterCommand({ Name: parameter }))
    .catch(() => undefined);
  await aws
    .aws(SecretsManagerClient)
    .send(new DeleteSecretCommand({ SecretId: secretName, ForceDeleteWithoutRecovery: true }))
    .catch(() => undefined);
  rmSync(root, { recursive: true, force: true });
});

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

describe("secret canary: parameter-store, secrets-manager and -c host keys never show", () => {
  it("prints *** for every value, by echo, env and set -x, in the log, --json, exported variables and .prebake/", async () => {
    const summaryDir = join(root, ".prebake", "runs", "canary");
    const r = await runCli(
      root,
      ["--json", "codebuild", "run", "-c", "-i", "prebake/debian:bookworm", "-s", join(root, "src")],
      {
        AWS_ACCESS_KEY_ID: CANARIES.accessKey,
        AWS_SECRET_ACCESS_KEY: CANARIES.secretKey,
        AWS_SESSION_TOKEN: CANARIES.sessionToken,
        PREBAKE_SUMMARY_DIR: summaryDir,
      },
    );
    expect(r.code, r.output).toBe(0);
    const stored = filesUnder(join(root, ".prebake")).map((f) => readFileSync(f, "utf8"));
    expect(stored.length).toBeGreaterThan(0); // the summary record was written
    for (const [what, value] of Object.entries(CANARIES)) {
      expect(r.output, `${what} in stdout/stderr`).not.toContain(value);
      for (const text of stored) expect(text, `${what} under .prebake/`).not.toContain(value);
    }
    // The build did see and print them: each shows as *** where it was printed.
    expect(r.output).toContain("pw=*** whole=*** key=*** arn=*** id=*** sk=*** st=***"); // echo
    expect(r.output).toMatch(/^ +PW=\*\*\*$/m); // env
    expect(r.output).toMatch(/^ +AWS_SECRET_ACCESS_KEY=\*\*\*$/m);
    expect(r.output).toMatch(/^ +WHOLE=\*\*\*$/m);
    expect(r.output).toContain("+ echo 'pw=*** whole=*** key=*** arn=***"); // set -x
    expect(r.output).toContain("+ export 'TRACED=*** *** ***'");
    const json = JSON.parse(r.stdout) as {
      status: string;
      exportedVariables: Record<string, string>;
    };
    expect(json.status).toBe("SUCCEEDED");
    expect(json.exportedVariables).toEqual({ PW: "***", KEY: "***" });
  });

  it("-e env-file values print as *** too (echo, env, set -x, --json, .prebake/); a value under 4 characters stays readable", async () => {
    const token = `env-file-canary-${id}`;
    const src = join(root, "env-file-src");
    mkdirSync(src, { recursive: true });
    writeFileSync(join(root, "run.env"), `API_TOKEN=${token}\nMODE=on\n`);
    writeFileSync(
      join(src, "buildspec.yml"),
      `version: 0.2
env:
  shell: bash
  exported-variables: [API_TOKEN]
phases:
  build:
    commands:
      - echo "token=$API_TOKEN mode=$MODE"
      - env | sort
      - set -x
      - export SEEN="$API_TOKEN"
`,
    );
    const summaryDir = join(root, ".prebake", "runs", "env-file");
    const r = await runCli(
      root,
      ["--json", "codebuild", "run", "-i", "prebake/debian:bookworm", "-s", src, "-e", join(root, "run.env")],
      { PREBAKE_SUMMARY_DIR: summaryDir },
    );
    expect(r.code, r.output).toBe(0);
    expect(r.output).not.toContain(token);
    for (const f of filesUnder(summaryDir)) expect(readFileSync(f, "utf8")).not.toContain(token);
    expect(r.output).toContain("token=*** mode=on");
    expect(r.output).toMatch(/^ +API_TOKEN=\*\*\*$/m);
    expect(r.output).toContain("++ export SEEN=***"); // set -x
    expect((JSON.parse(r.stdout) as { exportedVariables: Record<string, string> }).exportedVariables).toEqual(
      {
        API_TOKEN: "***",
      },
    );
  });
});
