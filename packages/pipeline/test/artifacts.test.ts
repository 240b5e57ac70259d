/**
 * Pipeline artifacts and symlinks, on the real filesystem: zipFolder zips a link as a link (never
 * follows it) and refuses one that is absolute or leaves the folder; unzipTo (yauzl) makes links
 * last and never writes through one. A canary file on the host must appear in no zip and no folder.
 */
import {
  createWriteStream,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { ConfigError, ExitCode } from "@prebake/core";
import { describe, expect, it } from "vitest";
import yazl from "yazl";
import { bytesUnder, rejection, scratchFolders } from "../../core/test/canary.ts";
import { unzipTo, zipFolder } from "../src/artifacts.ts";

const scratch = scratchFolders("prebake-artifacts-");
const tempDir = scratch.dir;
const hostCanary = () => scratch.canary("secret");
/** A refusal: prebake's ConfigError, exit code and all. */
const refusal = (p: Promise<unknown>) => rejection(p, ConfigError, ExitCode.CONFIG);

/** A zip written entry by entry, as an attacker (or a careless tool) might: links and files in any order. */
async function craftedZip(entries: { name: string; link?: string; text?: string }[]): Promise<string> {
  const zip = new yazl.ZipFile();
  for (const e of entries) {
    if (e.link !== undefined) zip.addBuffer(Buffer.from(e.link), e.name, { mode: 0o120777 });
    else zip.addBuffer(Buffer.from(e.text ?? ""), e.name, { mode: 0o100644 });
  }
  zip.end();
  const file = join(tempDir(), "crafted.zip");
  await pipeline(zip.outputStream, createWriteStream(file));
  return file;
}

describe("zipFolder: symlinks in an output artifact", () => {
  it("refuses out/leak -> a host file (enable-symlinks: yes kept it) with exit 3 naming it; the canary is in no zip", async () => {
    const canary = hostCanary();
    const out = tempDir();
    writeFileSync(join(out, "made.txt"), "made\n");
    symlinkSync(canary.path, join(out, "leak"));
    const zips = tempDir();
    const err = await refusal(zipFolder(out, join(zips, "Release.zip"), "Release"));
    expect(err.toLine()).toMatch(
      /^artifact Release: leak: symlink to .* refused: its target is an absolute path/,
    );
    expect(await bytesUnder(zips)).not.toContain(canary.content);
  });

  it("refuses a relative link out of the folder", async () => {
    const canary = hostCanary();
    const out = tempDir();
    symlinkSync(join("..", canary.dir.slice(tmpdir().length + 1), "secret"), join(out, "up"));
    const zips = tempDir();
    const err = await refusal(zipFolder(out, join(zips, "a.zip"), "A"));
    expect(err.message).toContain("leaves the folder");
    expect(await bytesUnder(zips)).not.toContain(canary.content);
  });

  it("zips links to a file, to a folder and to nothing as links, modes kept; they come back as links", async () => {
    const out = tempDir();
    mkdirSync(join(out, "bin"));
    writeFileSync(join(out, "bin/tool"), "#!/bin/sh\necho tool\n", { mode: 0o755 });
    symlinkSync("bin/tool", join(out, "tool"));
    symlinkSync("bin", join(out, "bindir"));
    symlinkSync("missing", join(out, "dangling"));
    const file = join(tempDir(), "Links.zip");
    expect(await zipFolder(out, file, "Links")).toBe(4);
    const back = tempDir();
    await unzipTo(file, back, "Links");
    expect(readlinkSync(join(back, "tool"))).toBe("bin/tool");
    expect(readlinkSync(join(back, "bindir"))).toBe("bin");
    expect(readlinkSync(join(back, "dangling"))).toBe("missing");
    expect(statSync(join(back, "bin/tool")).mode & 0o777).toBe(0o755);
    expect(readFileSync(join(back, "tool"), "utf8")).toBe("#!/bin/sh\necho tool\n");
  });
});

describe("unzipTo: never writes through a link", () => {
  it("refuses an entry under a link an earlier entry made (dir -> host folder, then dir/file); nothing lands outside", async () => {
    const canary = hostCanary();
    const before = readdirSync(canary.dir);
    const file = await craftedZip([
      { name: "dir", link: canary.dir },
      { name: "dir/secret", text: "overwritten" },
      { name: "dir/planted", text: "planted" },
    ]);
    const into = tempDir();
    await refusal(unzipTo(file, into, "Source"));
    expect(readdirSync(canary.dir)).toEqual(before);
    expect(readFileSync(canary.path, "utf8")).toContain(canary.content);
    expect(readFileSync(canary.path, "utf8")).not.toContain("overwritten");
    // A link to a host file alone is not made either: the next action's zip or build would read through it.
    const alone = await craftedZip([{ name: "leak", link: canary.path }]);
    const again = tempDir();
    expect((await refusal(unzipTo(alone, again, "Source"))).where).toBe("artifact Source: leak");
    expect(readdirSync(again)).toEqual([]);
  });

  it("refuses a relative link that leads out, and an entry under a relative link", async () => {
    const up = await craftedZip([{ name: "a/up", link: "../../etc" }]);
    expect((await refusal(unzipTo(up, tempDir(), "A"))).toLine()).toMatch(
      /^artifact A: a\/up: symlink to \.\.\/\.\.\/etc refused: its target leaves the folder/,
    );
    const under = await craftedZip([
      { name: "real/x", text: "x" },
      { name: "alias", link: "real" },
      { name: "alias/y", text: "y" },
    ]);
    const into = tempDir();
    expect((await refusal(unzipTo(under, into, "B"))).message).toContain("lies under the symlink alias");
    expect(readdirSync(join(into, "real"))).toEqual(["x"]);
  });

  it("refuses a name that climbs out (yauzl's own check) as an unreadable zip", async () => {
    const zip = new yazl.ZipFile();
    zip.addBuffer(Buffer.from("x"), "ok.txt");
    zip.end();
    const file = join(tempDir(), "evil.zip");
    await pipeline(zip.outputStream, createWriteStream(file));
    // yazl refuses to write "../x", so patch the name in place (same length) in both headers.
    const raw = readFileSync(file);
    writeFileSync(file, Buffer.from(raw.toString("latin1").replaceAll("ok.txt", "../o.t"), "latin1"));
    const into = tempDir();
    expect((await refusal(unzipTo(file, into, "Evil"))).message).toMatch(
      /not a readable zip \(invalid relative path/,
    );
  });
});
