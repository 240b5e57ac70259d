/**
 * Remembered answers of the machine's Python tools. Asking `cfn-lint --version` or `pip config
 * list` costs 0.8-3 s of Python start-up, and every no-op pipeline run needs both answers. The
 * answer is kept in a small JSON file next to a fingerprint of everything that decides it (the
 * program's file, the configuration files it reads, the variables it honours); a changed
 * fingerprint asks the tool again. A fingerprint is cheap: a PATH lookup and a few stat calls.
 *
 * Only node builtins here: bin scripts that Nx runs on every hash (cfn-lint-version.mjs) load
 * this file alone, without the rest of @prebake/core.
 */
import {
  accessSync,
  constants,
  existsSync,
  readdirSync,
  readFileSync,
  realpathSync,
  statSync,
} from "node:fs";
import { mkdir, rename, writeFile } from "node:fs/promises";
import { delimiter, dirname, join } from "node:path";

/** The first executable file called `program` on PATH, or undefined. */
export function onPath(program: string, path = process.env.PATH ?? ""): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, program);
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {}
  }
  return undefined;
}

/** A file's identity and version: real path, size, mtime, inode; or that it is missing. */
export function fileStamp(file: string): string {
  try {
    const real = realpathSync(file);
    const s = statSync(real);
    return `${real}:${s.size}:${s.mtimeMs}:${s.ino}`;
  } catch {
    return `${file}:missing`;
  }
}

/** Where a pyenv shim's installed Pythons live, when `exe` is one; undefined otherwise. */
export function pyenvVersionsDir(exe: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const root = env.PYENV_ROOT ?? dirname(dirname(exe));
  const versions = join(root, "versions");
  return dirname(exe).endsWith("/shims") && existsSync(versions) ? versions : undefined;
}

/**
 * What decides which `program` runs: pip rewrites a console script on every install or upgrade,
 * so the script's stamp changes with the version. A pyenv shim never changes: behind it, what
 * decides is the selected Python (PYENV_VERSION, .python-version files from `cwd` up, the global
 * version file) and the script in each installed version. Undefined when the program is not on PATH.
 */
export function programFingerprint(
  program: string,
  cwd: string,
  env: NodeJS.ProcessEnv = process.env,
): string[] | undefined {
  const exe = onPath(program, env.PATH);
  if (!exe) return undefined;
  const parts = [fileStamp(exe)];
  const versions = pyenvVersionsDir(exe, env);
  if (versions) {
    parts.push(`PYENV_VERSION=${env.PYENV_VERSION ?? ""}`, fileStamp(join(dirname(versions), "version")));
    for (let dir = cwd; ; dir = dirname(dir)) {
      if (existsSync(join(dir, ".python-version"))) parts.push(fileStamp(join(dir, ".python-version")));
      if (dirname(dir) === dir) break;
    }
    for (const version of readdirSync(versions).sort()) {
      parts.push(fileStamp(join(versions, version, "bin", program)));
    }
  }
  return parts;
}

/** Where a remembered answer is kept: <rootDir>/.prebake/<name>.json. */
export const toolAnswerFile = (rootDir: string, name: string) => join(rootDir, ".prebake", `${name}.json`);

interface Memo<T> {
  fingerprint: string;
  answer: T;
}

/**
 * The answer remembered in `file` when its fingerprint is `fingerprint`; otherwise `ask()`, and
 * remember the answer unless `keep` says it is not worth keeping (a tool that was not found).
 */
export async function rememberedAnswer<T>(
  file: string,
  fingerprint: string,
  ask: () => Promise<T>,
  keep: (answer: T) => boolean = () => true,
): Promise<T> {
  // Kept as a hash: a fingerprint may hold variables' values (a PIP_PROXY with a password).
  // node:crypto is loaded here, not with the module: `prebake --help` reads the cfn-lint pin
  // beside this and should not pay for crypto's start-up.
  const { createHash } = await import("node:crypto");
  const key = createHash("sha256").update(fingerprint).digest("hex");
  try {
    const memo = JSON.parse(readFileSync(file, "utf8")) as Memo<T>;
    if (memo.fingerprint === key && memo.answer !== undefined) return memo.answer;
  } catch {}
  const answer = await ask();
  if (keep(answer)) {
    await mkdir(dirname(file), { recursive: true });
    // Renamed into place: two processes (Nx's runtime input and a deploy) may ask at the same moment.
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, `${JSON.stringify({ fingerprint: key, answer } satisfies Memo<T>)}\n`);
    await rename(tmp, file);
  }
  return answer;
}
