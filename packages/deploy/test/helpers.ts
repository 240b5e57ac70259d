/** Test helpers: throw-away projects on disk, a context with captured output, an extra moto_server. */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect, createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { PassThrough } from "node:stream";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import {
  type CloudFormationClient,
  DeleteChangeSetCommand,
  DeleteStackCommand,
  ListChangeSetsCommand,
} from "@aws-sdk/client-cloudformation";
import { type Context, createContext } from "@prebake/core";
import { stringify } from "yaml";
import { closedPort, reservePort } from "../../core/test/fault-tools.ts";

export const suffix = () => randomBytes(3).toString("hex");

const REPO = join(dirname(fileURLToPath(import.meta.url)), "../../..");
const run = promisify(execFile);

/** The prebake CLI (the repository's Node 24) in `cwd`, to its end; `env` adds to this process's. */
export const prebakeCli = (cwd: string, args: string[], env: NodeJS.ProcessEnv = {}) =>
  run(join(REPO, "node_modules/.bin/node"), [join(REPO, "packages/cli/bin/prebake.js"), ...args], {
    cwd,
    env: { ...process.env, ...env },
  }).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => e,
  );

/**
 * A template's IAM role that CodeBuild may assume, as a Resources entry (two-space indent); append
 * more of its Properties (e.g. Policies) at six spaces.
 */
export const codeBuildRole = (logicalId: string) => `  ${logicalId}:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: { Service: codebuild.amazonaws.com }
            Action: sts:AssumeRole
`;

export interface ProjectSpec {
  project: string;
  endpoint?: string;
  /** More keys of profiles.local (e.g. timeouts). */
  profile?: Record<string, unknown>;
  tags?: Record<string, string>;
  stacks?: Record<string, { parameters?: Record<string, string>; tags?: Record<string, string> }>;
  /** environments: in prebake.config.yaml, as written there. */
  environments?: Record<string, Record<string, unknown>>;
  templates: Record<string, string>;
  files?: Record<string, string>;
}

export interface TestProject {
  root: string;
  write(spec: Partial<ProjectSpec>): void;
  remove(): void;
}

/** A project folder with prebake.config.yaml and stacks/<name>/stack.yaml; write() rewrites parts of it. */
export function makeProject(spec: ProjectSpec): TestProject {
  const root = mkdtempSync(join(tmpdir(), "prebake-deploy-"));
  let current = spec;
  const write = (change: Partial<ProjectSpec>) => {
    current = { ...current, ...change };
    const local: Record<string, unknown> = {
      ...(current.endpoint ? { endpoint: current.endpoint } : {}),
      ...current.profile,
    };
    writeFileSync(
      join(root, "prebake.config.yaml"),
      stringify({
        project: current.project,
        profile: "local",
        profiles: { local },
        tags: current.tags ?? {},
        stacks: current.stacks ?? {},
        ...(current.environments ? { environments: current.environments } : {}),
      }),
    );
    for (const [name, body] of Object.entries(current.templates)) {
      mkdirSync(join(root, "stacks", name), { recursive: true });
      writeFileSync(join(root, "stacks", name, "stack.yaml"), body);
    }
    for (const [path, text] of Object.entries(current.files ?? {})) {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), text);
    }
  };
  write({});
  return { root, write, remove: () => rmSync(root, { recursive: true, force: true }) };
}

export interface CapturedContext {
  ctx: Context;
  /** Everything printed so far (stdout and stderr together). */
  text(): string;
}

export function captureContext(root: string, environment?: string): CapturedContext {
  let text = "";
  const sink = new PassThrough();
  sink.on("data", (chunk: Buffer) => {
    text += chunk.toString();
  });
  const ctx = createContext({
    cwd: root,
    env: {},
    environment,
    stdout: sink,
    stderr: sink,
    tty: false,
    verbose: true,
  });
  // Output.error writes to process.stderr when not under --json; capture it with the rest.
  ctx.out.error = (message: string) => {
    text += `error: ${message}\n`;
  };
  return { ctx, text: () => text };
}

/** A closed local port: nothing listens there (see closedPort). */
export const closedPortEndpoint = async () => `http://127.0.0.1:${await closedPort()}`;

export interface ExtraMoto {
  endpoint: string;
  port: number;
  /** The emulator's process: SIGSTOP it to hang it, SIGKILL it to take it away. */
  pid: number;
  stop(): Promise<void>;
}

const FIXTURE = join(dirname(fileURLToPath(import.meta.url)), "fixtures", "moto_with_rollback.py");

/**
 * A second moto_server on a free port: the rollback-emulating wrapper (see the fixture's
 * docstring), optionally with moto's own credential checking switched on.
 */
export async function startMoto(env: Record<string, string> = {}): Promise<ExtraMoto> {
  const reserved = await reservePort();
  const port = reserved.port;
  await reserved.release(); // held from the OS until this moment: moto binds it next
  const child: ChildProcess = spawn("python", [FIXTURE, String(port)], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`moto fixture exited: ${stderr}`);
    try {
      await fetch(`${endpoint}/moto-api/`);
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`moto fixture did not start: ${stderr}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return {
    endpoint,
    port,
    pid: child.pid!,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGCONT"); // a stopped process takes SIGTERM only once it runs again
        child.kill("SIGTERM");
      }),
  };
}

export interface Tap {
  /** The endpoint prebake is given: it forwards every byte to the current target. */
  endpoint: string;
  /** Forward new connections to another port (an emulator started again). */
  retarget(port: number): void;
  /** Run `hook` once, just before forwarding the first request whose bytes match `pattern`. */
  once(pattern: RegExp, hook: () => void): void;
  close(): Promise<void>;
}

/**
 * A TCP tap in front of an emulator: a fault test uses it to act at an exact step of a deploy
 * (e.g. stop the emulator when ExecuteChangeSet goes out), and to keep one endpoint across a
 * restart. It only forwards bytes; every answer is the emulator's own.
 */
export async function startTap(targetPort: number): Promise<Tap> {
  let target = targetPort;
  const hooks: { pattern: RegExp; hook: () => void }[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(target, "127.0.0.1");
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
      s.on("error", () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.on("data", (chunk: Buffer) => {
      const text = chunk.toString("latin1");
      for (const h of hooks.filter((x) => x.pattern.test(text))) {
        hooks.splice(hooks.indexOf(h), 1);
        h.hook();
      }
      upstream.write(chunk);
    });
    client.on("end", () => upstream.end());
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    retarget: (p) => {
      target = p;
    },
    once: (pattern, hook) => hooks.push({ pattern, hook }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * Delete the stacks a test made, and their change sets: moto keeps executed change sets after
 * their stack is gone (AWS removes them), and lists every change set whatever StackName says.
 */
export async function deleteStacks(client: CloudFormationClient, stackNames: string[]): Promise<void> {
  for (const stack of stackNames)
    await client.send(new DeleteStackCommand({ StackName: stack })).catch(() => {});
  const all = await client
    .send(new ListChangeSetsCommand({ StackName: stackNames[0] ?? "none" }))
    .catch(() => undefined);
  for (const cs of all?.Summaries ?? []) {
    if (cs.StackName && stackNames.includes(cs.StackName)) {
      await client.send(new DeleteChangeSetCommand({ ChangeSetName: cs.ChangeSetId })).catch(() => {});
    }
  }
}
