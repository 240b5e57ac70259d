import Docker from "dockerode";
import type { ResolvedProfile } from "./config.ts";
import { BuildFailedError, firstLine, UnavailableError } from "./errors.ts";

/** A Docker client for the profile: DOCKER_HOST wins, then the profile's socket, then the default socket. */
export function createDockerClient(profile: ResolvedProfile): Docker {
  if (process.env.DOCKER_HOST) return new Docker();
  return new Docker({ socketPath: profile.dockerSocket ?? "/var/run/docker.sock" });
}

/** Where the engine that createDockerClient talks to is, for messages. */
export function engineAddress(profile: Pick<ResolvedProfile, "dockerSocket">): string {
  return process.env.DOCKER_HOST ?? profile.dockerSocket ?? "/var/run/docker.sock";
}

/** The engine's HTTP status in an error from dockerode (404: no such container or image). */
export const engineStatus = (err: unknown) => (err as { statusCode?: number }).statusCode;

/** Fail early, with the fix, when no engine answers. */
export async function assertDockerAvailable(docker: Docker): Promise<void> {
  try {
    await docker.ping();
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
