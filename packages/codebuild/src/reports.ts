import type { Context } from "@prebake/core";
import { XMLParser } from "fast-xml-parser";
import type { Buildspec } from "./buildspec.ts";
import { whereIn } from "./buildspec.ts";
import type { CollectedReport } from "./outputs.ts";

/**
 * Test reports (buildspec `reports`, JUNITXML) read as CodeBuild reads them: every <testcase>
 * is one test case, FAILED when it holds a <failure>, ERROR with an <error>, SKIPPED with a
 * <skipped>, otherwise SUCCEEDED. That covers the surefire files `rebar3 eunit` (eunit_surefire)
 * and `rebar3 ct` (cth_surefire) write, Maven's, pytest's and jest-junit's: <testsuites> or a
 * bare <testsuite> at the root, suites nested in suites.
 */
export type TestStatus = "SUCCEEDED" | "FAILED" | "ERROR" | "SKIPPED";

export interface TestCase {
  suite: string;
  name: string;
  status: TestStatus;
  /** First line of the failure, error or skip message. */
  message: string | undefined;
}

export interface ReportSummary {
  group: string;
  files: number;
  total: number;
  counts: Record<TestStatus, number>;
  /** The cases that did not succeed (failed and errors first). */
  problems: TestCase[];
}

type XmlNode = Record<string, unknown>;

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: "@",
  textNodeName: "#text",
  isArray: (name) => name === "testsuite" || name === "testcase",
  // Test output can be large and is not needed: keep the parse to the structure.
  stopNodes: ["*.system-out", "*.system-err"],
  processEntities: true,
});

function firstLine(node: unknown): string | undefined {
  const n = (Array.isArray(node) ? node[0] : node) as XmlNode | string | undefined;
  if (n === undefined) return undefined;
  const text = typeof n === "string" ? n : String(n["@message"] ?? n["#text"] ?? "");
  return text.trim().replace(/^::/, "").split("\n")[0]?.trim() || undefined;
}

function testCase(suite: string, node: XmlNode): TestCase {
  const status: TestStatus =
    node.failure !== undefined
      ? "FAILED"
      : node.error !== undefined
        ? "ERROR"
        : node.skipped !== undefined
          ? "SKIPPED"
          : "SUCCEEDED";
  const detail = node.failure ?? node.error ?? node.skipped;
  return { suite, name: String(node["@name"] ?? "?"), status, message: firstLine(detail) };
}

function collectSuite(node: XmlNode, cases: TestCase[]): void {
  const suite = String(node["@name"] ?? "");
  for (const c of (node.testcase as XmlNode[] | undefined) ?? []) cases.push(testCase(suite, c));
  for (const inner of (node.testsuite as XmlNode[] | undefined) ?? []) collectSuite(inner, cases);
}

/** The test cases of one JUnit XML file; a file that is not JUnit XML throws with the parser's reason. */
export function parseJUnit(xml: string): TestCase[] {
  const doc = parser.parse(xml, true) as XmlNode;
  const cases: TestCase[] = [];
  const roots = (doc.testsuites as XmlNode | undefined) ?? doc;
  const suites = (roots.testsuite as XmlNode[] | undefined) ?? [];
  if (suites.length === 0 && doc.testsuites === undefined) {
    throw new Error("no <testsuites> or <testsuite> element");
  }
  for (const suite of suites) collectSuite(suite, cases);
  return cases;
}

export function summarise(group: string, files: number, cases: TestCase[]): ReportSummary {
  const counts: Record<TestStatus, number> = { SUCCEEDED: 0, FAILED: 0, ERROR: 0, SKIPPED: 0 };
  for (const c of cases) counts[c.status]++;
  const order: TestStatus[] = ["FAILED", "ERROR", "SKIPPED"];
  const problems = order.flatMap((s) => cases.filter((c) => c.status === s));
  return { group, files, total: cases.length, counts, problems };
}

/** `report junit: 9 test cases, 8 succeeded, 1 failed, 0 errors, 0 skipped (2 files)` */
export function summaryLine(s: ReportSummary): string {
  const { SUCCEEDED, FAILED, ERROR, SKIPPED } = s.counts;
  return `report ${s.group}: ${s.total} test cases, ${SUCCEEDED} succeeded, ${FAILED} failed, ${ERROR} errors, ${SKIPPED} skipped (${s.files} file${s.files === 1 ? "" : "s"})`;
}

/** Cases listed under a summary line: enough to find the failing test in the log above. */
const LISTED_PROBLEMS = 10;

/**
 * Each report group's files read and summarised (JUNITXML), counted as CodeBuild's report page
 * counts them. A group whose patterns match nothing, or a file that is not JUnit XML, is a
 * warning: CodeBuild does not fail the build for a report either.
 */
export function readReports(ctx: Context, spec: Buildspec, collected: CollectedReport[]): ReportSummary[] {
  return collected.map(({ group, files }) => {
    const where = whereIn(spec, `reports.${group.name}`);
    if (files.length === 0) {
      ctx.out.warn(`${where}: reports.${group.name}: no file matches ${group.files.join(", ")}`);
    }
    const cases: TestCase[] = [];
    if (group.fileFormat === "JUNITXML") {
      for (const file of files) {
        try {
          cases.push(...parseJUnit(file.content));
        } catch (err) {
          ctx.out.warn(
            `${where}: reports.${group.name}: ${file.path} is not JUnit XML (${(err as Error).message.split("\n")[0]})`,
          );
        }
      }
    }
    return summarise(group.name, files.length, cases);
  });
}

/** A report group's summary line, then its cases that did not succeed (the first few). */
export function printReportSummary(ctx: Context, summary: ReportSummary): void {
  ctx.out.step(summaryLine(summary));
  for (const c of summary.problems.slice(0, LISTED_PROBLEMS)) {
    ctx.out.info(
      `  ${c.status} ${c.suite ? `${c.suite}: ` : ""}${c.name}${c.message ? ` (${c.message})` : ""}`,
    );
  }
}
