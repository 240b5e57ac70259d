import { setTimeout as sleep } from "node:timers/promises";
import { CloudWatchLogsClient, GetLogEventsCommand } from "@aws-sdk/client-cloudwatch-logs";
import {
  BatchGetBuildsCommand,
  type Build,
  CodeBuildClient,
  StartBuildCommand,
} from "@aws-sdk/client-codebuild";
import { BuildFailedError, ConfigError, type Context, classifyAwsError, formatDuration } from "@prebake/core";

export interface RemoteBuildOptions {
  projectName: string;
  image?: string | undefined;
  env?: Record<string, string>;
  buildspec?: string | undefined;
  wait: boolean;
  /** First poll interval; doubles to maxPollMs (CodeBuild phases take seconds to minutes). */
  pollMs?: number;
  maxPollMs?: number;
}

export interface RemotePhase {
  name: string;
  status: string;
  durationMs: number | undefined;
}

export interface RemoteBuildResult {
  buildId: string;
  status: string;
  phases: RemotePhase[];
  durationMs: number;
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

/** Start a build of a deployed project and (unless --no-wait) follow it to its end. */
export async function runRemoteBuild(ctx: Context, opts: RemoteBuildOptions): Promise<RemoteBuildResult> {
  const { out } = ctx;
  const cb = ctx.aws(CodeBuildClient);
  const started = Date.now();
  let build: Build | undefined;
  try {
    build = (
      await cb.send(
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
      )
    ).build;
  } catch (err) {
    const mapped = classifyAwsError(err, ctx.config.profile, `CodeBuild project ${opts.projectName}`);
    if (mapped !== err) throw mapped;
    if ((err as Error).name === "ResourceNotFoundException") {
      throw new ConfigError(`no CodeBuild project '${opts.projectName}'`, {
        where: `CodeBuild ${ctx.config.profile.region}`,
        fix: "deploy the stack first (prebake deploy ci), or check the name",
      });
    }
    throw err;
  }
  const buildId = build!.id!;
  out.step(`started ${buildId}`);
  if (!opts.wait)
    return {
      buildId,
      status: build!.buildStatus ?? "IN_PROGRESS",
      phases: [],
      durationMs: Date.now() - started,
    };

  const logs = ctx.aws(CloudWatchLogsClient);
  let logToken: string | undefined;
  const printed = new Set<string>();
  let delay = opts.pollMs ?? 1000;
  for (;;) {
    build = (await cb.send(new BatchGetBuildsCommand({ ids: [buildId] }))).builds?.[0];
    if (!build) throw new ConfigError(`build ${buildId} disappeared`, { where: opts.projectName });
    for (const p of phasesOf(build)) {
      const key = `${p.name}:${p.status}`;
      if (p.status !== "IN_PROGRESS" && !printed.has(key)) {
        printed.add(key);
        out.info(
          `${p.name.padEnd(18)} ${p.status.padEnd(10)} ${p.durationMs === undefined ? "" : formatDuration(p.durationMs)}`,
        );
      }
    }
    const group = build.logs?.groupName;
    const stream = build.logs?.streamName;
    if (group && stream) {
      const page = await logs
        .send(
          new GetLogEventsCommand({
            logGroupName: group,
            logStreamName: stream,
            nextToken: logToken,
            startFromHead: true,
          }),
        )
        .catch(() => undefined); // the stream appears only once the build container runs
      for (const e of page?.events ?? []) out.info(`| ${e.message?.trimEnd() ?? ""}`);
      logToken = page?.nextForwardToken ?? logToken;
    }
    if (isFinished(build)) break;
    await sleep(delay);
    delay = Math.min(delay * 2, opts.maxPollMs ?? 10_000);
  }
  const result: RemoteBuildResult = {
    buildId,
    status: build.buildStatus ?? "UNKNOWN",
    phases: phasesOf(build),
    durationMs: Date.now() - started,
  };
  out.result(result);
  if (result.status !== "SUCCEEDED") {
    throw new BuildFailedError(`CodeBuild build ${buildId} ${result.status}: ${remoteFailure(build)}`, {
      where: `CodeBuild project ${opts.projectName}`,
      fix: "see the phase list and log lines above",
    });
  }
  out.success(`build ${buildId} succeeded`);
  return result;
}
