/**
 * A small pip index for one test, built from this machine's configured indexes (`pip config list`:
 * index-url, extra-index-url and find-links that are local folders), so no test names a path under
 * /opt and each test's index holds exactly the wheels it means to use.
 */
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { copyFile, mkdir, readFile, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { readHostPipConfig } from "../src/pip.ts";

export interface TestIndex {
  /** The PEP 503 `simple/` folder: a layer definition's `index`. */
  simple: string;
  /** The copied wheel files by file name. */
  wheels: Record<string, string>;
}

/** PEP 503 project name of a wheel file: pydantic_core-2.46.5-... -> pydantic-core. */
export const projectOf = (wheel: string) =>
  wheel
    .split("-")[0]!
    .toLowerCase()
    .replace(/[-_.]+/g, "-");

const localPath = (location: string) =>
  location.startsWith("file://") ? fileURLToPath(location) : location.startsWith("/") ? location : undefined;

/** Where the configured indexes keep a wheel file, or undefined when none has it. */
export async function findConfiguredWheel(file: string): Promise<string | undefined> {
  const cfg = await readHostPipConfig(process.cwd());
  if (!cfg) return undefined;
  const indexes = [cfg.indexUrl, ...cfg.extraIndexUrls].flatMap((u) => (u ? [localPath(u)] : []));
  for (const simple of indexes) {
    const page = simple && join(simple, projectOf(file), "index.html");
    if (!page || !existsSync(page)) continue;
    for (const m of (await readFile(page, "utf8")).matchAll(/href="([^"#]+)(#[^"]*)?"/g)) {
      if (basename(m[1]!) === file) return join(dirname(page), m[1]!);
    }
  }
  for (const dir of cfg.findLinks.map(localPath)) {
    if (dir && existsSync(join(dir, file))) return join(dir, file);
  }
  return undefined;
}

/** Copy the named wheels from the configured indexes into `<dir>/files` and index them in `<dir>/simple`. */
export async function makeTestIndex(dir: string, files: string[]): Promise<TestIndex> {
  const simple = join(dir, "simple");
  const wheels: Record<string, string> = {};
  const projects = new Map<string, string[]>();
  await mkdir(join(dir, "files"), { recursive: true });
  for (const file of files) {
    const found = await findConfiguredWheel(file);
    if (!found) {
      throw new Error(
        `no configured pip index has ${file} (pip config list: index-url, extra-index-url, find-links); this test needs it`,
      );
    }
    wheels[file] = join(dir, "files", file);
    await copyFile(found, wheels[file]);
    const links = projects.get(projectOf(file)) ?? [];
    const sha256 = createHash("sha256")
      .update(await readFile(found))
      .digest("hex");
    links.push(`<a href="../../files/${file}#sha256=${sha256}">${file}</a>`);
    projects.set(projectOf(file), links);
  }
  for (const [project, links] of projects) {
    await mkdir(join(simple, project), { recursive: true });
    await writeFile(
      join(simple, project, "index.html"),
      `<!DOCTYPE html><html><body>\n${links.join("\n")}\n</body></html>\n`,
    );
  }
  const root = [...projects.keys()].map((p) => `<a href="${p}/">${p}</a>`).join("\n");
  await writeFile(join(simple, "index.html"), `<!DOCTYPE html><html><body>\n${root}\n</body></html>\n`);
  return { simple, wheels };
}
