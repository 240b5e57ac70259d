import { createRequire } from "node:module";
import type Docker from "dockerode";
import type { ResolvedProfile } from "./config.ts";
import { describeMs, withDeadline } from "./deadline.ts";
import { BuildFailedError, firstLine, UnavailableError } from "./errors.ts";

// dockerode loads its whole transport stack (ssh2, gRPC, protobuf): about 0.3 s of a process's
// start. Loaded on the first client, so a command that never talks to Docker (summary, deploy of
// a stack) never pays for it.
const loadDockerode = () => createRequire(import.meta.url)("dockerode") as typeof Docker;

/** A Docker client for the profile: DOCKER_HOST wins, then the profile's socket, then the default socket. */
export function createDockerClient(profile: ResolvedProfile): Docker {
  const DockerClient = loadDockerode();
  if (process.env.DOCKER_HOST) return new DockerClient();
  return new DockerClient({ socketPath: profile.dockerSocket ?? "/var/run/docker.sock" });
}

/** Where the engine that createDockerClient talks to is, for messages. */
export function engineAddress(profile: Pick<ResolvedProfile, "dockerSocket">): string {
  return process.env.DOCKER_HOST ?? profile.dockerSocket ?? "/var/run/docker.sock";
}

/** The engine's HTTP status in an error from dockerode (404: no such container or image). */
export const engineStatus = (err: unknown) => (err as { statusCode?: number }).statusCode;

export interface RuntimeTimeouts {
  /** One engine call: create, start, inspect, remove, exec create, ping. */
  callMs: number;
  /** How often a long wait asks the engine whether it still answers. */
  heartbeatMs: number;
}

/** PREBAKE_ENGINE_TIMEOUT_MS shortens the deadlines (fault-injection tests); the default suits a busy engine. */
export function defaultTimeouts(env: NodeJS.ProcessEnv = process.env): RuntimeTimeouts {
  const callMs = Number(env.PREBAKE_ENGINE_TIMEOUT_MS) || 60_000;
  return { callMs, heartbeatMs: Math.min(15_000, Math.max(200, Math.round(callMs / 4))) };
}

/** Fail early, with the fix, when no engine answers (within the engine deadline: a hung engine is not a hang). */
export async function assertDockerAvailable(docker: Docker): Promise<void> {
  const { callMs } = defaultTimeouts();
  try {
    await withDeadline(docker.ping(), callMs, () => new Error(`no answer within ${describeMs(callMs)}`));
  } catch (err) {
    throw new UnavailableError(`no Docker engine answers (${firstLine(err)})`, {
      where: process.env.DOCKER_HOST ?? "/var/run/docker.sock",
      fix: "start one with `bash scripts/local-env.sh up` (installs and starts dockerd on Debian as root)",
      cause: err,
    });
  }
}

/** One event of a Docker build or push JSON stream. */
export interface DockerStreamEvent {
  stream?: string;
  status?: string;
  id?: string;
  progress?: string;
  progressDetail?: { current?: number; total?: number };
  error?: string;
  errorDetail?: { message?: string; code?: number };
  aux?: { ID?: string; Digest?: string; Tag?: string; Size?: number };
}

/**
 * Follow a build or push stream to its end. The engine reports failure *inside* a 200 response,
 * as an `error`/`errorDetail` event, so every event is scanned; the first error rejects with
 * the events seen so far available to the caller through onEvent.
 */
export function followDockerStream(
  docker: Docker,
  stream: NodeJS.ReadableStream,
  onEvent: (event: DockerStreamEvent) => void,
): Promise<DockerStreamEvent[]> {
  return new Promise((resolve, reject) => {
    let failure: string | undefined;
    docker.modem.followProgress(
      stream,
      (err: Error | null, events: DockerStreamEvent[]) => {
        if (err) return reject(err);
        if (failure !== undefined) return reject(new BuildFailedError(failure));
        resolve(events ?? []);
      },
      (event: DockerStreamEvent) => {
        if ((event.error || event.errorDetail) && failure === undefined) {
          failure = event.errorDetail?.message ?? event.error ?? "unknown error";
        }
        onEvent(event);
      },
    );
  });
}
