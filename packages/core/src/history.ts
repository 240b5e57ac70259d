/**
 * Run history: every run a command reports through `Output.result` becomes one JSON line in
 * `.prebake/history/<kind>.jsonl`. The schema is versioned (HISTORY_SCHEMA) and documented in
 * docs/history.md; `prebake report` reads it back. Core owns the file format (write and read);
 * the report package owns what is computed from it.
 *
 * Writes are append-only: one open(O_APPEND) + one write() per line, so lines written by
 * several processes at once never interleave (the kernel positions and writes an O_APPEND write
 * under the file's lock). A line that does not parse or validate is reported and skipped.
 */
import {
  closeSync,
  existsSync,
  fstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { statePaths } from "./paths.ts";

export const HISTORY_SCHEMA = 1;

export const HISTORY_KINDS = [
  "codebuild-local",
  "codebuild-remote",
  "image",
  "layer",
  "deploy",
  "pipeline",
] as const;
export type HistoryKind = (typeof HISTORY_KINDS)[number];

const phaseSchema = z.object({
  name: z.string(),
  status: z.string(),
  durationMs: z.number().nonnegative(),
});

export const historyLineSchema = z.object({
  schema: z.literal(HISTORY_SCHEMA),
  kind: z.enum(HISTORY_KINDS),
  /** When the run ended (ISO 8601). */
  at: z.string().refine((s) => !Number.isNaN(Date.parse(s)), "must be an ISO date"),
  /** What ran: a CodeBuild project, `<image>:<version>`, a layer, a stack, a pipeline. */
  name: z.string().min(1),
  /** SUCCEEDED or FAILED (CodeBuild's words), or SKIPPED when there was nothing to do. */
  status: z.string().min(1),
  /** What was done, in the command's words (pushed, skipped, published, created, ...). */
  action: z.string().optional(),
  durationMs: z.number().nonnegative(),
  phases: z.array(phaseSchema).optional(),
  /** CodeBuild compute type (BUILD_GENERAL1_SMALL, ...): what a build minute costs. */
  computeType: z.string().optional(),
  buildId: z.string().optional(),
  image: z
    .object({
      uri: z.string().optional(),
      digest: z.string().optional(),
      /** Compressed bytes a pull transfers (config + layers). */
      sizeBytes: z.number().optional(),
    })
    .optional(),
  layer: z
    .object({
      zippedBytes: z.number(),
      unzippedBytes: z.number(),
      /** Cold import time of each top-level module, per Python version. */
      imports: z.array(z.object({ python: z.string(), module: z.string(), ms: z.number() })),
      layerVersionArn: z.string().optional(),
    })
    .optional(),
  /** A benchmark's records: which benchmark, and which of its variants (baked, baseline). */
  benchmark: z.object({ name: z.string(), variant: z.string() }).optional(),
  /** HEAD of the checkout the run came from (`-dirty` with uncommitted changes). */
  git: z.string().optional(),
  environment: z.string(),
  profile: z.string(),
});

export type HistoryLine = z.infer<typeof historyLineSchema>;
export type HistoryPhase = z.infer<typeof phaseSchema>;

/** Where history goes: `<root>/.prebake/history`, or PREBAKE_HISTORY_DIR (tests, CI artifacts). */
export function historyDir(rootDir: string, env: NodeJS.ProcessEnv = process.env): string {
  return env.PREBAKE_HISTORY_DIR || statePaths.history(rootDir);
}

export const historyFile = (dir: string, kind: HistoryKind) => join(dir, `${kind}.jsonl`);

/**
 * Append one line with a single O_APPEND write. Throws if the kernel wrote less (a full disk).
 * A half line an earlier write left (no newline at the end of the file) is ended first, so the
 * reader reports it as one corrupt line and still reads this one: without that, this line would
 * be glued to it and lost with it.
 */
export function appendHistoryLine(dir: string, line: HistoryLine): void {
  mkdirSync(dir, { recursive: true });
  const fd = openSync(historyFile(dir, line.kind), "a+");
  try {
    const bytes = Buffer.from(`${endsHalfLine(fd) ? "\n" : ""}${JSON.stringify(line)}\n`);
    const written = writeSync(fd, bytes);
    if (written !== bytes.length)
      throw new Error(`history: wrote ${written} of ${bytes.length} bytes to ${line.kind}.jsonl`);
  } finally {
    closeSync(fd);
  }
}

/** Whether the file's last byte is not a newline (a line cut short). Another writer's append in between only adds a blank line. */
function endsHalfLine(fd: number): boolean {
  const { size } = fstatSync(fd);
  if (size === 0) return false;
  const last = Buffer.alloc(1);
  readSync(fd, last, 0, 1, size - 1);
  return last[0] !== 0x0a;
}

export interface HistoryProblem {
  file: string;
  line: number;
  reason: string;
}

export interface HistoryRead {
  lines: HistoryLine[];
  problems: HistoryProblem[];
}

function parseLine(text: string): { line: HistoryLine } | { reason: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { reason: "not JSON (a cut or hand-edited line)" };
  }
  const schema = (raw as { schema?: unknown })?.schema;
  if (typeof schema === "number" && schema > HISTORY_SCHEMA)
    return { reason: `schema ${schema} is newer than this prebake's (${HISTORY_SCHEMA}): upgrade prebake` };
  const parsed = historyLineSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { reason: `${issue.path.join(".") || "(line)"}: ${issue.message}` };
  }
  return { line: parsed.data };
}

/** Every valid line of the history folder (all kinds, or the ones asked for); bad lines are listed, not fatal. */
export function readHistory(dir: string, kinds: readonly HistoryKind[] = HISTORY_KINDS): HistoryRead {
  const lines: HistoryLine[] = [];
  const problems: HistoryProblem[] = [];
  if (!existsSync(dir)) return { lines, problems };
  const present = new Set(readdirSync(dir));
  for (const kind of kinds) {
    const file = historyFile(dir, kind);
    if (!present.has(`${kind}.jsonl`)) continue;
    readFileSync(file, "utf8")
      .split("\n")
      .forEach((text, i) => {
        if (!text.trim()) return;
        const r = parseLine(text);
        if ("line" in r) lines.push(r.line);
        else problems.push({ file, line: i + 1, reason: r.reason });
      });
  }
  lines.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  return { lines, problems };
}
