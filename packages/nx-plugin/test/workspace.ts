/**
 * Throw-away Nx workspaces for the plugin's integration tests: the real nx, the real plugin and
 * prebake (node_modules and packages/ are links to this checkout), with their own stacks, config,
 * Nx cache and .prebake/ state, so a test can edit sources and watch what Nx replays.
 */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";

export const repoRoot = resolve(import.meta.dirname, "../../..");
export const suffix = () => randomBytes(3).toString("hex");

export interface NxRun {
  code: number | null;
  /** stdout and stderr together. */
  output: string;
}

export interface TempWorkspace {
  root: string;
  write(path: string, text: string): void;
  read(path: string): string;
  /** Runs the workspace's nx (daemon off, as CI and npm start run it). */
  nx(args: string[], env?: NodeJS.ProcessEnv): NxRun;
  /** Runs the prebake binary in the workspace. */
  prebake(args: string[], env?: NodeJS.ProcessEnv): NxRun & { stdout: string; stderr: string };
  remove(): void;
}

/** What the tests' nx and prebake run with: the checkout's Node 24 first on PATH, no daemon, no TUI. */
export function nxEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    PATH: `${join(repoRoot, "node_modules", ".bin")}:${process.env.PATH}`,
    NX_DAEMON: "false",
    NX_NO_CLOUD: "true",
    NX_TUI: "false",
    CI: "true",
    FORCE_COLOR: "0",
    ...extra,
  };
}

export function makeWorkspace(options: { project: string; copy?: string[] }): TempWorkspace {
  const root = mkdtempSync(join(tmpdir(), "prebake-nx-"));
  for (const link of ["node_modules", "packages"]) symlinkSync(join(repoRoot, link), join(root, link));
  for (const path of ["nx.json", ...(options.copy ?? [])]) {
    cpSync(join(repoRoot, path), join(root, path), { recursive: true });
  }
  writeFileSync(join(root, "prebake.config.yaml"), `project: ${options.project}\nprofile: local\n`);
  const run = (bin: string, args: string[], env: NodeJS.ProcessEnv = {}) =>
    spawnSync(join(repoRoot, "node_modules", ".bin", bin), args, {
      cwd: root,
      env: nxEnv(env),
      encoding: "utf8",
      timeout: 300_000,
    });
  return {
    root,
    write(path, text) {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), text);
    },
    read: (path) => readFileSync(join(root, path), "utf8"),
    nx(args, env) {
      const r = run("nx", args, env);
      return { code: r.status, output: `${r.stdout}${r.stderr}` };
    },
    prebake(args, env) {
      const r = run("prebake", args, env);
      return { code: r.status, output: `${r.stdout}${r.stderr}`, stdout: r.stdout, stderr: r.stderr };
    },
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}

const CACHE_MARK = /\[(local cache|existing outputs match the cache, left as is)\]/;

/** Whether Nx says it replayed the task (`project:target`) from its cache instead of running it. */
export function replayed(run: NxRun, task: string): boolean {
  const lines = run.output.split("\n").filter((line) => line.includes(`nx run ${task}`));
  if (lines.length === 0) throw new Error(`nx did not mention ${task}:\n${run.output}`);
  return lines.some((line) => CACHE_MARK.test(line));
}
