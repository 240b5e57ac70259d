import { readFileSync } from "node:fs";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { awsErrorName, ConfigError, type Context, classifyAwsError, gitRevision } from "@prebake/core";
import type { Buildspec } from "./buildspec.ts";

/** `KEY=value` lines, as AWS's local agent takes them with -e; # comments and blank lines ignored. */
export function parseEnvFile(text: string, file: string): Record<string, string> {
  const out: Record<string, string> = {};
  text.split("\n").forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith("#")) return;
    const eq = line.indexOf("=");
    if (eq <= 0)
      throw new ConfigError("expected KEY=value", {
        where: `${file}:${i + 1}`,
        fix: "write one KEY=value per line",
      });
    out[line.slice(0, eq).trim()] = line.slice(eq + 1);
  });
  return out;
}

export function loadEnvFile(path: string): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    throw new ConfigError("env file not found", { where: path, fix: "check the -e path" });
  }
  return parseEnvFile(text, path);
}

/**
 * What CODEBUILD_RESOLVED_SOURCE_VERSION is for a local source: the commit checked out (with
 * "-dirty" when the work tree has changes), or "local" for a folder outside git.
 */
export async function resolvedSourceVersion(sourceDir: string): Promise<string> {
  return (await gitRevision(sourceDir)) ?? "local";
}

/** The CODEBUILD_* variables a build sees (the ones a buildspec can rely on locally). */
export function codebuildVariables(opts: {
  buildId: string;
  srcDir: string;
  region: string;
  accountId: string | undefined;
  project: string;
  image: string;
  sourceVersion: string;
}) {
  return {
    CODEBUILD_BUILD_ID: opts.buildId,
    CODEBUILD_BUILD_ARN: `arn:aws:codebuild:${opts.region}:${opts.accountId ?? "000000000000"}:build/${opts.buildId}`,
    CODEBUILD_BUILD_NUMBER: "1",
    CODEBUILD_BUILD_IMAGE: opts.image,
    CODEBUILD_INITIATOR: "prebake-local",
    CODEBUILD_LOCAL_BUILD: "true",
    CODEBUILD_PROJECT_NAME: opts.project,
    CODEBUILD_SRC_DIR: opts.srcDir,
    CODEBUILD_RESOLVED_SOURCE_VERSION: opts.sourceVersion,
    CODEBUILD_SOURCE_VERSION: opts.sourceVersion,
    AWS_REGION: opts.region,
    AWS_DEFAULT_REGION: opts.region,
  };
}

/** A buildspec's env.secrets-manager reference: `secret-id[:json-key[:version-stage[:version-id]]]`. */
export interface SecretReference {
  secretId: string;
  jsonKey: string | undefined;
  versionStage: string | undefined;
  versionId: string | undefined;
}

// A secret's ARN holds colons of its own: arn:<partition>:secretsmanager:<region>:<account>:secret:<name>.
const SECRET_ARN = /^(arn:[^:]+:secretsmanager:[^:]*:\d*:secret:[^:]+)(?::(.*))?$/;

/** Split a reference into its parts; an ARN is read as one secret id first, then split. */
export function parseSecretReference(ref: string): SecretReference {
  const arn = SECRET_ARN.exec(ref);
  const [secretId, rest] = arn
    ? [arn[1]!, arn[2] ?? ""]
    : [ref.split(":")[0]!, ref.split(":").slice(1).join(":")];
  const [jsonKey, versionStage, versionId] = rest.split(":");
  return {
    secretId,
    jsonKey: jsonKey || undefined,
    versionStage: versionStage || undefined,
    versionId: versionId || undefined,
  };
}

async function readParameter(
  ctx: Context,
  spec: Buildspec,
  name: string,
  parameter: string,
): Promise<string> {
  try {
    const r = await ctx
      .aws(SSMClient)
      .send(new GetParameterCommand({ Name: parameter, WithDecryption: true }));
    return r.Parameter?.Value ?? "";
  } catch (err) {
    const mapped = classifyAwsError(err, ctx.config.profile, `SSM parameter ${parameter}`);
    if (mapped !== err) throw mapped;
    throw new ConfigError(`cannot read SSM parameter '${parameter}' (${awsErrorName(err)})`, {
      where: `${spec.file}: env.parameter-store.${name}`,
      fix: "create the parameter, or correct its name",
    });
  }
}

async function readSecret(ctx: Context, spec: Buildspec, name: string, ref: string): Promise<string> {
  const { secretId, jsonKey, versionStage, versionId } = parseSecretReference(ref);
  let value: string;
  try {
    const r = await ctx
      .aws(SecretsManagerClient)
      .send(
        new GetSecretValueCommand({ SecretId: secretId, VersionStage: versionStage, VersionId: versionId }),
      );
    value = r.SecretString ?? "";
  } catch (err) {
    const mapped = classifyAwsError(err, ctx.config.profile, `secret ${secretId}`);
    if (mapped !== err) throw mapped;
    throw new ConfigError(`cannot read secret '${secretId}' (${awsErrorName(err)})`, {
      where: `${spec.file}: env.secrets-manager.${name}`,
      fix: "create the secret, or correct its reference",
    });
  }
  if (!jsonKey) return value;
  // The whole secret is masked before anything can go wrong with its parts.
  ctx.out.addSecret(value);
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(value) as Record<string, unknown>;
  } catch {
    throw new ConfigError(`secret '${secretId}' is not JSON, so it has no key '${jsonKey}'`, {
      where: `${spec.file}: env.secrets-manager.${name}`,
      fix: "reference the whole secret (drop the :json-key part), or store the secret as JSON",
    });
  }
  return String(parsed[jsonKey] ?? "");
}

/**
 * env.parameter-store and env.secrets-manager, resolved through the SDK (the emulator in the
 * local profile). Every value is registered with the output's masker as it is read, so it shows
 * as *** wherever it would be printed or stored (CodeBuild masks these values too).
 */
export async function resolveBuildspecSecrets(
  ctx: Context,
  spec: Buildspec,
): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [name, parameter] of Object.entries(spec.env.parameterStore)) {
    out[name] = await readParameter(ctx, spec, name, parameter);
    ctx.out.addSecret(out[name]);
  }
  for (const [name, ref] of Object.entries(spec.env.secretsManager)) {
    out[name] = await readSecret(ctx, spec, name, ref);
    ctx.out.addSecret(out[name]);
  }
  return out;
}
