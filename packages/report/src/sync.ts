/**
 * `prebake history sync`: CodeBuild's own record of the last builds of each project, into the
 * same history files as the runs prebake followed (kind codebuild-remote). Builds already in
 * the history (same build id) and builds still running are left out.
 */
import {
  BatchGetBuildsCommand,
  type Build,
  type CodeBuildClient,
  paginateListBuildsForProject,
} from "@aws-sdk/client-codebuild";
import { phasesOf } from "@prebake/codebuild";
import { type HistoryLine, historyLinesOfRun, type RunContext } from "@prebake/core";

/** BatchGetBuilds takes at most 100 ids. */
const BATCH = 100;

/** The ids of a project's last `last` builds, newest first. */
export async function lastBuildIds(
  client: CodeBuildClient,
  projectName: string,
  last: number,
): Promise<string[]> {
  const ids: string[] = [];
  for await (const page of paginateListBuildsForProject(
    { client, pageSize: Math.min(last, 100) },
    { projectName, sortOrder: "DESCENDING" },
  )) {
    ids.push(...(page.ids ?? []));
    if (ids.length >= last) break;
  }
  return ids.slice(0, last);
}

export async function getBuilds(client: CodeBuildClient, ids: string[]): Promise<Build[]> {
  const builds: Build[] = [];
  for (let i = 0; i < ids.length; i += BATCH) {
    const { builds: page } = await client.send(new BatchGetBuildsCommand({ ids: ids.slice(i, i + BATCH) }));
    builds.push(...(page ?? []));
  }
  return builds;
}

/** A finished build as a history line, through the same mapping as a followed build's result. */
export function buildLine(build: Build, run: Omit<RunContext, "at">): HistoryLine | undefined {
  if (!build.id || !build.projectName || !build.endTime || build.buildStatus === "IN_PROGRESS")
    return undefined;
  const [line] = historyLinesOfRun(
    {
      kind: "codebuild-remote",
      projectName: build.projectName,
      buildId: build.id,
      status: build.buildStatus ?? "UNKNOWN",
      computeType: build.environment?.computeType,
      phases: phasesOf(build),
      durationMs: build.endTime.getTime() - (build.startTime ?? build.endTime).getTime(),
      endedAt: build.endTime.toISOString(),
    },
    { ...run, at: build.endTime.toISOString() },
  );
  return line;
}

/** The new lines for one project: its last builds, minus those the history already has. */
export async function syncProject(
  client: CodeBuildClient,
  projectName: string,
  last: number,
  known: Set<string>,
  run: Omit<RunContext, "at">,
): Promise<HistoryLine[]> {
  const ids = (await lastBuildIds(client, projectName, last)).filter((id) => !known.has(id));
  const builds = await getBuilds(client, ids);
  return builds.flatMap((b) => buildLine(b, run) ?? []).sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
}
