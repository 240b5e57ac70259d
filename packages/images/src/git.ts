import { execFileSync } from "node:child_process";

/** Git facts recorded in OCI labels. Best effort: a checkout without git still builds. */
export interface GitInfo {
  revision: string | undefined;
  source: string | undefined;
}

function git(cwd: string, args: string[]): string | undefined {
  try {
    return execFileSync("git", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return undefined;
  }
}

/** HEAD and the origin URL (credentials in the URL are dropped: labels are public). */
export function readGitInfo(cwd: string): GitInfo {
  const revision = git(cwd, ["rev-parse", "HEAD"]) || undefined;
  const origin = git(cwd, ["remote", "get-url", "origin"]) || undefined;
  return { revision, source: origin?.replace(/\/\/[^@/]+@/, "//") };
}
