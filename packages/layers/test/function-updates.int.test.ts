/**
 * `layer publish --update-functions` against an emulator that updates functions the way Lambda does:
 * an update leaves the function InProgress for a while, and another update meanwhile is refused with
 * ResourceConflictException (fixtures/moto_lambda_updates.py, our own moto_server on a port the OS
 * assigns; the shared emulator is not touched). The zip is a tiny hand-made layer: this is about
 * publishing, not building.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CreateFunctionCommand,
  GetFunctionConfigurationCommand,
  LambdaClient,
  PublishLayerVersionCommand,
  UpdateFunctionConfigurationCommand,
} from "@aws-sdk/client-lambda";
import { type Context, createContext, DeployFailedError } from "@prebake/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BuiltLayer } from "../src/build.ts";
import { type LayerDefinition, parseLayerDefinition } from "../src/definition.ts";
import { publishLayer } from "../src/publish.ts";
import { deterministicZip } from "../src/zip.ts";
import { createLambdaRole, type ExtraMoto, startMotoFixture } from "./moto.ts";

/** Seconds an update stays InProgress in the fixture: longer than the gap between two publishes. */
const UPDATE_SECONDS = "1.5";
let moto: ExtraMoto;
let root: string;
let ctx: Context;
let def: LayerDefinition;
let built: BuiltLayer;
let role: string;
let lambda: LambdaClient;
let otherLayerArn: string;

async function createFunction(name: string, layers: string[]): Promise<void> {
  await lambda.send(
    new CreateFunctionCommand({
      FunctionName: name,
      Runtime: "python3.12",
      Role: role,
      Handler: "app.handler",
      Code: { ZipFile: Buffer.from("PK\x05\x06".padEnd(22, "\0"), "latin1") },
      Layers: layers,
    }),
  );
}

async function functionState(name: string) {
  const fn = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: name }));
  return { layers: fn.Layers?.map((l) => l.Arn), status: fn.LastUpdateStatus };
}

const publish = async (updateFunctions: boolean) =>
  (await publishLayer(ctx, def, [built], { force: true, updateFunctions }))[0]!;
/**
 * The same zip as a layer of its own name: a test whose functions and versions must not show up in
 * another test's counts (they run shuffled) publishes under its own name.
 */
const publishAs = async (name: string, updateFunctions: boolean) =>
  (
    await publishLayer(ctx, { ...def, name }, [{ ...built, name, layerName: name }], {
      force: true,
      updateFunctions,
    })
  )[0]!;
const publishOwn = (updateFunctions: boolean) => publishAs("fu-rev", updateFunctions);

beforeAll(async () => {
  moto = await startMotoFixture("moto_lambda_updates.py", [UPDATE_SECONDS]);
  root = await mkdtemp(join(tmpdir(), "prebake-fn-updates-"));
  const dir = join(root, "layers", "fu");
  await mkdir(join(dir, "stage", "python", "fu"), { recursive: true });
  await writeFile(join(dir, "stage", "python", "fu", "__init__.py"), "VALUE = 1\n");
  await writeFile(join(dir, "requirements.txt"), "");
  const yaml = "name: fu\nrequirements: requirements.txt\npythonVersions: ['3.12']\n";
  await writeFile(join(dir, "layer.yaml"), yaml);
  def = parseLayerDefinition(yaml, "layers/fu/layer.yaml", dir);
  const zip = await deterministicZip(join(dir, "stage"), join(root, "fu.zip"));
  built = {
    name: "fu",
    layerName: "fu",
    arch: "x86_64",
    pythonVersions: ["3.12"],
    zipPath: zip.path,
    sha256: zip.sha256,
    zippedBytes: zip.zippedBytes,
    unzippedBytes: zip.unzippedBytes,
    files: zip.files,
    slim: { beforeBytes: zip.unzippedBytes, afterBytes: zip.unzippedBytes, removedPaths: 0 },
    distributions: [],
    batches: 0,
    upToDate: false,
    durationMs: 0,
    inputsHash: "test",
  };
  ctx = createContext({ cwd: root, quiet: true, env: { PREBAKE_AWS_ENDPOINT: moto.endpoint } });
  lambda = ctx.aws(LambdaClient);
  watchPrebakesCalls(lambda);
  otherWriter = new LambdaClient({
    endpoint: moto.endpoint,
    region: ctx.config.profile.region,
    credentials: { accessKeyId: "other", secretAccessKey: "writer" },
  });
  role = await createLambdaRole(moto.endpoint, "fu-role");
  const other = await lambda.send(
    new PublishLayerVersionCommand({ LayerName: "other", Content: { ZipFile: await readFile(zip.path) } }),
  );
  otherLayerArn = other.LayerVersionArn!;
});

afterAll(async () => {
  await moto?.stop();
  if (root) await rm(root, { recursive: true, force: true });
});

/**
 * Another writer (a deploy of the function) acting at a chosen moment of prebake's calls: after
 * ListFunctions answered, or after prebake read a function just before updating it. A separate
 * client of the same emulator; prebake's own client only reports when its calls come back.
 */
let otherWriter: LambdaClient;
const after: { list?: () => Promise<void>; read?: (name: string) => Promise<void> } = {};

function watchPrebakesCalls(client: LambdaClient): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      const input = args.input as { FunctionName?: string };
      if (context.commandName === "ListFunctionsCommand" && after.list) await after.list();
      if (context.commandName === "GetFunctionConfigurationCommand" && after.read && input.FunctionName)
        await after.read(input.FunctionName);
      return result;
    },
    { step: "initialize", name: "otherWriterTiming" },
  );
}

describe("--update-functions writes only over what it read (RevisionId)", () => {
  it("keeps a layer another deploy added after ListFunctions (the old snapshot is not written back)", async () => {
    const current = await publishOwn(false);
    await createFunction("fu-d", [current.layerVersionArn]);
    after.list = async () => {
      after.list = undefined;
      await otherWriter.send(
        new UpdateFunctionConfigurationCommand({
          FunctionName: "fu-d",
          Layers: [current.layerVersionArn, otherLayerArn],
        }),
      );
    };
    const next = await publishOwn(true);
    expect(next.updatedFunctions).toContain("fu-d");
    expect(await functionState("fu-d")).toEqual({
      layers: [next.layerVersionArn, otherLayerArn],
      status: "Successful",
    });
  });

  it("a change between its read and its update is refused by Lambda; it starts once more from fresh state", async () => {
    const current = await publishOwn(false);
    await createFunction("fu-e", [current.layerVersionArn]);
    after.read = async (name) => {
      if (name !== "fu-e") return;
      after.read = undefined;
      await otherWriter
        .send(
          new UpdateFunctionConfigurationCommand({
            FunctionName: "fu-e",
            Layers: [current.layerVersionArn, otherLayerArn],
          }),
        )
        .catch(() => undefined); // the moment came too late to change anything: the test then fails below
    };
    const next = await publishOwn(true);
    expect(next.updatedFunctions).toContain("fu-e");
    // The other writer's layer is kept, and so is ours: the update was redone on the fresh state.
    expect(await functionState("fu-e")).toEqual({
      layers: [next.layerVersionArn, otherLayerArn],
      status: "Successful",
    });
  });

  it("a second conflict stops with exit 7, naming the function, and writes nothing of its own", async () => {
    const current = await publishOwn(false);
    await createFunction("fu-f", [current.layerVersionArn]);
    let changes = 0;
    after.read = async (name) => {
      if (name !== "fu-f" || changes >= 2) return;
      changes++;
      await otherWriter.send(
        new UpdateFunctionConfigurationCommand({ FunctionName: "fu-f", MemorySize: 256 + changes }),
      );
    };
    const err = await publishOwn(true).catch((e: unknown) => e);
    after.read = undefined;
    expect(err).toBeInstanceOf(DeployFailedError);
    expect((err as DeployFailedError).toLine()).toMatch(
      /^Lambda function fu-f: function fu-f changed again while its layers were being updated \((PreconditionFailed|ResourceConflict)Exception\); nothing of ours was written/,
    );
    const fn = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: "fu-f" }));
    expect(fn.MemorySize).toBe(258);
    expect(fn.Layers?.map((l) => l.Arn)).toEqual([current.layerVersionArn]);
  });
});

describe("--update-functions waits for Lambda's function updates", () => {
  it("moves two functions to each new version, publishing again at once, and returns when they are updated", async () => {
    const v1 = await publish(false);
    await createFunction("fu-a", [v1.layerVersionArn]);
    await createFunction("fu-b", [otherLayerArn, v1.layerVersionArn]);

    const v2 = await publish(true);
    expect(v2.version).toBe(v1.version + 1); // each publish is one new version (whatever ran before)
    expect([...v2.updatedFunctions].sort()).toEqual(["fu-a", "fu-b"]);
    // Returned only once both updates finished (Lambda: LastUpdateStatus Successful).
    expect(await functionState("fu-a")).toEqual({ layers: [v2.layerVersionArn], status: "Successful" });

    // Again at once: without the waits, fu-a's update would still be in progress (ResourceConflictException).
    const v3 = await publish(true);
    expect(v3.version).toBe(v2.version + 1);
    expect([...v3.updatedFunctions].sort()).toEqual(["fu-a", "fu-b"]);
    expect(await functionState("fu-a")).toEqual({ layers: [v3.layerVersionArn], status: "Successful" });
    // The other layer keeps its place in front.
    expect(await functionState("fu-b")).toEqual({
      layers: [otherLayerArn, v3.layerVersionArn],
      status: "Successful",
    });
  });

  it("waits for an update someone else started (a deploy of the function) before its own", async () => {
    const publish = (updateFunctions: boolean) => publishAs("fu-wait", updateFunctions);
    const current = await publish(false);
    await createFunction("fu-c", [current.layerVersionArn]);
    await lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: "fu-c", MemorySize: 256 }));
    expect((await functionState("fu-c")).status).toBe("InProgress");

    const next = await publish(true);
    expect(next.updatedFunctions).toContain("fu-c");
    expect(await functionState("fu-c")).toEqual({ layers: [next.layerVersionArn], status: "Successful" });
  });
});
