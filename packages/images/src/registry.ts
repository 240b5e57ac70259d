import {
  BatchGetImageCommand,
  DescribeImagesCommand,
  type ECRClient,
  GetDownloadUrlForLayerCommand,
  ImageAlreadyExistsException,
  PutImageCommand,
} from "@aws-sdk/client-ecr";
import {
  AuthError,
  classifyAwsError,
  isAwsError,
  isNotFound,
  type ResolvedProfile,
  UnavailableError,
} from "@prebake/core";
import { sha256 } from "./context.ts";
import type { RegistryAuth } from "./push.ts";

/** A manifest exactly as the registry stores it: the digest is sha256 of these bytes. */
export interface StoredManifest {
  bytes: Buffer;
  mediaType: string;
  digest: string;
}

/**
 * The registry operations push needs besides `docker push`: look a tag up (skip logic), read the
 * pushed manifest (digest, size, recording it in ECR), and point a moving tag at a manifest
 * (moving `27.1`/`latest` without pushing anything again).
 */
export interface RegistryApi {
  readonly host: string;
  /** The digest a tag points at, or a digest itself when the registry has it; undefined when absent. */
  lookup(repository: string, reference: string): Promise<string | undefined>;
  getManifest(repository: string, reference: string): Promise<StoredManifest>;
  putManifest(repository: string, tag: string, manifest: StoredManifest): Promise<void>;
  /** A blob's bytes (an image's config, to read its labels). */
  getBlob(repository: string, digest: string): Promise<Buffer>;
}

const MANIFEST_TYPES = [
  "application/vnd.docker.distribution.manifest.v2+json",
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.oci.image.index.v1+json",
];

/** Compressed bytes a pull transfers: config plus layers, from a single-platform manifest. */
export function manifestSize(manifest: StoredManifest): number {
  const m = JSON.parse(manifest.bytes.toString("utf8")) as {
    config?: { size?: number };
    layers?: { size?: number }[];
  };
  return (m.config?.size ?? 0) + (m.layers ?? []).reduce((sum, l) => sum + (l.size ?? 0), 0);
}

/** What to tell the user when the registry cannot be reached, or refuses the credentials. */
export interface RegistryHints {
  unreachable: string;
  refused: string;
}

/**
 * A Docker Registry HTTP API v2: the local profile's registry (plain HTTP, no credentials), and in
 * the aws profile ECR's own registry endpoint (or what `ecrRegistry` maps it to), which takes ECR's
 * token as basic auth exactly as the engine's push does. The credentials go in a header only.
 */
export class HttpRegistry implements RegistryApi {
  readonly host: string;
  private readonly base: string;
  private readonly authorization: string | undefined;
  private readonly hints: RegistryHints;

  constructor(
    address: string,
    options: { scheme?: "http" | "https"; auth?: RegistryAuth | undefined; hints?: RegistryHints } = {},
  ) {
    this.host = address;
    this.base = `${options.scheme ?? "http"}://${address}/v2/`;
    const { auth } = options;
    this.authorization = auth
      ? `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString("base64")}`
      : undefined;
    this.hints = options.hints ?? {
      unreachable:
        "start the local services with `bash scripts/local-env.sh up`, or set profiles.local.registry",
      refused: "check the registry's credentials",
    };
  }

  private async request(method: string, path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.authorization) headers.set("authorization", this.authorization);
    try {
      return await fetch(`${this.base}${path}`, {
        method,
        ...init,
        headers,
        signal: AbortSignal.timeout(30_000),
      });
    } catch (err) {
      // fetch's own failure: the socket's errno code when it has one, else its name (TimeoutError).
      const code =
        (err as { cause?: { code?: string } }).cause?.code ?? (err instanceof Error ? err.name : "error");
      throw new UnavailableError(`cannot reach the registry (${code})`, {
        where: `registry ${this.host}`,
        fix: this.hints.unreachable,
        cause: err,
      });
    }
  }

  private fail(res: Response, what: string): never {
    if (res.status === 401 || res.status === 403) {
      throw new AuthError(`the registry refused ${what} (HTTP ${res.status})`, {
        where: `registry ${this.host}`,
        fix: this.hints.refused,
      });
    }
    throw new UnavailableError(`the registry answered HTTP ${res.status} to ${what}`, {
      where: `registry ${this.host}`,
      fix: "check the registry's log; retry when it is healthy",
    });
  }

  async lookup(repository: string, reference: string): Promise<string | undefined> {
    const res = await this.request("HEAD", `${repository}/manifests/${reference}`, {
      headers: { accept: MANIFEST_TYPES.join(", ") },
    });
    if (res.status === 404) return undefined;
    if (!res.ok) this.fail(res, `HEAD ${repository}:${reference}`);
    return res.headers.get("docker-content-digest") ?? undefined;
  }

  async getManifest(repository: string, reference: string): Promise<StoredManifest> {
    const res = await this.request("GET", `${repository}/manifests/${reference}`, {
      headers: { accept: MANIFEST_TYPES.join(", ") },
    });
    if (!res.ok) this.fail(res, `GET ${repository}:${reference}`);
    const bytes = Buffer.from(await res.arrayBuffer());
    return {
      bytes,
      mediaType: res.headers.get("content-type") ?? MANIFEST_TYPES[0]!,
      digest: `sha256:${sha256(bytes)}`,
    };
  }

  async putManifest(repository: string, tag: string, manifest: StoredManifest): Promise<void> {
    const res = await this.request("PUT", `${repository}/manifests/${tag}`, {
      headers: { "content-type": manifest.mediaType },
      body: new Uint8Array(manifest.bytes),
    });
    if (!res.ok) this.fail(res, `PUT ${repository}:${tag}`);
  }

  async getBlob(repository: string, digest: string): Promise<Buffer> {
    const res = await this.request("GET", `${repository}/blobs/${digest}`);
    if (!res.ok) this.fail(res, `GET ${repository}@${digest}`);
    return Buffer.from(await res.arrayBuffer());
  }
}

const imageId = (reference: string) =>
  reference.startsWith("sha256:") ? { imageDigest: reference } : { imageTag: reference };

/** ECR through its API (the aws profile's registry; also the emulator's record of local pushes). */
export class EcrRegistry implements RegistryApi {
  readonly host: string;
  private readonly ecr: ECRClient;
  private readonly profile: ResolvedProfile;
  constructor(host: string, ecr: ECRClient, profile: ResolvedProfile) {
    this.host = host;
    this.ecr = ecr;
    this.profile = profile;
  }

  async lookup(repository: string, reference: string): Promise<string | undefined> {
    try {
      const res = await this.ecr.send(
        new DescribeImagesCommand({ repositoryName: repository, imageIds: [imageId(reference)] }),
      );
      return res.imageDetails?.[0]?.imageDigest;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw classifyAwsError(err, this.profile, `ECR repository ${repository}`);
    }
  }

  async getManifest(repository: string, reference: string): Promise<StoredManifest> {
    const res = await this.ecr
      .send(
        new BatchGetImageCommand({
          repositoryName: repository,
          imageIds: [imageId(reference)],
          acceptedMediaTypes: MANIFEST_TYPES,
        }),
      )
      .catch((err: unknown) => {
        throw classifyAwsError(err, this.profile, `ECR repository ${repository}`);
      });
    const image = res.images?.[0];
    if (!image?.imageManifest) {
      throw new UnavailableError(`ECR has no manifest for ${repository}:${reference}`, {
        where: `ECR repository ${repository}`,
        fix: "push again",
      });
    }
    const bytes = Buffer.from(image.imageManifest, "utf8");
    return {
      bytes,
      mediaType: image.imageManifestMediaType ?? MANIFEST_TYPES[0]!,
      digest: image.imageId?.imageDigest ?? `sha256:${sha256(bytes)}`,
    };
  }

  /** ECR hands a blob out as a pre-signed download URL. */
  async getBlob(repository: string, digest: string): Promise<Buffer> {
    const res = await this.ecr
      .send(new GetDownloadUrlForLayerCommand({ repositoryName: repository, layerDigest: digest }))
      .catch((err: unknown) => {
        throw classifyAwsError(err, this.profile, `ECR repository ${repository}`);
      });
    const download = res.downloadUrl
      ? await fetch(res.downloadUrl, { signal: AbortSignal.timeout(30_000) }).catch(() => undefined)
      : undefined;
    if (!download?.ok) {
      throw new UnavailableError(`cannot download ${digest} from ECR`, {
        where: `ECR repository ${repository}`,
        fix: "check network access to ECR's layer storage, and ecr:GetDownloadUrlForLayer on the repository",
      });
    }
    return Buffer.from(await download.arrayBuffer());
  }

  /** Tag (or record) a manifest; re-putting the same manifest under the same tag is a no-op. */
  async putManifest(repository: string, tag: string, manifest: StoredManifest): Promise<void> {
    try {
      await this.ecr.send(
        new PutImageCommand({
          repositoryName: repository,
          imageTag: tag,
          imageManifest: manifest.bytes.toString("utf8"),
          imageManifestMediaType: manifest.mediaType,
          imageDigest: manifest.digest,
        }),
      );
    } catch (err) {
      if (err instanceof ImageAlreadyExistsException || isAwsError(err, "ImageAlreadyExistsException"))
        return;
      throw classifyAwsError(err, this.profile, `ECR repository ${repository}`);
    }
  }
}
