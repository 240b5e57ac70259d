/** A history as a few weeks of use would leave it: the fixture of the report's tests. */
import { HISTORY_SCHEMA, type HistoryLine } from "@prebake/core";

export const NOW = Date.parse("2026-11-23T12:00:00.000Z");
const DAY = 86_400_000;
const base = { schema: HISTORY_SCHEMA, environment: "local", profile: "local", git: "0123abc" } as const;

const phases = (install: number, build: number, extra: [string, number][] = []) => [
  ...extra.map(([name, ms]) => ({ name, status: "SUCCEEDED", durationMs: ms })),
  { name: "INSTALL", status: "SUCCEEDED", durationMs: install },
  { name: "PRE_BUILD", status: "SUCCEEDED", durationMs: 20 },
  { name: "BUILD", status: "SUCCEEDED", durationMs: build },
  { name: "POST_BUILD", status: "SUCCEEDED", durationMs: 30 },
];

/** The lines, dated back from `now` (the browser test renders it with the real clock). */
export function fixtureHistory(now: number = NOW): HistoryLine[] {
  const at = (daysAgo: number) => new Date(now - daysAgo * DAY).toISOString();
  const lines: HistoryLine[] = [];
  // 8 local runs of the Erlang app over 20 days; the 5th failed; the 6th put a compile back in INSTALL.
  [20, 17, 14, 11, 9, 6, 3, 1].forEach((d, i) => {
    const install = i === 5 ? 95_000 : 600 + i * 20;
    const failed = i === 4;
    lines.push({
      ...base,
      kind: "codebuild-local",
      at: at(d),
      name: "ci/ErlangAppProject",
      status: failed ? "FAILED" : "SUCCEEDED",
      durationMs: install + 1_800 + 400,
      computeType: "BUILD_GENERAL1_SMALL",
      phases: phases(install, 1_800),
    });
  });
  // 4 CodeBuild builds (from history sync): provisioning pulls the image.
  [12, 8, 4, 2].forEach((d, i) => {
    lines.push({
      ...base,
      kind: "codebuild-remote",
      at: at(d),
      name: "prebake-ci-erlang-app",
      buildId: `prebake-ci-erlang-app:${i}`,
      status: "SUCCEEDED",
      durationMs: 61_000,
      computeType: "BUILD_GENERAL1_SMALL",
      phases: phases(2_000, 30_000, [
        ["SUBMITTED", 500],
        ["QUEUED", 1_500],
        ["PROVISIONING", 22_000],
        ["DOWNLOAD_SOURCE", 3_000],
      ]),
    });
  });
  // The headline benchmark: two pairs.
  for (const [d, compile, baked] of [
    [15, 502_000, 602],
    [5, 457_000, 699],
  ] as const) {
    lines.push({
      ...base,
      kind: "codebuild-local",
      at: at(d),
      name: "headline-bench",
      status: "SUCCEEDED",
      durationMs: compile + 3_000,
      phases: phases(compile, 1_900),
      benchmark: { name: "headline", variant: "baseline" },
    });
    lines.push({
      ...base,
      kind: "codebuild-local",
      at: at(d),
      name: "headline-bench",
      status: "SUCCEEDED",
      durationMs: baked + 2_400,
      phases: phases(baked, 1_700),
      benchmark: { name: "headline", variant: "baked" },
    });
  }
  // Pushes of two version lines.
  [18, 10, 2].forEach((d, i) => {
    lines.push({
      ...base,
      kind: "image",
      at: at(d),
      name: "erlang-otp:27.3.4.1",
      action: "pushed",
      status: "SUCCEEDED",
      durationMs: 9_000,
      image: { digest: `sha256:${String(i).repeat(64)}`, sizeBytes: (110 + i * 4) * 1024 * 1024 },
    });
  });
  lines.push({
    ...base,
    kind: "image",
    at: at(7),
    name: "python-layer:3.11",
    action: "pushed",
    status: "SUCCEEDED",
    durationMs: 5_000,
    image: { sizeBytes: 85 * 1024 * 1024 },
  });
  // Layer publishes with import timings.
  [16, 4].forEach((d, i) => {
    lines.push({
      ...base,
      kind: "layer",
      at: at(d),
      name: "common-utils",
      action: "published",
      status: "SUCCEEDED",
      durationMs: 2_600,
      layer: {
        zippedBytes: 2_700_000 + i * 10_000,
        unzippedBytes: 7_500_000 + i * 40_000,
        imports: [
          { python: "3.11", module: "pydantic", ms: 64.8 },
          { python: "3.11", module: "pydantic_core", ms: 49.5 },
          { python: "3.11", module: "common_utils", ms: 212.3 },
        ],
      },
    });
  });
  lines.push({
    ...base,
    kind: "deploy",
    at: at(1),
    name: "ci",
    action: "skipped",
    status: "SKIPPED",
    durationMs: 55,
  });
  // Older than the 30-day window: not in the figures.
  lines.push({ ...lines[0]!, at: at(45), status: "FAILED" });
  return lines.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
}

export const FIXTURE_BUDGETS = {
  images: { "erlang-otp": 200 * 1024 * 1024 },
  layers: {
    "common-utils": {
      others: [
        { name: "observability", bytes: Math.round(15.3 * 1024 * 1024) },
        { name: "function code", bytes: 2 * 1024 * 1024 },
      ],
      coldStartMs: 200,
    },
  },
};
