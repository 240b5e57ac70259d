/**
 * @prebake/report: what is computed from the run history (core owns the history files):
 * `prebake report` (HTML page with server-rendered charts, --json, a terminal summary) and
 * `prebake history sync` (CodeBuild's builds into the history).
 */
export { type Chart, reportCharts } from "./charts.ts";
export { registerReportCommands } from "./cli.ts";
export { reportData, writeReport } from "./commands.ts";
export { billedMinutes, buildCost, RATES, type Rate, rateTable } from "./costs.ts";
export {
  type Budgets,
  buildReport,
  type HeadlineReport,
  type ImageLineReport,
  type LayerReport,
  PHASE_GROUPS,
  type ProjectReport,
  type ReportData,
  type ReportSettings,
  reportTargets,
  type Targets,
} from "./data.ts";
export { renderHtml } from "./html.ts";
export { quantile, sparkline } from "./stats.ts";
export { buildLine, lastBuildIds, syncProject } from "./sync.ts";
export { summaryLines } from "./terminal.ts";
export { parseSince } from "./window.ts";
