import type { Build } from "@aws-sdk/client-codebuild";
import { describe, expect, it } from "vitest";
import { isFinished, phasesOf, remoteFailure } from "../src/index.ts";

const build: Build = {
  id: "p:1",
  buildStatus: "FAILED",
  phases: [
    { phaseType: "SUBMITTED", phaseStatus: "SUCCEEDED", durationInSeconds: 0 },
    { phaseType: "PROVISIONING", phaseStatus: "SUCCEEDED", durationInSeconds: 21 },
    { phaseType: "INSTALL", phaseStatus: "SUCCEEDED", durationInSeconds: 2 },
    {
      phaseType: "BUILD",
      phaseStatus: "FAILED",
      durationInSeconds: 31,
      contexts: [
        {
          message:
            "COMMAND_EXECUTION_ERROR: Error while executing command: rebar3 eunit. Reason: exit status 1",
        },
      ],
    },
    { phaseType: "POST_BUILD", phaseStatus: "SUCCEEDED", durationInSeconds: 0 },
    { phaseType: "COMPLETED" },
  ],
};

describe("remote build follow-up", () => {
  it("lists the phases with durations, leaving out the COMPLETED marker", () => {
    expect(phasesOf(build).map((p) => [p.name, p.status, p.durationMs])).toEqual([
      ["SUBMITTED", "SUCCEEDED", 0],
      ["PROVISIONING", "SUCCEEDED", 21_000],
      ["INSTALL", "SUCCEEDED", 2000],
      ["BUILD", "FAILED", 31_000],
      ["POST_BUILD", "SUCCEEDED", 0],
    ]);
  });

  it("names the first failed phase and CodeBuild's reason", () => {
    expect(remoteFailure(build)).toBe(
      "phase BUILD FAILED: COMMAND_EXECUTION_ERROR: Error while executing command: rebar3 eunit. Reason: exit status 1",
    );
    expect(remoteFailure({ buildStatus: "TIMED_OUT", phases: [] })).toBe("build TIMED_OUT");
  });

  it("is finished when CodeBuild says so, or when a final status has its COMPLETED phase", () => {
    expect(isFinished({ buildComplete: true })).toBe(true);
    expect(isFinished(build)).toBe(true);
    expect(isFinished({ buildStatus: "FAILED", phases: [{ phaseType: "FINALIZING" }] })).toBe(false);
    expect(isFinished({ buildStatus: "IN_PROGRESS", phases: [{ phaseType: "COMPLETED" }] })).toBe(false);
  });
});
