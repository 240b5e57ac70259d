/**
 * What every step of the deploy engine works with: the CloudFormation API, the output, the stack
 * it deploys, and how it waits. Also the one mapping from an AWS error to what the user sees.
 */
import {
  AuthError,
  awsErrorName,
  classifyAwsError,
  DeployFailedError,
  firstLine,
  formatDuration,
  isPrebakeError,
  type Output,
  type PrebakeError,
  type ResolvedProfile,
  UnavailableError,
} from "@prebake/core";
import type { StackApi } from "./cfn-api.ts";
import type { Backoff, PollOptions } from "./poll.ts";
import type { TemplateUploader } from "./template-source.ts";

export interface Engine {
  api: StackApi;
  out: Output;
  /** The CloudFormation stack name, <project>-<name>: what messages name. */
  stackName: string;
  profile: ResolvedProfile;
  backoff: Backoff;
  /** Deadline of each CloudFormation wait (a change set, a create, update or delete). */
  waitMs: number;
  /** Puts a template too large to send inline in S3 (template-source.ts). */
  uploadTemplate: TemplateUploader;
}

/**
 * An AWS error as the user sees it: an unreachable endpoint or refused credentials as such
 * (exit 5, 6); anything else the service said, naming the call that failed (exit 7).
 */
export function awsFailure(engine: Engine, err: unknown, action: string): PrebakeError {
  const classified = classifyAwsError(err, engine.profile, `stack ${engine.stackName}`);
  if (isPrebakeError(classified)) return classified;
  return new DeployFailedError(`${action} failed: ${awsErrorName(err)}: ${firstLine(err)}`, {
    where: `stack ${engine.stackName}`,
    fix: "see the message; fix the template or parameters and deploy again",
    cause: err,
  });
}

/** One API call of a step; its failure is mapped by awsFailure. */
export async function awsStep<T>(engine: Engine, action: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw awsFailure(engine, err, action);
  }
}

/**
 * Whether cleaning up after `err` is worth calls: not when the endpoint does not answer or
 * refuses us (each call would only time out or fail again; the next deploy converges instead).
 */
export const canCleanUpAfter = (err: unknown) =>
  !(err instanceof UnavailableError || err instanceof AuthError);

/** Poll options for a CloudFormation wait: `state()` says what it was still waiting for. */
export function waitOptions(engine: Engine, state: () => string): PollOptions {
  return {
    backoff: engine.backoff,
    timeoutMs: engine.waitMs,
    onTimeout: (waited) =>
      new UnavailableError(`${state()} after ${formatDuration(waited)}; prebake stopped waiting`, {
        where: `stack ${engine.stackName}`,
        fix:
          `CloudFormation carries on: follow it with \`aws cloudformation describe-stack-events --stack-name ${engine.stackName}\` ` +
          `and deploy again once it settles (profiles.${engine.profile.name}.timeouts.stackMinutes sets how long prebake waits)`,
      }),
  };
}
