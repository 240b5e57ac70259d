import { classifyAwsError } from "./aws-errors.ts";
import type { Context } from "./context.ts";
import { AuthError } from "./errors.ts";

// One check per context: a run that deploys several stacks asks STS once.
const checked = new WeakMap<Context, Promise<void>>();
const callers = new WeakMap<Context, Promise<string>>();

/**
 * The account the context's credentials belong to, asked of STS (GetCallerIdentity, read-only) once
 * per context. Never taken from configuration: the aws profile's default environment names no
 * account, and a bucket name or an ExpectedBucketOwner built from a guess would be someone else's.
 */
export function callerAccount(ctx: Context): Promise<string> {
  let answer = callers.get(ctx);
  if (!answer) {
    answer = askCallerAccount(ctx);
    callers.set(ctx, answer);
    answer.catch(() => callers.delete(ctx));
  }
  return answer;
}

async function askCallerAccount(ctx: Context): Promise<string> {
  // Loaded here: only commands that upload or check an account ask STS, and the SDK client costs start-up.
  const { GetCallerIdentityCommand, STSClient } = await import("@aws-sdk/client-sts");
  let account: string | undefined;
  try {
    account = (await ctx.aws(STSClient).send(new GetCallerIdentityCommand({}))).Account;
  } catch (err) {
    throw classifyAwsError(err, ctx.config.profile, "STS GetCallerIdentity");
  }
  if (!account)
    throw new AuthError("STS GetCallerIdentity named no account for these credentials", {
      where: "STS GetCallerIdentity",
      fix: "check the credentials (aws sts get-caller-identity)",
    });
  return account;
}

/**
 * An environment that names its account (`environments.<name>.account`) is only ever changed with
 * credentials for that account: asked of STS (read-only) before the first change, so prod's
 * stacks never land in the dev account because the wrong AWS_PROFILE was set. Exit 6 otherwise.
 */
export function assertEnvironmentAccount(ctx: Context): Promise<void> {
  const expected = ctx.config.environment.account;
  if (!expected) return Promise.resolve();
  let check = checked.get(ctx);
  if (!check) {
    check = compareAccount(ctx, expected);
    checked.set(ctx, check);
    check.catch(() => checked.delete(ctx));
  }
  return check;
}

async function compareAccount(ctx: Context, expected: string): Promise<void> {
  const { environment, profile } = ctx.config;
  const actual = await callerAccount(ctx);
  if (actual === expected) return;
  throw new AuthError(
    `the credentials are for account ${actual}, but environment '${environment.name}' is account ${expected}`,
    {
      where: `environments.${environment.name}.account`,
      fix:
        profile.kind === "aws"
          ? `use credentials for account ${expected} (AWS_PROFILE, aws sso login), or correct environments.${environment.name}.account`
          : `correct environments.${environment.name}.account (the emulator answers as account ${actual})`,
    },
  );
}
