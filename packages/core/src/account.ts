import { classifyAwsError } from "./aws-errors.ts";
import type { Context } from "./context.ts";
import { AuthError } from "./errors.ts";

// One check per context: a run that deploys several stacks asks STS once.
const checked = new WeakMap<Context, Promise<void>>();

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
  let actual: string | undefined;
  // Loaded here: only environments that name an account ask STS, and the SDK client costs start-up.
  const { GetCallerIdentityCommand, STSClient } = await import("@aws-sdk/client-sts");
  try {
    actual = (await ctx.aws(STSClient).send(new GetCallerIdentityCommand({}))).Account;
  } catch (err) {
    throw classifyAwsError(err, profile, "STS GetCallerIdentity");
  }
  if (actual === expected) return;
  throw new AuthError(
    `the credentials are for account ${actual ?? "(unknown)"}, but environment '${environment.name}' is account ${expected}`,
    {
      where: `environments.${environment.name}.account`,
      fix:
        profile.kind === "aws"
          ? `use credentials for account ${expected} (AWS_PROFILE, aws sso login), or correct environments.${environment.name}.account`
          : `correct environments.${environment.name}.account (the emulator answers as account ${actual})`,
    },
  );
}
