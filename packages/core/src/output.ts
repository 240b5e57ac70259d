/**
 * Everything prebake prints goes through an Output. Human lines go to stdout, or to stderr
 * under --json so stdout carries only the JSON result. In a TTY, progress rewrites one status
 * line; without a TTY (CI logs) it prints plain lines, throttled so a log stays readable.
 * Every line, the JSON result and the summary record pass through the secret masker first.
 */
export interface OutputOptions {
  json?: boolean;
  verbose?: boolean;
  quiet?: boolean;
  /** Defaults to whether the human stream is a TTY and CI is not set. */
  tty?: boolean;
  /** --color (true) / --no-color (false); undefined: NO_COLOR, FORCE_COLOR, then the terminal (useColor). */
  color?: boolean | undefined;
  /** Injected streams, for tests. */
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream;
  /** Minimum milliseconds between two non-TTY progress lines for the same key. */
  progressIntervalMs?: number;
  /** The secrets to mask (default: the process's masker, which error lines also use). */
  masker?: SecretMasker;
  /** Where results are kept as run history (createContext sets it; without it nothing is kept). */
  history?: HistoryOptions;
  /**
   * Under --json, keep the result instead of printing it: the CLI prints it when the command ends
   * (runCli), so that a command failing after its result still prints one JSON document.
   */
  holdResult?: boolean;
}

export interface HistoryOptions {
  /** The history folder (historyDir()). */
  dir: string;
  /** The checkout's git revision, which each line names (the context pool asks git once). */
  revision: () => Promise<string | undefined>;
  profile: string;
  environment: string;
}

import { appendFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { firstLine } from "./errors.ts";
import { formatTable } from "./format.ts";
import { appendHistoryLine } from "./history.ts";
import { historyLinesOf } from "./history-lines.ts";
import { processMasker, type SecretMasker } from "./mask.ts";

function recordResult(value: unknown): void {
  const dir = process.env.PREBAKE_SUMMARY_DIR;
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  appendFileSync(
    join(dir, "results.jsonl"),
    `${JSON.stringify({ at: new Date().toISOString(), result: value })}\n`,
  );
}

/**
 * Whether lines are coloured: --color/--no-color decide; else NO_COLOR (set and not empty: never,
 * no-color.org), then FORCE_COLOR (on, unless "0" or "false"), then whether the stream is a
 * terminal. CI alone does not turn colour off: CI logs that render colour set FORCE_COLOR.
 */
export function useColor(
  flag: boolean | undefined,
  isTerminal: boolean,
  env: NodeJS.ProcessEnv = process.env,
): boolean {
  if (flag !== undefined) return flag;
  if (env.NO_COLOR) return false;
  const force = env.FORCE_COLOR;
  if (force !== undefined) return force !== "0" && force.toLowerCase() !== "false";
  return isTerminal;
}

export class Output {
  readonly json: boolean;
  readonly verbose: boolean;
  readonly quiet: boolean;
  readonly tty: boolean;
  readonly color: boolean;
  private readonly human: NodeJS.WritableStream;
  private readonly data: NodeJS.WritableStream;
  private readonly progressIntervalMs: number;
  private statusLineShown = false;
  private readonly lastProgress = new Map<string, { at: number; text: string }>();
  private readonly masker: SecretMasker;
  private readonly history: HistoryOptions | undefined;
  /** History lines not written yet: each waits for the git revision, in the order of the results. */
  private historyWrites: Promise<void> = Promise.resolve();
  private readonly holdResult: boolean;
  private held: { value: unknown } | undefined;

  constructor(options: OutputOptions = {}) {
    this.json = options.json ?? false;
    this.verbose = options.verbose ?? false;
    this.quiet = options.quiet ?? false;
    this.data = options.stdout ?? process.stdout;
    this.human = this.json ? (options.stderr ?? process.stderr) : this.data;
    const isTty = Boolean((this.human as { isTTY?: boolean }).isTTY);
    this.tty = options.tty ?? (isTty && !process.env.CI);
    this.color = useColor(options.color, isTty);
    this.progressIntervalMs = options.progressIntervalMs ?? 5000;
    this.masker = options.masker ?? processMasker;
    this.history = options.history;
    this.holdResult = options.holdResult ?? false;
  }

  /** Whether results with a `kind` become run history lines (createContext's outputs do). */
  get keepsHistory(): boolean {
    return this.history !== undefined;
  }

  /** From now on, this value prints as *** wherever it would appear (a resolved secret, a host key). */
  addSecret(value: string | undefined): void {
    this.masker.add(value);
  }

  /** The text as it may be shown or stored: secrets masked, URL credentials stripped. */
  mask(text: string): string {
    return this.masker.mask(text);
  }

  private paint(code: number, text: string): string {
    return this.color ? `\u001b[${code}m${text}\u001b[0m` : text;
  }

  private write(line: string): void {
    this.clearStatus();
    this.human.write(`${this.mask(line)}\n`);
  }

  private clearStatus(): void {
    if (this.statusLineShown) {
      this.human.write("\r\u001b[2K");
      this.statusLineShown = false;
    }
  }

  /** A section heading: one per unit of work (an image, a stack, a phase). */
  step(message: string): void {
    if (!this.quiet) this.write(this.paint(1, `==> ${message}`));
  }

  info(message: string): void {
    if (!this.quiet) this.write(`    ${message}`);
  }

  /** Only with --verbose. */
  debug(message: string): void {
    if (this.verbose) this.write(this.paint(2, `    ${message}`));
  }

  success(message: string): void {
    if (!this.quiet) this.write(this.paint(32, `✓ ${message}`));
  }

  warn(message: string): void {
    this.write(this.paint(33, `warning: ${message}`));
  }

  error(message: string): void {
    this.clearStatus();
    (this.json ? this.human : process.stderr).write(`${this.paint(31, `error: ${this.mask(message)}`)}\n`);
  }

  /**
   * Progress of long work (build steps, push bytes). In a TTY the status line is rewritten;
   * otherwise a line is printed when the key's text changes and the interval has passed.
   */
  progress(key: string, text: string): void {
    if (this.quiet) return;
    if (this.tty) {
      // Masked before it is cut to the line's width: a cut must not leave half a secret.
      this.human.write(`\r\u001b[2K    ${this.mask(`${key}: ${text}`)}`.slice(0, 200));
      this.statusLineShown = true;
      return;
    }
    const now = Date.now();
    const last = this.lastProgress.get(key);
    if (last && (last.text === text || now - last.at < this.progressIntervalMs)) return;
    this.lastProgress.set(key, { at: now, text });
    this.write(`    ${key}: ${text}`);
  }

  /**
   * The machine-readable result of a command; printed only under --json. When PREBAKE_SUMMARY_DIR
   * is set (npm start does), it is also recorded there so one summary table can cover every Nx task.
   * A result with a `kind` (a run: build, push, publish, deploy) is also appended to the history.
   */
  result(value: unknown): void {
    const masked = this.masker.maskJson(value);
    if (this.json && this.holdResult) this.held = { value: masked };
    else if (this.json) this.data.write(`${JSON.stringify(masked, null, 2)}\n`);
    recordResult(masked);
    this.recordHistory(masked);
  }

  /** The last result kept by holdResult (masked), once: the caller prints it. */
  takeHeldResult(): { value: unknown } | undefined {
    const held = this.held;
    this.held = undefined;
    return held;
  }

  /**
   * The one place runs become history lines. A history that cannot be written is a warning, never
   * a failed command. The line names the checkout's revision, which takes two git calls: they run
   * asynchronously (a batch runs many commands in one process, and a synchronous git call would
   * stall every deploy poll and push beside it), so the line is written once they answer;
   * `settled()` resolves when every line is written.
   */
  private recordHistory(masked: unknown): void {
    const h = this.history;
    if (!h) return;
    const run = { at: new Date().toISOString(), environment: h.environment, profile: h.profile };
    const notWritten = (err: unknown) => this.warn(`run history not written to ${h.dir}: ${firstLine(err)}`);
    try {
      // Most results are not runs (no `kind`): they ask git nothing.
      if (historyLinesOf(masked, { ...run, git: undefined }).length === 0) return;
    } catch (err) {
      notWritten(err);
      return;
    }
    const revision = h.revision();
    this.historyWrites = this.historyWrites.then(async () => {
      try {
        const lines = historyLinesOf(masked, { ...run, git: await revision });
        for (const line of lines) appendHistoryLine(h.dir, this.masker.maskJson(line) as typeof line);
      } catch (err) {
        notWritten(err);
      }
    });
  }

  /** Resolves when every result so far is in the history (a command is done when this is). */
  settled(): Promise<void> {
    return this.historyWrites;
  }

  /** A plain-text table (no TTY tricks, so it reads the same in a CI log). */
  table(headers: string[], rows: string[][]): void {
    if (this.quiet) return;
    this.write(formatTable(headers, rows));
  }
}
