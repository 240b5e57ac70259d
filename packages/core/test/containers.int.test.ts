import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import Docker from "dockerode";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ContainerRuntime, ExitCode, pendingCleanups, runCleanups, UnavailableError } from "../src/index.ts";
import { containersOf, FreezableSocketProxy } from "./fault-tools.ts";

// The runtime against the real engine (prebake/debian:bookworm is built by scripts/local-env.sh up).
const IMAGE = "prebake/debian:bookworm";
const docker = new Docker({ socketPath: "/var/run/docker.sock" });
const warnings: string[] = [];
const runtime = new ContainerRuntime(docker, "/var/run/docker.sock", { warn: (w) => warnings.push(w) });
const spec = (cmd: string[]) => ({ image: IMAGE, namePrefix: "prebake-test-runtime", cmd });

const exists = async (name: string) =>
  docker
    .getContainer(name)
    .inspect()
    .then(
      () => true,
      () => false,
    );

afterEach(() => {
  expect(containersOf(process.pid)).toEqual([]); // nothing of this process is ever left
  expect(pendingCleanups()).toBe(0); // and every cleanup was forgotten once done
});

describe("run-to-completion containers", () => {
  it("streams stdout and stderr as lines, returns the exit code, and is removed", async () => {
    const c = await runtime.create(spec(["sh", "-c", "echo one; echo two >&2; printf 'no newline'; exit 3"]));
    expect(pendingCleanups()).toBe(1); // registered while it exists
    const lines: string[] = [];
    const result = await c.run((l) => lines.push(l));
    expect(result).toEqual({ exitCode: 3, timedOut: false });
    expect(lines.sort()).toEqual(["no newline", "one", "two"]);
    await c.remove();
    expect(await exists(c.name)).toBe(false);
  });

  it("a start that fails removes the container and rethrows the engine's error", async () => {
    const c = await runtime.create(spec(["/no/such/shell"]));
    const err = await c.run(() => {}).catch((e: unknown) => e);
    expect(String((err as Error).message)).toMatch(/no such file|executable file not found/);
    expect(await exists(c.name)).toBe(false);
  });

  it("is killed at its time limit, and says so", async () => {
    const c = await runtime.create(spec(["sleep", "60"]));
    try {
      const started = Date.now();
      expect(await c.run(() => {}, { timeoutMs: 1500 })).toEqual({ exitCode: 137, timedOut: true });
      expect(Date.now() - started).toBeLessThan(30_000);
    } finally {
      await c.remove();
    }
  });

  it("copies files in and out, and tells whether a path exists", async () => {
    const c = await runtime.create(spec(["sh", "-c", "cat /in/hello.txt > /out.txt"]));
    try {
      const dir = mkdtempSync(join(tmpdir(), "prebake-runtime-"));
      mkdirSync(join(dir, "in"));
      writeFileSync(join(dir, "in", "hello.txt"), "hello from the host\n");
      await c.putArchive(Readable.from([spawnSync("tar", ["-c", "-C", dir, "in"]).stdout]), "/");
      expect(await c.hasPath("/in/hello.txt")).toBe(true);
      expect(await c.hasPath("/no/such/path")).toBe(false);
      await c.run(() => {});
      const chunks: Buffer[] = [];
      await c.copyOut("/out.txt", async (t) => {
        for await (const chunk of t) chunks.push(Buffer.from(chunk));
      });
      expect(Buffer.concat(chunks).toString("latin1")).toContain("hello from the host");
    } finally {
      await c.remove();
    }
  });
});

describe("long-lived containers", () => {
  it("runs each command as an exec: stdout kept whole, lines of both streams, exit codes", async () => {
    const c = await runtime.startLongLived({ image: IMAGE, namePrefix: "prebake-test-runtime" });
    try {
      const lines: string[] = [];
      const ok = await c.exec(["sh", "-c", "echo '{\"a\": 1}'; echo warn >&2"], (l) => lines.push(l));
      expect(ok.exitCode).toBe(0);
      expect(ok.stdout).toBe('{"a": 1}\n');
      expect(lines.sort()).toEqual(["warn", '{"a": 1}']);
      const failed = await c.exec(["sh", "-c", "echo boom >&2; exit 7"]);
      expect(failed).toMatchObject({ exitCode: 7, tail: ["boom"] });
    } finally {
      await c.remove();
    }
    expect(await exists(c.name)).toBe(false);
  });
});

describe("cleanup on signals", () => {
  it("a cleanup run while the create request is in flight waits for it, then removes the container", async () => {
    const creating = runtime.create(spec(["sleep", "60"]));
    expect(pendingCleanups()).toBe(1); // registered before the engine was even asked
    await runCleanups(); // what SIGINT/SIGTERM/SIGHUP do
    const c = await creating.catch(() => undefined);
    if (c) expect(await exists(c.name)).toBe(false);
    await c?.remove(); // idempotent after the signal's cleanup
  });

  it("a cleanup removes a running long-lived container", async () => {
    const c = await runtime.startLongLived({ image: IMAGE, namePrefix: "prebake-test-runtime" });
    const running = c.exec(["sleep", "60"]).catch((e: unknown) => e);
    await runCleanups();
    expect(await exists(c.name)).toBe(false);
    await running;
  });
});

describe("volumes", () => {
  it("a named volume is created with its labels, kept across containers, created again as a no-op, and removed", async () => {
    const name = `prebake-test-volume-${process.pid}-${Date.now()}`;
    await runtime.ensureVolume(name, { "prebake.test": "volume" });
    await runtime.ensureVolume(name, { "prebake.test": "volume" }); // exists: left as it is
    try {
      expect((await docker.getVolume(name).inspect()).Labels).toEqual({ "prebake.test": "volume" });
      // No network needed (and none used): the volume is what is tested.
      const mounted = { binds: [`${name}:/v`], networkMode: "none" };
      const write = await runtime.create({ ...spec(["sh", "-c", "echo kept > /v/file"]), ...mounted });
      expect((await write.run(() => undefined)).exitCode).toBe(0);
      await write.remove();
      const lines: string[] = [];
      const read = await runtime.create({ ...spec(["cat", "/v/file"]), ...mounted });
      await read.run((l) => lines.push(l));
      await read.remove();
      expect(lines).toEqual(["kept"]);
    } finally {
      await runtime.removeVolume(name);
    }
    await expect(docker.getVolume(name).inspect()).rejects.toThrow();
    await runtime.removeVolume(name); // gone already: fine
  });
});

describe("images", () => {
  it("knows whether the engine has an image; a pull that fails rejects with the engine's message", async () => {
    expect(await runtime.imageExists(IMAGE)).toBe(true);
    expect(await runtime.imageId(IMAGE)).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(await runtime.imageExists("prebake-test/never-built:none")).toBe(false);
    await expect(runtime.pullImage("127.0.0.1:5050/prebake-test/never-pushed:none")).rejects.toThrow(
      /manifest unknown|not found/i,
    );
  });

  it("an engine that does not answer is an error, not 'no such image'", async () => {
    const nowhere = new ContainerRuntime(
      new Docker({ socketPath: "/nonexistent/docker.sock" }),
      "/nonexistent",
    );
    const err = await nowhere.imageExists(IMAGE).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnavailableError);
    expect((err as UnavailableError).toLine()).toContain("Docker engine /nonexistent");
  });
});

describe("a hung engine", () => {
  const proxy = new FreezableSocketProxy();
  let hung: ContainerRuntime;
  beforeAll(async () => {
    await proxy.start();
    hung = new ContainerRuntime(new Docker({ socketPath: proxy.path }), proxy.path, {
      // Short enough to prove the deadline (the default is 60 s), long enough that a busy engine
      // still starts a container in time.
      timeouts: { callMs: 5000, heartbeatMs: 300 },
    });
  });
  afterAll(async () => {
    await proxy.stop();
  });

  it("an exec that runs when the engine stops answering ends in exit 5 naming the engine", async () => {
    const c = await hung.startLongLived({ image: IMAGE, namePrefix: "prebake-test-runtime" });
    try {
      const running = hung.docker.getContainer(c.name);
      expect((await running.inspect()).State.Running).toBe(true);
      const exec = c.exec(["sleep", "60"]).catch((e: unknown) => e);
      // Freeze only once the command runs (asked of the engine directly, not through the proxy):
      // on a loaded machine a fixed wait could freeze the exec's create instead.
      await expect
        .poll(async () => JSON.stringify((await docker.getContainer(c.name).top()).Processes), {
          timeout: 30_000,
        })
        .toContain("sleep 60");
      proxy.freeze();
      const started = Date.now();
      const err = await exec;
      expect(Date.now() - started).toBeLessThan(20_000); // far below the sleep's 60 s
      expect(err).toBeInstanceOf(UnavailableError);
      expect((err as UnavailableError).exitCode).toBe(ExitCode.UNAVAILABLE);
      expect((err as UnavailableError).toLine()).toMatch(
        new RegExp(
          `^Docker engine ${proxy.path}: the Docker engine did not answer a ping while running sleep`,
        ),
      );
    } finally {
      proxy.thaw();
      await c.remove();
    }
  });

  it("a create the engine never answers ends in exit 5, and its cleanup is not left registered", async () => {
    proxy.freeze();
    try {
      const err = await hung.create(spec(["true"])).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UnavailableError);
      expect((err as UnavailableError).message).toMatch(
        /did not answer creating container prebake-test-runtime-/,
      );
    } finally {
      proxy.thaw();
    }
    // The engine may still create it once thawed: the runtime's removal ran after the deadline, so
    // look again after the parked request went through, and remove what it made.
    await new Promise((ok) => setTimeout(ok, 1000));
    for (const id of containersOf(process.pid)) await docker.getContainer(id).remove({ force: true });
  });
});
