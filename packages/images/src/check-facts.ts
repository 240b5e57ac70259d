import { posix } from "node:path";
import type { PathStat } from "@prebake/core";
import type { StoredManifest } from "./registry.ts";

/**
 * The pure parts of `prebake images check`: which platforms a pushed manifest covers, where a tool
 * resolves on an image's PATH, and the Lambda compute verdict.
 */

/** One platform's manifest in an image index (a multi-architecture image). */
export interface IndexEntry {
  digest: string;
  platform: string;
}

interface PlatformJson {
  os?: string;
  architecture?: string;
  variant?: string;
}

export const formatPlatform = (p: PlatformJson) =>
  `${p.os ?? "unknown"}/${p.architecture ?? "unknown"}${p.variant ? `/${p.variant}` : ""}`;

/**
 * The platforms of an image index (Docker manifest list or OCI index), or undefined when the
 * manifest is a single image. BuildKit's attestation manifests (platform unknown/unknown) are not
 * images and do not count as an architecture.
 */
export function indexEntries(manifest: StoredManifest): IndexEntry[] | undefined {
  const json = JSON.parse(manifest.bytes.toString("utf8")) as {
    manifests?: {
      digest?: string;
      platform?: PlatformJson;
      annotations?: Record<string, string>;
    }[];
  };
  if (!Array.isArray(json.manifests)) return undefined;
  return json.manifests
    .filter((m) => m.annotations?.["vnd.docker.reference.type"] !== "attestation-manifest")
    .filter((m) => !(m.platform?.os === "unknown" && m.platform?.architecture === "unknown"))
    .map((m) => ({ digest: m.digest ?? "", platform: formatPlatform(m.platform ?? {}) }));
}

/** The tools the report looks for: a shell, a downloader (Lambda compute needs curl or wget), git. */
export const CHECKED_TOOLS = ["sh", "curl", "wget", "git"] as const;
export type CheckedTool = (typeof CHECKED_TOOLS)[number];

/** Go's os.FileMode type bits, as the engine reports them. */
const MODE_DIR = 2 ** 31;
const MODE_SYMLINK = 2 ** 27;
const hasBit = (mode: number, bit: number) => Math.floor(mode / bit) % 2 === 1;

const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** The PATH directories of an image's environment (Config.Env), or the usual default. */
export function pathDirs(env: string[] | undefined): string[] {
  const path = env?.find((e) => e.startsWith("PATH="))?.slice(5) || DEFAULT_PATH;
  return path.split(":").filter((d) => d.startsWith("/"));
}

/**
 * Where a shell would find `name`: the first PATH directory holding an executable file of that
 * name. A symlink counts when its target (which the engine resolves inside the container) is one.
 */
export async function findOnPath(
  name: string,
  dirs: string[],
  stat: (path: string) => Promise<PathStat | undefined>,
): Promise<string | undefined> {
  for (const dir of dirs) {
    const path = posix.join(dir, name);
    let st = await stat(path);
    if (st && hasBit(st.mode, MODE_SYMLINK)) st = st.linkTarget ? await stat(st.linkTarget) : undefined;
    if (st && !hasBit(st.mode, MODE_DIR) && !hasBit(st.mode, MODE_SYMLINK) && (st.mode % 0o1000) & 0o111)
      return path;
  }
  return undefined;
}

export interface LambdaComputeVerdict {
  ready: boolean;
  /** Why not, one line each. */
  problems: string[];
}

/**
 * CodeBuild's Lambda compute runs a custom image only when it is single-architecture and has
 * curl or wget inside (it downloads the build's source and artifacts with them).
 */
export function lambdaComputeVerdict(
  platforms: string[],
  tools: Record<CheckedTool, string | undefined>,
): LambdaComputeVerdict {
  const problems: string[] = [];
  if (platforms.length !== 1) {
    problems.push(
      `${platforms.length} architectures (${platforms.join(", ")}): Lambda compute runs single-architecture images only`,
    );
  }
  if (!tools.curl && !tools.wget)
    problems.push("neither curl nor wget inside: Lambda compute needs one of them");
  return { ready: problems.length === 0, problems };
}
