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
import { type Context, createContext } from "@prebake/core";
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

describe("--update-functions waits for Lambda's function updates", () => {
  it("moves two functions to each new version, publishing again at once, and returns when they are updated", async () => {
    const v1 = await publish(false);
    await createFunction("fu-a", [v1.layerVersionArn]);
    await createFunction("fu-b", [otherLayerArn, v1.layerVersionArn]);

    const v2 = await publish(true);
    expect(v2.version).toBe(2);
    expect([...v2.updatedFunctions].sort()).toEqual(["fu-a", "fu-b"]);
    // Returned only once both updates finished (Lambda: LastUpdateStatus Successful).
    expect(await functionState("fu-a")).toEqual({ layers: [v2.layerVersionArn], status: "Successful" });

    // Again at once: without the waits, fu-a's update would still be in progress (ResourceConflictException).
    const v3 = await publish(true);
    expect(v3.version).toBe(3);
    expect([...v3.updatedFunctions].sort()).toEqual(["fu-a", "fu-b"]);
    expect(await functionState("fu-a")).toEqual({ layers: [v3.layerVersionArn], status: "Successful" });
    // The other layer keeps its place in front.
    expect(await functionState("fu-b")).toEqual({
      layers: [otherLayerArn, v3.layerVersionArn],
      status: "Successful",
    });
  });

  it("waits for an update someone else started (a deploy of the function) before its own", async () => {
    const current = await publish(false);
    await createFunction("fu-c", [current.layerVersionArn]);
    await lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: "fu-c", MemorySize: 256 }));
    expect((await functionState("fu-c")).status).toBe("InProgress");

    const next = await publish(true);
    expect(next.updatedFunctions).toContain("fu-c");
    expect(await functionState("fu-c")).toEqual({ layers: [next.layerVersionArn], status: "Successful" });
  });
});
