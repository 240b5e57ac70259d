/**
 * The local services' addresses are written once (packages/core/src/local-services.json) and read
 * twice: by core's config (the local profile's defaults) and by scripts/local-env/addresses.sh
 * (what local-env.sh starts and checks). Both readers must see the same addresses.
 */
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { DEFAULT_TIMEOUTS, parseConfig } from "@prebake/core";
import { describe, expect, it } from "vitest";
import LOCAL_SERVICES from "../../packages/core/src/local-services.json" with { type: "json" };

const repo = resolve(import.meta.dirname, "../..");

/** What addresses.sh sets, run by bash against the repository at `root`. */
function shellAddresses(root: string): { code: number; out: string } {
  try {
    const out = execFileSync(
      "bash",
      [
        "-c",
        `set -euo pipefail; REPO_ROOT=${JSON.stringify(root)}; source ${JSON.stringify(join(repo, "scripts/local-env/addresses.sh"))}; ` +
          'printf "%s\\n" "$REGISTRY_ADDR" "$REGISTRY_HOST" "$REGISTRY_PORT" "$MOTO_URL" "$MOTO_HOST" "$MOTO_PORT" "$ECR_ADDR" "$ECR_PORT"',
      ],
      { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] },
    );
    return { code: 0, out };
  } catch (err) {
    const e = err as { status: number; stderr: string };
    return { code: e.status, out: e.stderr };
  }
}

describe("the local services' addresses", () => {
  it("are the same for local-env.sh and for core's local profile", () => {
    const { profile } = parseConfig("{}", "/repo/prebake.config.yaml", "/repo", { env: {} });
    expect(profile.endpoint).toBe(LOCAL_SERVICES.awsEndpoint);
    expect(profile.registry).toBe(LOCAL_SERVICES.registry);
    expect(profile.timeouts).toEqual(DEFAULT_TIMEOUTS);
    const registryPort = LOCAL_SERVICES.registry.split(":")[1];
    const motoPort = new URL(LOCAL_SERVICES.awsEndpoint).port;
    const ecrPort = LOCAL_SERVICES.ecrStandin.split(":")[1];
    expect(shellAddresses(repo)).toEqual({
      code: 0,
      out: `${[LOCAL_SERVICES.registry, "127.0.0.1", registryPort, LOCAL_SERVICES.awsEndpoint, "127.0.0.1", motoPort, LOCAL_SERVICES.ecrStandin, ecrPort].join("\n")}\n`,
    });
  });

  it("a file the shell reader cannot read is one line and exit 5, not empty addresses", () => {
    const root = mkdtempSync(join(tmpdir(), "prebake-addresses-"));
    mkdirSync(join(root, "packages/core/src"), { recursive: true });
    cpSync(
      join(repo, "packages/core/src/local-services.json"),
      join(root, "packages/core/src/local-services.json"),
    );
    expect(shellAddresses(root).code).toBe(0);
    writeFileSync(join(root, "packages/core/src/local-services.json"), JSON.stringify(LOCAL_SERVICES));
    expect(shellAddresses(root)).toEqual({
      code: 5,
      out: expect.stringMatching(
        /^local-env: cannot read registry, awsEndpoint and ecrStandin from packages\/core\/src\/local-services\.json/,
      ),
    });
  });
});
