import { setTimeout as sleep } from "node:timers/promises";
import {
  CloudWatchLogsClient,
  GetLogEventsCommand,
  type GetLogEventsCommandOutput,
} from "@aws-sdk/client-cloudwatch-logs";
import {
  BatchGetBuildsCommand,
  type Build,
  CodeBuildClient,
  StartBuildCommand,
} from "@aws-sdk/client-codebuild";
import {
  awsErrorName,
  BuildFailedError,
  type CodeBuildRemoteRun,
  ConfigError,
  type Context,
  classifyAwsError,
  describeMs,
  firstLine,
  formatDuration,
  isNotFound,
  UnavailableError,
  withDeadline,
} from "@prebake/core";

export interface RemoteBuildOptions {
  projectName: string;
  image?: string | undefined;
  env?: Record<string, string>;
  buildspec?: string | undefined;
  wait: boolean;
  /** First poll interval; doubles to maxPollMs (CodeBuild phases take seconds to minutes). */
  pollMs?: number;
  maxPollMs?: number;
  /** Give up following after this long (exit 5): default, the build's own timeouts plus a margin. */
  followTimeoutMs?: number;
}

export interface RemotePhase {
  name: string;
  status: string;
  durationMs: number | undefined;
}

/** core's remote build run, as a followed (or just started) build says it. */
export interface RemoteBuildResult extends CodeBuildRemoteRun {
  computeType: string | undefined;
  phases: RemotePhase[];
}

export function phasesOf(build: Build): RemotePhase[] {
  return (build.phases ?? [])
    .filter((p) => p.phaseType && p.phaseType !== "COMPLETED")
    .map((p) => ({
      name: p.phaseType!,
      status: p.phaseStatus ?? (p.endTime ? "DONE" : "IN_PROGRESS"),
      durationMs: p.durationInSeconds === undefined ? undefined : p.durationInSeconds * 1000,
    }));
}

/**
 * Done when CodeBuild says buildComplete, or when the status is final and the COMPLETED phase is
 * there (the emulator never sets buildComplete; waiting for COMPLETED keeps the last log lines).
 */
export function isFinished(build: Build): boolean {
  if (build.buildComplete) return true;
  const final = build.buildStatus !== undefined && build.buildStatus !== "IN_PROGRESS";
  return final && (build.phases ?? []).some((p) => p.phaseType === "COMPLETED");
}

/** The first failed phase and what CodeBuild said about it. */
export function remoteFailure(build: Build): string {
  const failed = (build.phases ?? []).find(
    (p) => p.phaseStatus && !["SUCCEEDED", "IN_PROGRESS"].includes(p.phaseStatus),
  );
  const why = failed?.contexts
    ?.map((c) => c.message)
    .filter(Boolean)
    .join("; ");
  return failed
    ? `phase ${failed.phaseType} ${failed.phaseStatus}${why ? `: ${why}` : ""}`
    : `build ${build.buildStatus}`;
}

/** How long CodeBuild itself lets a build wait and run: past this (and a margin), CodeBuild is not answering. */
export function followDeadlineMs(build: Build | undefined): number {
  const minutes = (build?.timeoutInMinutes ?? 60) + (build?.queuedTimeoutInMinutes ?? 480) + 10;
  return minutes * 60_000;
}

/** A deadline shared by every call of a follow-up: each call gets what is left, and is aborted when it runs out. */
export class FollowDeadline {
  readonly at: number;
  private readonly totalMs: number;
  private readonly what: string;
  private readonly unfinished: string;
  private readonly fix: string;

  /** `unfinished` says what did not happen in time, `fix` what to do (defaults: a CodeBuild build's). */
  constructor(
    ms: number,
    what: string,
    unfinished = "CodeBuild did not report the build finished",
    fix = "look at the build in the CodeBuild console; `--no-wait` starts a build without following it",
  ) {
    this.totalMs = ms;
    this.at = Date.now() + ms;
    this.what = what;
    this.unfinished = unfinished;
    this.fix = fix;
  }

  left(): number {
    return Math.max(0, this.at - Date.now());
  }

  expired(): UnavailableError {
    return new UnavailableError(`${this.unfinished} within ${describeMs(this.totalMs)}`, {
      where: this.what,
      fix: this.fix,
    });
  }

  /** One SDK call, aborted (not just abandoned: its socket must not keep the process alive) at the deadline. */
  async send<T>(call: (abortSignal: AbortSignal) => Promise<T>): Promise<T> {
    const abort = new AbortController();
    try {
      return await withDeadline(call(abort.signal), this.left(), () => this.expired());
    } finally {
      abort.abort();
    }
  }
}

/** One page of the build's log; a stream that does not exist yet (the build container has not started) is no page. */
export async function readLogPage(
  ctx: Context,
  deadline: FollowDeadline,
  request: {
    logGroupName: string;
    logStreamName: string;
    nextToken: string | undefined;
    /** Default true (follow from the first line); false with a limit gives the last lines. */
    startFromHead?: boolean;
    limit?: number;
  },
): Promise<GetLogEventsCommandOutput | undefined> {
  try {
    return await deadline.send((abortSignal) =>
      ctx
        .aws(CloudWatchLogsClient)
        .send(new GetLogEventsCommand({ startFromHead: true, ...request }), { abortSignal }),
    );
  } catch (err) {
    if (isNotFound(err)) return undefined;
    const where = `CloudWatch Logs ${request.logGroupName}/${request.logStreamName}`;
    const mapped = classifyAwsError(err, ctx.config.profile, where);
    if (mapped !== err) throw mapped;
    throw new UnavailableError(`cannot read the build's log (${awsErrorName(err)}: ${firstLine(err)})`, {
      where,
      fix: "check that your credentials may call logs:GetLogEvents on the project's log group",
      cause: err,
    });
  }
}

async function startBuild(ctx: Context, opts: RemoteBuildOptions): Promise<Build> {
  try {
    const { build } = await ctx.aws(CodeBuildClient).send(
      new StartBuildCommand({
        projectName: opts.projectName,
        imageOverride: opts.image,
        buildspecOverride: opts.buildspec,
        environmentVariablesOverride: Object.entries(opts.env ?? {}).map(([name, value]) => ({
          name,
          value,
          type: "PLAINTEXT",
        })),
      }),
    );
    return build!;
  } catch (err) {
    const mapped = classifyAwsError(err, ctx.config.profile, `CodeBuild project ${opts.projectName}`);
    if (mapped !== err) throw mapped;
    if (isNotFound(err)) {
      throw new ConfigError(`no CodeBuild project '${opts.projectName}'`, {
        where: `CodeBuild ${ctx.config.profile.region}`,
        fix: "deploy the stack first (prebake deploy ci), or check the name",
      });
    }
    throw err;
  }
}

/** Poll the build to its end, printing each phase once it is over and every new log line. */
async function followBuild(
  ctx: Context,
  buildId: string,
  opts: RemoteBuildOptions,
  deadline: FollowDeadline,
): Promise<Build> {
  const cb = ctx.aws(CodeBuildClient);
  let logToken: string | undefined;
  const printed = new Set<string>();
  let delay = opts.pollMs ?? 1000;
  for (;;) {
    const build = (
      await deadline.send((abortSignal) =>
        cb.send(new BatchGetBuildsCommand({ ids: [buildId] }), { abortSignal }),
      )
    ).builds?.[0];
    if (!build) throw new ConfigError(`build ${buildId} disappeared`, { where: opts.projectName });
    for (const p of phasesOf(build)) {
      const key = `${p.name}:${p.status}`;
      if (p.status !== "IN_PROGRESS" && !printed.has(key)) {
        printed.add(key);
        ctx.out.info(
          `${p.name.padEnd(18)} ${p.status.padEnd(10)} ${p.durationMs === undefined ? "" : formatDuration(p.durationMs)}`,
        );
      }
    }
    const { groupName, streamName } = build.logs ?? {};
    if (groupName && streamName) {
      const page = await readLogPage(ctx, deadline, {
        logGroupName: groupName,
        logStreamName: streamName,
        nextToken: logToken,
      });
      for (const e of page?.events ?? []) ctx.out.info(`| ${e.message?.trimEnd() ?? ""}`);
      logToken = page?.nextForwardToken ?? logToken;
    }
    if (isFinished(build)) return build;
    if (deadline.left() === 0) throw deadline.expired();
    await sleep(Math.min(delay, deadline.left()));
    delay = Math.min(delay * 2, opts.maxPollMs ?? 10_000);
  }
}

/** Start a build of a deployed project and (unless --no-wait) follow it to its end. */
export async function runRemoteBuild(ctx: Context, opts: RemoteBuildOptions): Promise<RemoteBuildResult> {
  const started = Date.now();
  const first = await startBuild(ctx, opts);
  const buildId = first.id!;
  ctx.out.step(`started ${buildId}`);
  if (!opts.wait)
    return {
      kind: "codebuild-remote",
      projectName: opts.projectName,
      buildId,
      computeType: first.environment?.computeType,
      status: first.buildStatus ?? "IN_PROGRESS",
      phases: [],
      durationMs: Date.now() - started,
    };

  const deadline = new FollowDeadline(
    opts.followTimeoutMs ?? followDeadlineMs(first),
    `CodeBuild build ${buildId}`,
  );
  const build = await followBuild(ctx, buildId, opts, deadline);
  const result: RemoteBuildResult = {
    kind: "codebuild-remote",
    projectName: opts.projectName,
    buildId,
    computeType: build.environment?.computeType,
    status: build.buildStatus ?? "UNKNOWN",
    phases: phasesOf(build),
    durationMs: Date.now() - started,
  };
  ctx.out.result(result);
  if (result.status !== "SUCCEEDED") {
    throw new BuildFailedError(`CodeBuild build ${buildId} ${result.status}: ${remoteFailure(build)}`, {
      where: `CodeBuild project ${opts.projectName}`,
      fix: "see the phase list and log lines above",
    });
  }
  ctx.out.success(`build ${buildId} succeeded`);
  return result;
}

/**
 * A finished build as a pipeline shows a failed CodeBuild action: its phase table, CodeBuild's
 * reason, and the last lines of its log. Returns the build (undefined when CodeBuild has no such build).
 */
export async function showFinishedBuild(
  ctx: Context,
  buildId: string,
  deadline: FollowDeadline,
  lastLines = 20,
): Promise<Build | undefined> {
  const build = (
    await deadline.send((abortSignal) =>
      ctx.aws(CodeBuildClient).send(new BatchGetBuildsCommand({ ids: [buildId] }), { abortSignal }),
    )
  ).builds?.[0];
  if (!build) {
    ctx.out.warn(`CodeBuild has no build ${buildId} (its record may have expired)`);
    return undefined;
  }
  ctx.out.step(`build ${buildId}: ${build.buildStatus ?? "UNKNOWN"}`);
  ctx.out.table(
    ["phase", "status", "duration"],
    phasesOf(build).map((p) => [
      p.name,
      p.status,
      p.durationMs === undefined ? "-" : formatDuration(p.durationMs),
    ]),
  );
  if (build.buildStatus !== "SUCCEEDED") ctx.out.info(remoteFailure(build));
  const { groupName, streamName } = build.logs ?? {};
  if (groupName && streamName) {
    const page = await readLogPage(ctx, deadline, {
      logGroupName: groupName,
      logStreamName: streamName,
      nextToken: undefined,
      startFromHead: false,
      limit: lastLines,
    });
    for (const e of page?.events ?? []) ctx.out.info(`| ${e.message?.trimEnd() ?? ""}`);
  }
  return build;
}
