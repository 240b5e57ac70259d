import { createWriteStream } from "node:fs";
import { chmod, copyFile, mkdir, rm, symlink, writeFile } from "node:fs/promises";
import { dirname, join, posix } from "node:path";
import { pipeline } from "node:stream/promises";
import type { ContainerHandle } from "@prebake/core";
import tarStream, { type Header } from "tar-stream";
import { staysIn } from "./artifacts.ts";
import type { ArtifactSet, ReportGroup } from "./buildspec.ts";
import { FileSelector } from "./file-selector.ts";

/**
 * Artifacts and report files, collected after the build as CodeBuild's agent collects them:
 * outside the build's shell (nothing is needed in the image), from the source folder as the
 * build left it. One pass over a tar of CODEBUILD_SRC_DIR serves every artifact definition and
 * every report group. A symlink is kept as one with enable-symlinks: yes; otherwise its target's
 * content is copied (CodeBuild's zip follows it), a link to a folder is left out with a warning.
 */
export interface ArtifactOutput {
  set: ArtifactSet;
  /** Folder the selected files are copied into; undefined: only check that every pattern matches. */
  target: string | undefined;
}

export interface CollectedReport {
  group: ReportGroup;
  files: { path: string; content: string }[];
}

export interface Collected {
  /** The first pattern that matched no file (the build fails with it), if any. */
  missing: string | undefined;
  reports: CollectedReport[];
  warnings: string[];
}

type Entry = tarStream.Extract extends AsyncIterable<infer E> ? E : never;
/** A file whose content comes from elsewhere in the container (a symlink followed, a hard link). */
interface Pending {
  containerPath: string;
  destinations: string[];
  report?: { report: CollectedReport; path: string } | undefined;
}

const MAX_LINK_DEPTH = 8;

/** Tar of `path` in the container, entry by entry (getArchive roots it at the path's own name). */
async function walkTar(container: ContainerHandle, path: string, onEntry: (entry: Entry) => Promise<void>) {
  await container.copyOut(path, async (tar) => {
    const extract = tarStream.extract();
    const feeding = pipeline(tar, extract);
    feeding.catch(() => undefined);
    try {
      for await (const entry of extract) {
        await onEntry(entry);
        entry.resume();
      }
    } catch (err) {
      extract.destroy(err as Error);
      throw err;
    }
    await feeding;
  });
}

async function drain(entry: Entry): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of entry) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

class OutputCollector {
  private readonly selectors: { out: ArtifactOutput; selector: FileSelector }[];
  private readonly reportSelectors: { report: CollectedReport; selector: FileSelector }[];
  private readonly pending: Pending[] = [];
  private readonly srcDir: string;
  readonly warnings: string[] = [];

  constructor(srcDir: string, artifacts: ArtifactOutput[], reports: ReportGroup[]) {
    this.srcDir = srcDir;
    this.selectors = artifacts.map((out) => ({ out, selector: new FileSelector(out.set) }));
    this.reportSelectors = reports.map((group) => ({
      report: { group, files: [] },
      selector: new FileSelector(group),
    }));
  }

  /** A destination inside its target folder, checked on the real path (an earlier symlink cannot lead out). */
  private destination(target: string, relative: string): string | undefined {
    const dest = join(target, relative);
    if (!staysIn(target, dest)) {
      this.warnings.push(`artifact ${relative} would be written outside ${target}; left out`);
      return undefined;
    }
    return dest;
  }

  async entry(entry: Entry): Promise<void> {
    const { header } = entry;
    const path = header.name.split("/").slice(1).join("/").replace(/\/$/, "");
    if (path === "" || header.type === "directory") return;
    const destinations: { dest: string; symlinks: boolean }[] = [];
    for (const { out, selector } of this.selectors) {
      const relative = selector.select(path);
      const dest = relative !== undefined && out.target ? this.destination(out.target, relative) : undefined;
      if (dest) destinations.push({ dest, symlinks: out.set.enableSymlinks });
    }
    const reports = this.reportSelectors.filter(({ selector }) => selector.select(path) !== undefined);
    if (destinations.length === 0 && reports.length === 0) return;
    if (header.type === "file" || header.type === "contiguous-file") {
      await this.writeFile(
        entry,
        path,
        destinations.map((d) => d.dest),
        reports.map((r) => r.report),
      );
    } else if (header.type === "symlink" || header.type === "link") {
      await this.link(
        header,
        path,
        destinations,
        reports.map((r) => r.report),
      );
    }
  }

  private async writeFile(entry: Entry, path: string, dests: string[], reports: CollectedReport[]) {
    const mode = (entry.header.mode ?? 0o644) & 0o777;
    if (reports.length > 0) {
      const content = await drain(entry);
      for (const r of reports) r.files.push({ path, content: content.toString("utf8") });
      for (const dest of dests) await this.write(dest, mode, (d) => writeFile(d, content));
      return;
    }
    const [first, ...rest] = dests;
    if (!first) return;
    await this.write(first, mode, (d) => pipeline(entry, createWriteStream(d)));
    for (const dest of rest) await this.write(dest, mode, (d) => copyFile(first, d));
  }

  private async write(dest: string, mode: number, put: (dest: string) => Promise<unknown>) {
    await mkdir(dirname(dest), { recursive: true });
    await rm(dest, { force: true });
    await put(dest);
    await chmod(dest, mode);
  }

  private async link(
    header: Header,
    path: string,
    destinations: { dest: string; symlinks: boolean }[],
    reports: CollectedReport[],
  ) {
    const linkname = header.linkname ?? "";
    const kept = header.type === "symlink" ? destinations.filter((d) => d.symlinks) : [];
    for (const { dest } of kept) {
      await mkdir(dirname(dest), { recursive: true });
      await rm(dest, { force: true });
      await symlink(linkname, dest);
    }
    // A hard link names an earlier entry of the tar (rooted at the source folder's own name).
    const containerPath =
      header.type === "link"
        ? posix.join(posix.dirname(this.srcDir), linkname)
        : posix.resolve(posix.dirname(posix.join(this.srcDir, path)), linkname);
    const followed = destinations.filter((d) => !kept.includes(d)).map((d) => d.dest);
    if (followed.length > 0) this.pending.push({ containerPath, destinations: followed });
    for (const report of reports)
      this.pending.push({ containerPath, destinations: [], report: { report, path } });
  }

  /** Copy the content behind links: the target fetched from the container, symlinks followed. */
  async resolvePending(container: ContainerHandle): Promise<void> {
    for (const p of this.pending) {
      let at = p.containerPath;
      for (let depth = 0; depth < MAX_LINK_DEPTH; depth++) {
        let next: string | undefined;
        let done = false;
        await walkTar(container, at, async (entry) => {
          if (done) return;
          done = true;
          if (entry.header.type === "symlink")
            next = posix.resolve(posix.dirname(at), entry.header.linkname ?? "");
          else if (entry.header.type === "file" || entry.header.type === "contiguous-file") {
            await this.writeFile(
              entry,
              p.report?.path ?? at,
              p.destinations,
              p.report ? [p.report.report] : [],
            );
          } else {
            this.warnings.push(
              `${at} is a link to a folder; left out of the artifacts (enable-symlinks: yes keeps it)`,
            );
          }
        }).catch((err: unknown) => {
          this.warnings.push(
            `${p.containerPath}: link target not readable (${(err as Error).message}); left out`,
          );
        });
        if (!next) break;
        at = next;
      }
    }
  }

  /** The first `files` pattern (or base-directory) that selected nothing. */
  missing(): string | undefined {
    for (const { out, selector } of this.selectors) {
      const prefix = out.set.identifier ? `secondary-artifacts.${out.set.identifier} ` : "";
      if (!selector.baseMatched) return `${prefix}base-directory ${out.set.baseDirectory}`;
      const unmatched = selector.unmatched();
      if (unmatched[0] !== undefined) return `${prefix}files ${unmatched[0]}`;
    }
    return undefined;
  }

  reports(): CollectedReport[] {
    return this.reportSelectors.map((r) => r.report);
  }
}

/** Collect the artifacts and report files of a finished build from its source folder. */
export async function collectOutputs(
  container: ContainerHandle,
  srcDir: string,
  artifacts: ArtifactOutput[],
  reports: ReportGroup[],
): Promise<Collected> {
  const collector = new OutputCollector(srcDir, artifacts, reports);
  if (artifacts.length > 0 || reports.length > 0) {
    await walkTar(container, srcDir, (entry) => collector.entry(entry));
    await collector.resolvePending(container);
  }
  return { missing: collector.missing(), reports: collector.reports(), warnings: collector.warnings };
}

/** A (small) text file of the container, or undefined when it is not there. */
export async function readContainerFile(
  container: ContainerHandle,
  path: string,
): Promise<string | undefined> {
  if (!(await container.hasPath(path))) return undefined;
  let text: string | undefined;
  await walkTar(container, path, async (entry) => {
    if (text === undefined && (entry.header.type === "file" || entry.header.type === "contiguous-file")) {
      text = (await drain(entry)).toString("utf8");
    }
  });
  return text;
}
