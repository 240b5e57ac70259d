/**
 * No host file leaves through a symlink in a layer: a link in the layer's sources travels as a
 * link (never followed) when it is relative and stays in its folder, and is refused (exit 3, the
 * file named) when it is absolute or leaves it; `source` and `requirements` stay in the layer's
 * folder. The fault tests plant a canary file on the host whose content must appear nowhere.
 */
import { mkdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError, ExitCode } from "@prebake/core";
import { describe, expect, it } from "vitest";
import { bytesUnder, rejection, scratchFolders } from "../../core/test/canary.ts";
import { parseLayerDefinition } from "../src/definition.ts";
import { EM_X86_64 } from "../src/elf.ts";
import { inputsHash } from "../src/inputs-hash.ts";
import type { PipIndex } from "../src/pip.ts";
import { validateLayerEntries } from "../src/validate.ts";
import { mergeTree } from "../src/workspace.ts";
import { deterministicZip } from "../src/zip.ts";
import { readZipEntries } from "../src/zip-read.ts";
import { GLIBC_OLD, makeElf } from "./fixtures.ts";

const scratch = scratchFolders("prebake-layer-links-");
const tempDir = scratch.dir;
const hostCanary = () => scratch.canary();
/** A refusal: prebake's ConfigError, exit code and all. */
const refusal = (p: Promise<unknown>) => rejection(p, ConfigError, ExitCode.CONFIG);

describe("layer zip: symlinks", () => {
  it("refuses a committed python/pkg/creds.txt -> the host's credentials; the canary is in no zip", async () => {
    const canary = hostCanary();
    const stage = tempDir();
    mkdirSync(join(stage, "python/pkg"), { recursive: true });
    writeFileSync(join(stage, "python/pkg/__init__.py"), "");
    symlinkSync(canary.path, join(stage, "python/pkg/creds.txt"));
    const out = tempDir();
    const err = await refusal(deterministicZip(stage, join(out, "layer.zip"), (p) => `stage/${p}`));
    expect(err.toLine()).toMatch(
      /^stage\/python\/pkg\/creds\.txt: symlink to .* refused: its target is an absolute path \(fix: /,
    );
    expect(await bytesUnder(out)).not.toContain(canary.content);
  });

  it("refuses a relative link that climbs out of the folder", async () => {
    const canary = hostCanary();
    const stage = tempDir();
    mkdirSync(join(stage, "python"), { recursive: true });
    symlinkSync(join("..", "..", canary.path.slice(tmpdir().length + 1)), join(stage, "python/up"));
    const out = tempDir();
    const err = await refusal(deterministicZip(stage, join(out, "layer.zip")));
    expect(err.message).toContain("its target leaves the folder");
    expect(await bytesUnder(out)).not.toContain(canary.content);
  });

  it("zips a relative link inside the folder as a link (to a file, a folder, or nothing); no crash", async () => {
    const stage = tempDir();
    mkdirSync(join(stage, "python/pkg/impl"), { recursive: true });
    writeFileSync(join(stage, "python/pkg/impl/core.py"), "X = 1\n");
    symlinkSync("impl/core.py", join(stage, "python/pkg/alias.py"));
    symlinkSync("impl", join(stage, "python/pkg/same"));
    symlinkSync("gone.py", join(stage, "python/pkg/dangling.py"));
    const zip = await deterministicZip(stage, join(tempDir(), "layer.zip"));
    const entries = await readZipEntries(zip.path, () => true);
    expect(entries.map((e) => [e.path, e.content?.toString()])).toEqual([
      ["python/pkg/alias.py", "impl/core.py"],
      ["python/pkg/dangling.py", "gone.py"],
      ["python/pkg/impl/core.py", "X = 1\n"],
      ["python/pkg/same", "impl"],
    ]);
    // Stored as symlinks (S_IFLNK in the external attributes), which unzip and Lambda recreate as links.
    const raw = readFileSync(zip.path);
    const modes: number[] = [];
    for (let at = raw.indexOf("PK\x01\x02"); at >= 0; at = raw.indexOf("PK\x01\x02", at + 4))
      modes.push(raw.readUInt32LE(at + 38) >>> 16);
    expect(modes).toEqual([0o120777, 0o120777, 0o100644, 0o120777]);
  });
});

describe("layer validation of a zipped link", () => {
  it("checks the file a .so link names, not the link's own bytes (the target path)", async () => {
    const stage = tempDir();
    mkdirSync(join(stage, "python/m"), { recursive: true });
    writeFileSync(join(stage, "python/m/__init__.py"), "");
    writeFileSync(join(stage, "python/m/_m.abi3.so.1"), makeElf({ machine: EM_X86_64, versions: GLIBC_OLD }));
    symlinkSync("_m.abi3.so.1", join(stage, "python/m/_m.abi3.so"));
    const zip = await deterministicZip(stage, join(tempDir(), "layer.zip"));
    const entries = await readZipEntries(zip.path, () => true);
    expect(entries.find((e) => e.path === "python/m/_m.abi3.so")?.symlink).toBe(true);
    expect(validateLayerEntries(entries, { pythonVersions: ["3.11"], arch: "x86_64" }).errors).toEqual([]);
  });
});

describe("layer sources: symlinks and paths", () => {
  const INDEX: PipIndex = {
    indexUrl: "https://pypi.org/simple",
    extraIndexUrls: [],
    findLinks: [],
    mounts: [],
    description: "PyPI",
  };

  /** A layer folder with own sources in src/. */
  function layer(): string {
    const dir = tempDir();
    writeFileSync(join(dir, "requirements.txt"), "six==1.17.0\n");
    writeFileSync(join(dir, "layer.yaml"), "name: x\nrequirements: requirements.txt\nsource: src\n");
    mkdirSync(join(dir, "src/pkg"), { recursive: true });
    writeFileSync(join(dir, "src/pkg/__init__.py"), "");
    return dir;
  }
  const parse = (dir: string, extra = "source: src\n") =>
    parseLayerDefinition(`name: x\nrequirements: requirements.txt\n${extra}`, "layers/x/layer.yaml", dir);

  it("refuses the link before any build (the inputs hash lists the sources), naming the file", async () => {
    const canary = hostCanary();
    const dir = layer();
    symlinkSync(canary.path, join(dir, "src/pkg/creds.txt"));
    const err = await refusal(inputsHash(parse(dir), "x86_64", "sha256:image", INDEX));
    expect(err.where).toBe("layers/x/src/pkg/creds.txt");
  });

  it("mergeTree copies a link as a link and refuses one that leads out; nothing of the canary is copied", async () => {
    const canary = hostCanary();
    const src = tempDir();
    mkdirSync(join(src, "pkg"));
    writeFileSync(join(src, "pkg/real.py"), "R = 1\n");
    symlinkSync("real.py", join(src, "pkg/alias.py"));
    const dest = tempDir();
    expect(await mergeTree(src, dest)).toEqual([]);
    expect(readlinkSync(join(dest, "pkg/alias.py"))).toBe("real.py");

    symlinkSync(canary.path, join(src, "pkg/creds.txt"));
    const again = tempDir();
    await refusal(mergeTree(src, again, (p) => `src/${p}`));
    expect(await bytesUnder(again)).not.toContain(canary.content);
  });

  it("keeps source and requirements inside the layer's folder (a path or a symlink out is exit 3)", () => {
    const outside = tempDir();
    writeFileSync(join(outside, "requirements.txt"), "six==1.17.0\n");
    mkdirSync(join(outside, "pkg"));
    const dir = layer();
    const thrown = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return e as ConfigError;
      }
      throw new Error("not refused");
    };
    const rel = join("..", outside.slice(tmpdir().length + 1));
    const bySource = thrown(() => parse(dir, `source: ${rel}\n`));
    expect(bySource.exitCode).toBe(ExitCode.CONFIG);
    expect(bySource.toLine()).toMatch(
      /^layers\/x\/layer.yaml: source: .* is outside the layer's folder \(fix: /,
    );
    expect(thrown(() => parse(dir, `source: ${outside}\n`)).where).toBe("layers/x/layer.yaml: source");
    symlinkSync(outside, join(dir, "linked"));
    expect(thrown(() => parse(dir, "source: linked\n")).where).toBe("layers/x/layer.yaml: source");
    const byRequirements = thrown(() =>
      parseLayerDefinition(
        `name: x\nrequirements: ${join(rel, "requirements.txt")}\n`,
        "layers/x/layer.yaml",
        dir,
      ),
    );
    expect(byRequirements.where).toBe("layers/x/layer.yaml: requirements");
    symlinkSync(join(outside, "requirements.txt"), join(dir, "req-link.txt"));
    expect(
      thrown(() => parseLayerDefinition("name: x\nrequirements: req-link.txt\n", "layers/x/layer.yaml", dir))
        .where,
    ).toBe("layers/x/layer.yaml: requirements");
    expect(parse(dir).sourcePath).toBe(join(dir, "src"));
  });
});
