import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { pipConfigFingerprint, readHostPipConfig } from "../src/pip.ts";

/**
 * A machine with its own pip: a script that answers `pip config list` with the lines of the
 * user's pip.conf (as pip prints them) and counts each time it is asked.
 */
function machine() {
  const root = mkdtempSync(join(tmpdir(), "prebake-pipcfg-"));
  const bin = join(root, "bin");
  const home = join(root, "home");
  const userConf = join(home, ".config", "pip", "pip.conf");
  mkdirSync(bin, { recursive: true });
  mkdirSync(join(home, ".config", "pip"), { recursive: true });
  writeFileSync(
    join(bin, "pip"),
    `#!/bin/sh\necho x >> "${root}/asked"\n[ -f "${userConf}" ] && sed -n "s/^extra-index-url = \\(.*\\)/global.extra-index-url='\\1'/p" "${userConf}"\nexit 0\n`,
  );
  chmodSync(join(bin, "pip"), 0o755);
  const env: NodeJS.ProcessEnv = {
    PATH: `${bin}:/usr/bin:/bin`,
    HOME: home,
    XDG_CONFIG_DIRS: join(root, "xdg"),
  };
  const setIndex = (url: string) => writeFileSync(userConf, `[global]\nextra-index-url = ${url}\n`);
  const asked = () =>
    existsSync(join(root, "asked")) ? readFileSync(join(root, "asked"), "utf8").split("\n").length - 1 : 0;
  return { root, env, setIndex, asked };
}

describe("the machine's pip configuration", () => {
  it("is asked once, then remembered until a config file or a PIP_ variable changes", async () => {
    const m = machine();
    m.setIndex("file:///srv/a/simple");
    expect((await readHostPipConfig(m.root, m.env))?.extraIndexUrls).toEqual(["file:///srv/a/simple"]);
    expect((await readHostPipConfig(m.root, m.env))?.extraIndexUrls).toEqual(["file:///srv/a/simple"]);
    expect(m.asked()).toBe(1);

    m.setIndex("file:///srv/b/simple/");
    expect((await readHostPipConfig(m.root, m.env))?.extraIndexUrls).toEqual(["file:///srv/b/simple/"]);
    expect(m.asked()).toBe(2);

    await readHostPipConfig(m.root, { ...m.env, PIP_FIND_LINKS: "/srv/wheels" });
    expect(m.asked()).toBe(3);
  });

  it("notices a config file that appears where pip looks (global, site, PIP_CONFIG_FILE)", () => {
    const m = machine();
    const before = pipConfigFingerprint(m.root, m.env);
    mkdirSync(join(m.root, "xdg", "pip"), { recursive: true });
    writeFileSync(join(m.root, "xdg", "pip", "pip.conf"), "[global]\n");
    const withGlobal = pipConfigFingerprint(m.root, m.env);
    expect(withGlobal).not.toBe(before);
    // <prefix>/pip.conf of the pip's own installation (bin/..)
    writeFileSync(join(m.root, "pip.conf"), "[global]\n");
    expect(pipConfigFingerprint(m.root, m.env)).not.toBe(withGlobal);
    const other = join(m.root, "other.conf");
    expect(pipConfigFingerprint(m.root, { ...m.env, PIP_CONFIG_FILE: other })).not.toBe(
      pipConfigFingerprint(m.root, m.env),
    );
  });

  it("never writes down an index URL that carries credentials", async () => {
    const m = machine();
    m.setIndex("https://aws:s3cr3t-token@example.codeartifact/simple/");
    const cfg = await readHostPipConfig(m.root, m.env);
    expect(cfg?.extraIndexUrls).toEqual(["https://aws:s3cr3t-token@example.codeartifact/simple/"]);
    await readHostPipConfig(m.root, m.env);
    expect(m.asked()).toBe(2);
    expect(existsSync(join(m.root, ".prebake", "pip-config.json"))).toBe(false);
  });

  it("is undefined without pip or python3 on PATH", async () => {
    const root = mkdtempSync(join(tmpdir(), "prebake-pipcfg-"));
    expect(await readHostPipConfig(root, { PATH: join(root, "empty") })).toBeUndefined();
  });
});
