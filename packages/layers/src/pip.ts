import { execFile } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { BuildFailedError, ConfigError, stripUrlCredentials } from "@prebake/core";
import {
  fileStamp,
  onPath,
  programFingerprint,
  pyenvVersionsDir,
  rememberedAnswer,
  toolAnswerFile,
} from "@prebake/core/tool-answer";
import { type Architecture, manylinuxPlatforms, type PythonRuntime } from "./runtimes.ts";

/** Where pip looks for distributions, and which host folders a container needs to see for that. */
export interface PipIndex {
  /** undefined: no index at all (`--no-index`), only the find-links folders. */
  indexUrl: string | undefined;
  extraIndexUrls: string[];
  findLinks: string[];
  /** Host folders to bind-mount read-only (at the same path) so file:// indexes resolve in a container. */
  mounts: string[];
  /** For messages: without credentials (an index URL can carry `https://user:token@`). */
  description: string;
}

export const PYPI = "https://pypi.org/simple";

/** The file:// or absolute-path locations in the machine's pip configuration (`pip config list`). */
export interface HostPipConfig {
  indexUrl?: string;
  extraIndexUrls: string[];
  findLinks: string[];
}

/** Parse `pip config list` output: lines like global.extra-index-url='file:///a file:///b'. */
export function parsePipConfigList(text: string): HostPipConfig {
  const cfg: HostPipConfig = { extraIndexUrls: [], findLinks: [] };
  for (const line of text.split(/\r?\n/)) {
    const m = /^[^.]*\.([a-z-]+)='(.*)'$/.exec(line.trim());
    if (!m) continue;
    const values = m[2]!.split(/\s+/).filter(Boolean);
    if (m[1] === "index-url") cfg.indexUrl = values[0];
    if (m[1] === "extra-index-url") cfg.extraIndexUrls.push(...values);
    if (m[1] === "find-links") cfg.findLinks.push(...values);
  }
  cfg.extraIndexUrls = [...new Set(cfg.extraIndexUrls)];
  cfg.findLinks = [...new Set(cfg.findLinks)];
  return cfg;
}

const execFileAsync = promisify(execFile);

/** Ask pip itself (0.8-1 s of Python start-up); undefined when pip is not installed. */
async function askPip(env: NodeJS.ProcessEnv): Promise<HostPipConfig | undefined> {
  for (const [cmd, args] of [
    ["pip", ["config", "list"]],
    ["python3", ["-m", "pip", "config", "list"]],
  ] as const) {
    try {
      const { stdout } = await execFileAsync(cmd, [...args], { encoding: "utf8", env });
      return parsePipConfigList(stdout);
    } catch {
      // try the next way of calling pip
    }
  }
  return undefined;
}

/**
 * What decides `pip config list`'s answer: which pip runs, its PIP_* variables, and the files pip
 * reads (pip's documented locations: PIP_CONFIG_FILE; global XDG_CONFIG_DIRS/pip/pip.conf and
 * /etc/pip.conf; user ~/.pip/pip.conf and XDG_CONFIG_HOME/pip/pip.conf; site <prefix>/pip.conf of
 * the pip's Python, of every pyenv version behind a shim, and of an active virtualenv).
 */
export function pipConfigFingerprint(cwd: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const pip = programFingerprint("pip", cwd, env) ?? programFingerprint("python3", cwd, env);
  if (!pip) return undefined;
  const home = env.HOME ?? "";
  const exe = onPath("pip", env.PATH) ?? onPath("python3", env.PATH) ?? "";
  const versions = pyenvVersionsDir(exe, env);
  const files = [
    ...(env.PIP_CONFIG_FILE ? [env.PIP_CONFIG_FILE] : []),
    ...(env.XDG_CONFIG_DIRS || "/etc/xdg").split(":").map((dir) => join(dir, "pip", "pip.conf")),
    "/etc/pip.conf",
    join(home, ".pip", "pip.conf"),
    join(env.XDG_CONFIG_HOME || join(home, ".config"), "pip", "pip.conf"),
    join(dirname(dirname(exe)), "pip.conf"),
    ...(versions
      ? readdirSync(versions)
          .sort()
          .map((v) => join(versions, v, "pip.conf"))
      : []),
    ...(env.VIRTUAL_ENV ? [join(env.VIRTUAL_ENV, "pip.conf")] : []),
  ];
  const variables = Object.keys(env)
    .filter(
      (key) => key.startsWith("PIP_") || ["HOME", "VIRTUAL_ENV"].includes(key) || key.startsWith("XDG_"),
    )
    .sort()
    .map((key) => `${key}=${env[key]}`);
  return [...pip, ...variables, ...files.map(fileStamp)].join("\n");
}

const carriesCredentials = (cfg: HostPipConfig | undefined) =>
  [cfg?.indexUrl, ...(cfg?.extraIndexUrls ?? []), ...(cfg?.findLinks ?? [])].some(
    (u) => u !== undefined && stripUrlCredentials(u) !== u,
  );

/**
 * This machine's pip configuration; undefined when pip is not installed. Remembered under
 * <rootDir>/.prebake/ (core's tool-answer) because every layer build and every no-op pipeline
 * asks, and pip takes about 0.9 s to answer. A configuration whose index URLs carry credentials
 * is never written down: it is asked each time instead.
 */
export async function readHostPipConfig(
  rootDir: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<HostPipConfig | undefined> {
  const fingerprint = pipConfigFingerprint(rootDir, env);
  if (!fingerprint) return undefined;
  return rememberedAnswer(
    toolAnswerFile(rootDir, "pip-config"),
    fingerprint,
    () => askPip(env),
    (cfg) => cfg !== undefined && !carriesCredentials(cfg),
  );
}

const toLocalPath = (loc: string): string | undefined => {
  if (loc.startsWith("file://")) return fileURLToPath(loc);
  if (loc.startsWith("/")) return loc;
  return undefined;
};

/** A simple index at /opt/pypi/simple links to ../../files: mount the folder above `simple`. */
function mountFor(path: string): string {
  return basename(path) === "simple" ? dirname(path) : path;
}

/** A machine's local pip indexes as a container sees them (see localPipIndexes). */
export interface LocalPipIndexes {
  /** PIP_INDEX_URL, PIP_EXTRA_INDEX_URL and PIP_FIND_LINKS, naming local folders only. */
  env: Record<string, string>;
  /** Host folders to bind-mount read-only at the same path. */
  mounts: string[];
  description: string;
}

/**
 * This machine's local pip indexes (the folders its pip configuration names) as a container sees
 * them: the folders to mount read-only at the same paths, and the PIP_* variables that name them.
 * The local CodeBuild runner gives them to its builds as their package index: the local profile has
 * no internet, where a build in CodeBuild reaches PyPI or the team's index. URLs are left out (they
 * can carry credentials, and a build reaches them as it would in CodeBuild). Undefined when the
 * configuration names no local folder.
 */
export async function localPipIndexes(rootDir: string): Promise<LocalPipIndexes | undefined> {
  const cfg = await readHostPipConfig(rootDir);
  if (!cfg) return undefined;
  const local = (urls: string[]) => urls.filter((u) => toLocalPath(u) !== undefined);
  const index = cfg.indexUrl && toLocalPath(cfg.indexUrl) ? [cfg.indexUrl] : [];
  const extra = local(cfg.extraIndexUrls);
  const links = local(cfg.findLinks);
  const all = [...index, ...extra, ...links];
  if (all.length === 0) return undefined;
  const env: Record<string, string> = {};
  if (index.length) env.PIP_INDEX_URL = index[0]!;
  if (extra.length) env.PIP_EXTRA_INDEX_URL = extra.join(" ");
  if (links.length) env.PIP_FIND_LINKS = links.join(" ");
  const mounts = [...new Set(all.map((u) => mountFor(toLocalPath(u)!)).filter((p) => existsSync(p)))];
  return { env, mounts, description: all.join(", ") };
}

/**
 * Turn a layer definition's `index` into pip options. `local` means the indexes of this machine's
 * pip configuration (read with `pip config list`), which must be local folders or URLs.
 */
export function resolvePipIndex(
  index: string,
  where: string,
  hostConfig: () => HostPipConfig | undefined,
): PipIndex {
  if (index === "pypi")
    return { indexUrl: PYPI, extraIndexUrls: [], findLinks: [], mounts: [], description: "PyPI" };
  if (index === "local") {
    const cfg = hostConfig();
    const indexes = [cfg?.indexUrl, ...(cfg?.extraIndexUrls ?? [])].filter((u): u is string => Boolean(u));
    if (!cfg || (indexes.length === 0 && cfg.findLinks.length === 0)) {
      throw new ConfigError("index: local, but this machine's pip configuration names no index", {
        where,
        fix: "configure one (pip config set global.extra-index-url file:///path/simple) or set index to a URL or path",
      });
    }
    const local = [...indexes, ...cfg.findLinks].map(toLocalPath).filter((p): p is string => Boolean(p));
    const [first, ...rest] = indexes;
    return {
      // With only find-links, no index at all: pip has no source priority, so PyPI's URL beside the
      // local folders would let any name PyPI also has win from there (dependency confusion).
      indexUrl: first,
      extraIndexUrls: rest,
      findLinks: cfg.findLinks,
      mounts: [...new Set(local.filter((p) => existsSync(p)).map(mountFor))],
      description: `local (${[...indexes, ...cfg.findLinks].map(stripUrlCredentials).join(", ")})`,
    };
  }
  if (/^https?:\/\//.test(index)) {
    return {
      indexUrl: index,
      extraIndexUrls: [],
      findLinks: [],
      mounts: [],
      description: stripUrlCredentials(index),
    };
  }
  const path = toLocalPath(index);
  if (!path) {
    throw new ConfigError(
      `index '${stripUrlCredentials(index)}' is not pypi, local, a URL or an absolute path`,
      {
        where,
        fix: "use index: pypi, index: local, index: https://host/simple or index: /path/to/simple",
      },
    );
  }
  if (!existsSync(path)) {
    throw new ConfigError(`index folder ${path} does not exist`, { where, fix: "fix the path" });
  }
  return {
    indexUrl: pathToFileURL(path).href,
    extraIndexUrls: [],
    findLinks: [],
    mounts: [mountFor(path)],
    description: path,
  };
}

/** The index as pip's options: what the inputs hash records (credentials stripped there). */
export function indexArgs(index: PipIndex): string[] {
  return [
    ...(index.indexUrl ? ["--index-url", index.indexUrl] : ["--no-index"]),
    ...index.extraIndexUrls.flatMap((u) => ["--extra-index-url", u]),
    ...index.findLinks.flatMap((u) => ["--find-links", u]),
  ];
}

/**
 * The index as pip's environment, for every pip run of a build: an index URL can carry a token
 * (`https://user:token@host/simple`, CodeArtifact's), and a command line is anyone's to read with
 * `ps`, an exec's environment is not. No configuration file is read (PIP_CONFIG_FILE=/dev/null), and
 * the runner drops inherited PIP_* variables: the build's settings are the only ones, as with
 * `pip --isolated` (which would ignore these variables too).
 */
export function pipEnvironment(index: PipIndex): Record<string, string> {
  return {
    PIP_CONFIG_FILE: "/dev/null",
    PIP_NO_INPUT: "1",
    PIP_DISABLE_PIP_VERSION_CHECK: "1",
    ...(index.indexUrl ? { PIP_INDEX_URL: index.indexUrl } : { PIP_NO_INDEX: "1" }),
    ...(index.extraIndexUrls.length > 0 ? { PIP_EXTRA_INDEX_URL: index.extraIndexUrls.join(" ") } : {}),
    ...(index.findLinks.length > 0 ? { PIP_FIND_LINKS: index.findLinks.join(" ") } : {}),
  };
}

/** The secret parts of the index URLs (passwords, tokens), for the output's masker. */
export function indexSecrets(index: PipIndex): string[] {
  const secrets: string[] = [];
  for (const u of [index.indexUrl, ...index.extraIndexUrls, ...index.findLinks]) {
    if (!u) continue;
    try {
      const { username, password } = new URL(u);
      for (const part of [password, username]) {
        if (!part) continue;
        secrets.push(part, decodeURIComponent(part));
      }
    } catch {
      // a path, not a URL: nothing secret in it
    }
  }
  return [...new Set(secrets)];
}

/** Options that make pip choose wheels for the Lambda runtime rather than for the machine it runs on. */
export function targetArgs(py: PythonRuntime, arch: Architecture): string[] {
  return [
    ...manylinuxPlatforms(arch, py.glibc).flatMap((p) => ["--platform", p]),
    "--implementation",
    "cp",
    "--python-version",
    py.version,
    "--only-binary=:all:",
  ];
}

/** One resolved distribution from pip's installation report. */
export interface ResolvedDistribution {
  name: string;
  version: string;
  url: string;
  sha256: string | undefined;
  requested: boolean;
}

/** Parse `pip install --dry-run --report` JSON (format version 1). */
export function parsePipReport(json: string): ResolvedDistribution[] {
  let report: {
    install?: {
      metadata?: { name?: string; version?: string };
      download_info?: { url?: string; archive_info?: { hash?: string; hashes?: Record<string, string> } };
      requested?: boolean;
    }[];
  };
  try {
    report = JSON.parse(json);
  } catch (err) {
    throw new BuildFailedError(`pip's installation report is not JSON (${(err as Error).message})`);
  }
  return (report.install ?? []).map((item) => {
    const name = item.metadata?.name;
    const version = item.metadata?.version;
    const url = item.download_info?.url;
    if (!name || !version || !url)
      throw new BuildFailedError("pip's installation report lacks a name, version or url");
    const info = item.download_info?.archive_info;
    const sha256 =
      info?.hashes?.sha256 ?? (info?.hash?.startsWith("sha256=") ? info.hash.slice(7) : undefined);
    return { name, version, url, sha256, requested: Boolean(item.requested) };
  });
}

/**
 * What one batch installs: the exact file pip resolved, with its hash in the URL fragment so pip
 * verifies it (`--no-deps`: the resolution already chose every dependency).
 */
export function pinnedRequirement(d: ResolvedDistribution): string {
  // Without credentials: pip authenticates to the index's host from PIP_INDEX_URL, and this is argv.
  const bare = stripUrlCredentials(d.url.split("#")[0]!);
  return d.sha256 ? `${bare}#sha256=${d.sha256}` : bare;
}

/** Bytes an argument costs in the kernel's argv accounting: the string, its NUL and its pointer. */
export const argCost = (arg: string) => Buffer.byteLength(arg) + 1 + 8;

/**
 * Split requirements into batches whose whole command line (fixed arguments included) stays under
 * maxBytes, so a long requirement list never hits ARG_MAX (2 MiB on Linux, shared with the
 * environment; 128 KiB per single argument). Order is kept; a single requirement that cannot fit
 * even alone is an error rather than a silent truncation.
 */
export function batchArguments(items: string[], fixedArgs: string[], maxBytes = 96 * 1024): string[][] {
  const fixed = fixedArgs.reduce((n, a) => n + argCost(a), 0);
  const batches: string[][] = [];
  let current: string[] = [];
  let size = fixed;
  for (const item of items) {
    const cost = argCost(item);
    if (fixed + cost > maxBytes) {
      throw new BuildFailedError(
        `requirement '${item.slice(0, 80)}' alone makes the pip command longer than ${maxBytes} bytes`,
      );
    }
    if (current.length > 0 && size + cost > maxBytes) {
      batches.push(current);
      current = [];
      size = fixed;
    }
    current.push(item);
    size += cost;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/** A requirement pip found no installable distribution for, read from its error lines. */
export interface MissingDistribution {
  requirement: string;
  /** pip's "(from versions: ...)": the versions that do have a file for this target ("none" when no version has). */
  versions: string;
}

/**
 * Read pip's "No matching distribution found for <req>" (and the "Could not find a version that
 * satisfies the requirement <req> (from versions: ...)" line before it). With --only-binary and an
 * explicit --platform/--python-version this means: no wheel for this CPU/Python/glibc in the index.
 */
export function missingDistribution(lines: string[]): MissingDistribution | undefined {
  const text = lines.join("\n");
  const requirement = /No matching distribution found for (\S+)/.exec(text)?.[1];
  if (!requirement) return undefined;
  const versions = /satisfies the requirement \S+ \(from versions: ([^)]*)\)/.exec(text)?.[1];
  return { requirement, versions: versions?.trim() || "none" };
}
