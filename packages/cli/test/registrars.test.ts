import { Command } from "commander";
import { describe, expect, it } from "vitest";
import { commandOf, commandPackages, registrarsFor } from "../src/registrars.ts";

const noContext = () => {
  throw new Error("no command runs here");
};
const registered = (registrars: Awaited<ReturnType<typeof registrarsFor>>) => {
  const program = new Command();
  for (const register of registrars) register(program, noContext);
  return program.commands.map((c) => c.name());
};

describe("commands loaded on demand", () => {
  it("each package registers exactly the commands it is listed for, in help order", async () => {
    for (const p of commandPackages) expect(registered([await p.load()])).toEqual(p.commands);
    expect(registered(await registrarsFor([]))).toEqual(commandPackages.flatMap((p) => p.commands));
  });

  it("finds the command after global options, values included", () => {
    expect(commandOf(["deploy", "ci"])).toBe("deploy");
    expect(commandOf(["--profile", "aws", "--json", "deploy", "ci"])).toBe("deploy");
    expect(commandOf(["--config", "x.yaml", "-v", "layer", "publish", "common-utils"])).toBe("layer");
    expect(commandOf(["--profile=aws", "push", "erlang-otp"])).toBe("push");
    expect(commandOf(["--env", "dev", "deploy", "ci"])).toBe("deploy");
    expect(commandOf(["--env", "prod", "status", "--json"])).toBe("status");
    expect(commandOf(["--help"])).toBeUndefined();
  });

  it("loads only the running command's package; help and unknown commands load all", async () => {
    const deploy = ["deploy", "promote", "status", "destroy"];
    expect(registered(await registrarsFor(["--json", "deploy", "ci"]))).toEqual(deploy);
    expect(registered(await registrarsFor(["promote", "dev", "prod"]))).toEqual(deploy);
    expect(registered(await registrarsFor(["--env", "dev", "status"]))).toEqual(deploy);
    expect(registered(await registrarsFor(["summary", "--dir", "x"]))).toEqual(["summary"]);
    const all = commandPackages.flatMap((p) => p.commands);
    expect(registered(await registrarsFor(["--help"]))).toEqual(all);
    expect(registered(await registrarsFor(["frobnicate"]))).toEqual(all);
  });
});
