import { describe, expect, it } from "vitest";
import {
  argCost,
  batchArguments,
  indexArgs,
  indexSecrets,
  missingDistribution,
  parsePipConfigList,
  parsePipReport,
  pinnedRequirement,
  pipEnvironment,
  resolvePipIndex,
  targetArgs,
} from "../src/pip.ts";
import { manylinuxPlatforms, PYTHON_RUNTIMES } from "../src/runtimes.ts";

describe("batched pip installs", () => {
  const fixed = ["/opt/python-layer/bin/python", "-m", "pip", "install", "--target", "/layer/out/batch-000"];
  const fixedCost = fixed.reduce((n, a) => n + argCost(a), 0);

  it("keeps every batch's whole command line under the budget, in order, losing nothing", () => {
    const items = Array.from({ length: 5000 }, (_, i) => `package-${i}==1.${i}.0`);
    const max = 16 * 1024;
    const batches = batchArguments(items, fixed, max);
    expect(batches.length).toBeGreaterThan(1);
    expect(batches.flat()).toEqual(items);
    for (const b of batches)
      expect(fixedCost + b.reduce((n, a) => n + argCost(a), 0)).toBeLessThanOrEqual(max);
    // Batches are full: adding the next item would have crossed the budget.
    for (let i = 0; i < batches.length - 1; i++) {
      const size = fixedCost + batches[i]!.reduce((n, a) => n + argCost(a), 0);
      expect(size + argCost(batches[i + 1]![0]!)).toBeGreaterThan(max);
    }
  });

  it("never comes near Linux's 2 MiB ARG_MAX with the default budget, even for 100k requirements", () => {
    const items = Array.from(
      { length: 100_000 },
      (_, i) => `file:///opt/pypi/files/pkg_${i}-1.0-py3-none-any.whl#sha256=${"a".repeat(64)}`,
    );
    const batches = batchArguments(items, fixed);
    expect(batches.flat().length).toBe(100_000);
    for (const b of batches)
      expect(fixedCost + b.reduce((n, a) => n + argCost(a), 0)).toBeLessThanOrEqual(96 * 1024);
  });

  it("puts everything in one batch when it fits and refuses a requirement that cannot fit alone", () => {
    expect(batchArguments(["a==1", "b==2"], fixed)).toEqual([["a==1", "b==2"]]);
    expect(batchArguments([], fixed)).toEqual([]);
    expect(() => batchArguments(["x".repeat(500)], fixed, 400)).toThrow(
      /alone makes the pip command longer than 400 bytes/,
    );
  });
});

describe("pip target options", () => {
  it("lists manylinux2014 and every manylinux_2_x tag up to the runtime's glibc, nothing newer", () => {
    const tags = manylinuxPlatforms("x86_64", PYTHON_RUNTIMES["3.11"]!.glibc);
    expect(tags[0]).toBe("manylinux2014_x86_64");
    expect(tags).toContain("manylinux_2_17_x86_64");
    expect(tags).toContain("manylinux_2_26_x86_64");
    expect(tags).not.toContain("manylinux_2_27_x86_64");
    expect(manylinuxPlatforms("arm64", PYTHON_RUNTIMES["3.12"]!.glibc)).toContain("manylinux_2_34_aarch64");
    const args = targetArgs(PYTHON_RUNTIMES["3.12"]!, "arm64");
    expect(args).toEqual(
      expect.arrayContaining(["--implementation", "cp", "--python-version", "3.12", "--only-binary=:all:"]),
    );
  });

  it("reads the machine's pip configuration and turns index: local into mounts of the index folders", () => {
    const cfg = parsePipConfigList(
      ":env:.find-links='/opt/wheels'\nglobal.extra-index-url='file:///opt/pypi/simple file:///opt/pypi-more/simple'\nglobal.find-links='/opt/wheels'\n",
    );
    expect(cfg).toEqual({
      extraIndexUrls: ["file:///opt/pypi/simple", "file:///opt/pypi-more/simple"],
      findLinks: ["/opt/wheels"],
    });
    const idx = resolvePipIndex("local", "layer.yaml: index", () => cfg);
    expect(idx.indexUrl).toBe("file:///opt/pypi/simple");
    expect(idx.extraIndexUrls).toEqual(["file:///opt/pypi-more/simple"]);
    expect(idx.findLinks).toEqual(["/opt/wheels"]);
    expect(() =>
      resolvePipIndex("local", "layer.yaml: index", () => ({ extraIndexUrls: [], findLinks: [] })),
    ).toThrow(/names no index/);
    expect(resolvePipIndex("pypi", "x", () => undefined).indexUrl).toBe("https://pypi.org/simple");
    expect(() => resolvePipIndex("relative/dir", "layer.yaml: index", () => undefined)).toThrow(
      /not pypi, local, a URL/,
    );
  });

  it("keeps an index URL's credentials for pip only: what is printed or written has none", () => {
    const url =
      "https://aws:eyJ2ZXIiOjF9.tok3n@acme-123.d.codeartifact.eu-west-1.amazonaws.com/pypi/r/simple/";
    const idx = resolvePipIndex(url, "layer.yaml: index", () => undefined);
    expect(idx.indexUrl).toBe(url); // pip needs them
    expect(idx.description).toBe("https://acme-123.d.codeartifact.eu-west-1.amazonaws.com/pypi/r/simple/");
    const local = resolvePipIndex("local", "layer.yaml: index", () => ({
      indexUrl: "https://u:p4ss@mirror.example/simple",
      extraIndexUrls: [],
      findLinks: [],
    }));
    expect(local.description).toBe("local (https://mirror.example/simple)");
    expect(() => resolvePipIndex("ftp://u:p4ss@x/simple", "layer.yaml: index", () => undefined)).toThrow(
      /index 'ftp:\/\/x\/simple' is not pypi/,
    );
  });

  it("parses pip's installation report and pins each wheel by URL with its hash", () => {
    const report = JSON.stringify({
      version: "1",
      install: [
        {
          metadata: { name: "pydantic_core", version: "2.46.5" },
          requested: false,
          download_info: {
            url: "file:///opt/pypi/files/pydantic_core.whl",
            archive_info: { hashes: { sha256: "ab".repeat(32) } },
          },
        },
      ],
    });
    const [d] = parsePipReport(report);
    expect(d).toMatchObject({ name: "pydantic_core", version: "2.46.5" });
    expect(pinnedRequirement(d!)).toBe(`file:///opt/pypi/files/pydantic_core.whl#sha256=${"ab".repeat(32)}`);
    expect(() => parsePipReport("not json")).toThrow(/not JSON/);
  });
});

describe("pip's no-wheel errors", () => {
  it("reads the requirement and the versions that do have a file for the target", () => {
    expect(
      missingDistribution([
        "ERROR: Could not find a version that satisfies the requirement pydantic-core==2.46.5 (from versions: none)",
        "ERROR: No matching distribution found for pydantic-core==2.46.5",
      ]),
    ).toEqual({ requirement: "pydantic-core==2.46.5", versions: "none" });
    expect(
      missingDistribution([
        "ERROR: Could not find a version that satisfies the requirement bcrypt==4.0.0 (from versions: 5.0.0)",
        "ERROR: No matching distribution found for bcrypt==4.0.0",
      ]),
    ).toEqual({ requirement: "bcrypt==4.0.0", versions: "5.0.0" });
    expect(
      missingDistribution(["ERROR: THESE PACKAGES DO NOT MATCH THE HASHES FROM THE REQUIREMENTS FILE."]),
    ).toBeUndefined();
  });
});

describe("the index pip sees: nothing unpinned, nothing in argv", () => {
  it("index: local with only find-links uses no index at all (PyPI beside the folders is dependency confusion)", () => {
    const idx = resolvePipIndex("local", "layer.yaml: index", () => ({
      extraIndexUrls: [],
      findLinks: ["file:///opt/wheels"],
    }));
    expect(idx.indexUrl).toBeUndefined();
    expect(indexArgs(idx)).toEqual(["--no-index", "--find-links", "file:///opt/wheels"]);
    const env = pipEnvironment(idx);
    expect(env).toMatchObject({ PIP_NO_INDEX: "1", PIP_FIND_LINKS: "file:///opt/wheels" });
    expect(JSON.stringify(env)).not.toContain("pypi.org");
  });

  it("puts a credentialed index URL in pip's environment, reads no pip configuration, and masks its parts", () => {
    const url = "https://aws:CANARY%2Ftok@domain-123.d.codeartifact.eu-west-1.amazonaws.com/pypi/r/simple/";
    const idx = resolvePipIndex(url, "layer.yaml: index", () => undefined);
    expect(pipEnvironment(idx)).toEqual({
      PIP_CONFIG_FILE: "/dev/null",
      PIP_NO_INPUT: "1",
      PIP_DISABLE_PIP_VERSION_CHECK: "1",
      PIP_INDEX_URL: url,
    });
    expect(indexSecrets(idx)).toEqual(["CANARY%2Ftok", "CANARY/tok", "aws"]);
    // The exact files a batch installs are argv: their URLs never carry the index's credentials.
    expect(
      pinnedRequirement({
        name: "six",
        version: "1.17.0",
        url: "https://aws:CANARY%2Ftok@domain-123.d.codeartifact.eu-west-1.amazonaws.com/pypi/r/simple/six/six-1.17.0-py2.py3-none-any.whl",
        sha256: "ab",
        requested: true,
      }),
    ).toBe(
      "https://domain-123.d.codeartifact.eu-west-1.amazonaws.com/pypi/r/simple/six/six-1.17.0-py2.py3-none-any.whl#sha256=ab",
    );
  });
});
