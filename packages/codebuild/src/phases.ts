import type { Buildspec, PhaseName } from "./buildspec.ts";
import { MARK } from "./markers.ts";

export interface PhaseResult {
  name: string;
  status: "SUCCEEDED" | "FAILED" | "SKIPPED";
  durationMs: number;
}

/**
 * One line of the marker channel (the container's stderr, which only the driver writes to):
 * the marker's text after `##prebake:`, or undefined for anything else (a shell's own error
 * before the driver took the channel over), which the runner prints as output.
 */
export function readMarker(line: string): string | undefined {
  return line.startsWith(MARK) ? line.slice(MARK.length) : undefined;
}

export interface BuildFailure {
  phase: string;
  command: string;
  exitCode: number;
  /** The command ended the build's shell (e.g. `exit 2`): later commands, finally and phases did not run. */
  endedShell: boolean;
}

/**
 * Turns the driver's markers into phase results and the failing command. Pure: fed marker
 * lines and their arrival times, so it is unit-tested without a container.
 */
export class PhaseTracker {
  private readonly phases: PhaseResult[] = [];
  private current: { name: string; startedAt: number } | undefined;
  private failed:
    | { phase: string; index: number; kind: "cmd" | "finally"; exitCode: number; endedShell: boolean }
    | undefined;
  /** The command running now, so a command that ends the shell (`exit 3`) can still be named. */
  private running: { phase: string; index: number; kind: "cmd" | "finally" } | undefined;
  missingArtifact: string | undefined;
  /** The driver refused to start the phases (`run-as-missing <user>`, `run-as-no-su`). */
  refusal: { kind: string; subject: string } | undefined;
  /** Artifact names the build's shell computed, by definition index (0: the primary artifacts). */
  readonly artifactNames: Record<number, string> = {};
  /** env.exported-variables as the build left them (first line of each value). */
  readonly exported: Record<string, string> = {};

  /** Handle one marker (the text after ##prebake:); returns a line worth printing, if any. */
  marker(text: string, at: number): string | undefined {
    const [kind, phase = "", a = "", b = ""] = text.split(" ");
    switch (kind) {
      case "cmd":
      case "finally":
        this.running = { phase, index: Number(a), kind };
        return undefined;
      case "phase-start":
        this.current = { name: phase, startedAt: at };
        return `phase ${phase}`;
      case "phase-end": {
        const ok = a === "0";
        this.phases.push({
          name: phase,
          status: ok ? "SUCCEEDED" : "FAILED",
          durationMs: at - (this.current?.startedAt ?? at),
        });
        this.current = undefined;
        this.running = undefined;
        return `phase ${phase} ${ok ? "SUCCEEDED" : "FAILED"}`;
      }
      case "cmd-failed":
      case "finally-failed":
        this.failed ??= {
          phase,
          index: Number(a),
          kind: kind === "cmd-failed" ? "cmd" : "finally",
          exitCode: Number(b),
          endedShell: false,
        };
        return undefined;
      case "exported": {
        const assignment = text.slice("exported ".length);
        const eq = assignment.indexOf("=");
        if (eq > 0) this.exported[assignment.slice(0, eq)] = assignment.slice(eq + 1);
        return undefined;
      }
      case "artifact-name":
        this.artifactNames[Number(phase)] = text.split(" ").slice(2).join(" ");
        return undefined;
      case "refuse":
        this.refusal ??= { kind: phase, subject: a };
        return undefined;
      case "cache-restored":
        return `cache: restored ${phase}`;
      case "cache-miss":
        return `cache: nothing cached yet for ${phase}`;
      case "cache-saved":
        return `cache: saved ${phase}`;
      case "cache-unchanged":
        return `cache: ${phase} is kept as it was (a keyed cache is written once)`;
      case "cache-kept":
        return `cache: ${phase} comes from the source, not the cache`;
      case "cache-error":
        return `cache: could not ${phase} ${a} (the build goes on without it)`;
      default:
        return undefined;
    }
  }

  /**
   * A phase that started but never ended counts as failed: its command ended the build's shell
   * (`exit`, even `exit 0`), so nothing after it ran. Returns whether that happened.
   */
  finish(at: number, exitCode: number): boolean {
    if (!this.current) return false;
    if (this.running) this.failed ??= { ...this.running, exitCode, endedShell: true };
    this.phases.push({ name: this.current.name, status: "FAILED", durationMs: at - this.current.startedAt });
    this.current = undefined;
    return true;
  }

  results(): PhaseResult[] {
    return [...this.phases];
  }

  failure(spec: Buildspec): BuildFailure | undefined {
    if (!this.failed) return undefined;
    const phase = spec.phases[this.failed.phase.toLowerCase() as PhaseName];
    const list = this.failed.kind === "cmd" ? phase?.commands : phase?.finally;
    return {
      phase: this.failed.phase,
      command: list?.[this.failed.index] ?? "?",
      exitCode: this.failed.exitCode,
      endedShell: this.failed.endedShell,
    };
  }
}
