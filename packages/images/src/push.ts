import { setTimeout as sleep } from "node:timers/promises";
import {
  AuthError,
  type Context,
  type DockerStreamEvent,
  firstLine,
  followDockerStream,
  formatBytes,
  UnavailableError,
} from "@prebake/core";

/** Credentials for the engine to push with. Never printed or logged; passed to dockerode only. */
export interface RegistryAuth {
  username: string;
  password: string;
  serveraddress: string;
}

export interface PushRequest {
  /** For messages: "<name>:<version>". */
  label: string;
  /** `<registry>/<repository>` (the local image must carry this name with `tag`). */
  name: string;
  tag: string;
  auth?: RegistryAuth | undefined;
  /** Attempts for transient registry errors (default 4: 1 + 3 retries with 1s/2s/4s backoff). */
  attempts?: number;
  backoffMs?: number;
}

/**
 * What the engine says when a push failed for a reason that may pass: a registry status (the
 * engine's "received unexpected HTTP status: 503 Service Unavailable", or a status code followed by
 * its reason phrase), a registry rate limit (TOOMANYREQUESTS), or the network. Status codes are
 * matched only where the message gives a status: a bare "429" is also part of digests, sizes and
 * names, and must not make a refusal look transient.
 */
const TRANSIENT_STATUS =
  /\b(?:status(?: code)?:? ?)(?:429|502|503|504)\b|\b(?:429 Too Many Requests|502 Bad Gateway|503 Service Unavailable|504 Gateway Time-?out)\b/i;
const TRANSIENT_NETWORK =
  /\btoomanyrequests\b|timeout|timed out|connection reset|connection refused|broken pipe|\bEOF\b|temporar|TLS handshake|unexpected end/i;
const AUTH =
  /unauthorized|authentication required|no basic auth credentials|access.*denied|denied: |\bstatus(?: code)?:? ?40[13]\b|\b(?:401 Unauthorized|403 Forbidden)\b/i;

export function isTransientPushError(message: string): boolean {
  return (TRANSIENT_STATUS.test(message) || TRANSIENT_NETWORK.test(message)) && !AUTH.test(message);
}

/** The engine's words for a registry refusing the credentials. */
export function isRegistryAuthError(message: string): boolean {
  return AUTH.test(message);
}

/** Pushed bytes over all layers, for one progress line. */
export class PushProgress {
  private readonly layers = new Map<string, { current: number; total: number }>();
  digest: string | undefined;
  size: number | undefined;

  feed(event: DockerStreamEvent): void {
    if (event.aux?.Digest) {
      this.digest = event.aux.Digest;
      this.size = event.aux.Size;
    }
    if (!event.id) return;
    if (event.status === "Pushing" && event.progressDetail?.total) {
      this.layers.set(event.id, {
        // The engine's byte count can overshoot the layer's size; a progress line must not.
        current: Math.min(event.progressDetail.current ?? 0, event.progressDetail.total),
        total: event.progressDetail.total,
      });
    } else if (event.status === "Pushed" || event.status === "Layer already exists") {
      const l = this.layers.get(event.id);
      if (l) l.current = l.total;
    }
  }

  text(): string {
    let current = 0;
    let total = 0;
    for (const l of this.layers.values()) {
      current += l.current;
      total += l.total;
    }
    return total
      ? `pushing ${formatBytes(current)} / ${formatBytes(total)}`
      : "pushing (layers already in the registry)";
  }
}

/**
 * `docker push <name>:<tag>`, scanning every event; transient registry errors are retried a
 * bounded number of times with exponential backoff. Returns the digest from the aux event.
 */
export async function pushTag(ctx: Context, req: PushRequest): Promise<string> {
  const docker = ctx.docker();
  const attempts = req.attempts ?? 4;
  const backoff = req.backoffMs ?? 1000;
  const where = `registry ${req.name.split("/")[0]}`;
  for (let attempt = 1; ; attempt++) {
    const progress = new PushProgress();
    try {
      const stream = (await docker.getImage(req.name).push({
        tag: req.tag,
        ...(req.auth ? { authconfig: req.auth } : {}),
      })) as NodeJS.ReadableStream;
      await followDockerStream(docker, stream, (e) => {
        progress.feed(e);
        ctx.out.progress(req.label, progress.text());
      });
      if (!progress.digest) {
        throw new UnavailableError(`the push of ${req.name}:${req.tag} reported no digest`, {
          where,
          fix: "check the registry's log and push again",
        });
      }
      return progress.digest;
    } catch (err) {
      if (err instanceof UnavailableError) throw err;
      const message = firstLine(err);
      if (isRegistryAuthError(message)) {
        throw new AuthError(`the registry refused the credentials (${message})`, {
          where,
          fix:
            ctx.config.profile.kind === "aws"
              ? "refresh your AWS credentials; the role needs ecr:GetAuthorizationToken and ecr push permissions"
              : "check the registry's authentication settings",
          cause: err,
        });
      }
      if (isTransientPushError(message) && attempt < attempts) {
        const wait = backoff * 2 ** (attempt - 1);
        ctx.out.warn(
          `push of ${req.tag} failed (${message}); retry ${attempt}/${attempts - 1} in ${wait / 1000}s`,
        );
        await sleep(wait);
        continue;
      }
      throw new UnavailableError(`pushing ${req.name}:${req.tag} failed: ${message}`, {
        where,
        fix:
          ctx.config.profile.kind === "local"
            ? "start the registry with `bash scripts/local-env.sh up` (or check profiles.local.registry)"
            : "check network access to ECR and push again",
        cause: err,
      });
    }
  }
}
