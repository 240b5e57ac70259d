import type { Buildspec, PhaseName } from "./buildspec.ts";

export interface PhaseResult {
  name: string;
  status: "SUCCEEDED" | "FAILED" | "SKIPPED";
  durationMs: number;
}

/**
 * Turns the driver's markers into phase results and the failing command. Pure: fed marker
 * lines and their arrival times, so it is unit-tested without a container.
 */
export class PhaseTracker {
  private readonly phases: PhaseResult[] = [];
  private current: { name: string; startedAt: number } | undefined;
  private failed: { phase: string; index: number; kind: "cmd" | "finally"; exitCode: number } | undefined;
  missingArtifact: string | undefined;

  /** Handle one marker (the text after ##prebake:); returns a line worth printing, if any. */
  marker(text: string, at: number): string | undefined {
    const [kind, phase = "", a = "", b = ""] = text.split(" ");
    switch (kind) {
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
        return `phase ${phase} ${ok ? "SUCCEEDED" : "FAILED"}`;
      }
      case "cmd-failed":
      case "finally-failed":
        this.failed ??= {
          phase,
          index: Number(a),
          kind: kind === "cmd-failed" ? "cmd" : "finally",
          exitCode: Number(b),
        };
        return undefined;
      case "artifact-missing":
        this.missingArtifact ??= `${phase} ${text.split(" ").slice(2).join(" ")}`.trim();
        return undefined;
      default:
        return undefined;
    }
  }

  /** A phase that started but never ended (the shell exited inside it) counts as failed. */
  finish(at: number): void {
    if (this.current) {
      this.phases.push({
        name: this.current.name,
        status: "FAILED",
        durationMs: at - this.current.startedAt,
      });
      this.current = undefined;
    }
  }

  results(): PhaseResult[] {
    return [...this.phases];
  }

  failure(spec: Buildspec): { phase: string; command: string; exitCode: number } | undefined {
    if (!this.failed) return undefined;
    const phase = spec.phases[this.failed.phase.toLowerCase() as PhaseName];
    const list = this.failed.kind === "cmd" ? phase?.commands : phase?.finally;
    return {
      phase: this.failed.phase,
      command: list?.[this.failed.index] ?? "?",
      exitCode: this.failed.exitCode,
    };
  }
}
