import type { CommandRegistrar, Output } from "@prebake/core";
import { shortDigest } from "@prebake/images/digest";
import type { EnvironmentStatus, ImageStatus } from "./environment-status.ts";

const short = (digest: string | undefined) => (digest ? shortDigest(digest) : "-");

function deployedCell(i: ImageStatus): string {
  if (i.deployed === undefined) return "-";
  if (!i.deployedDigest) return i.deployed;
  return `${short(i.deployedDigest)}${i.promotedFrom ? ` (promoted from ${i.promotedFrom})` : ""}`;
}

/** The three tables: images, stacks, layers. */
export function printStatus(out: Output, s: EnvironmentStatus): void {
  out.step(`environment ${s.environment} (profile ${s.profile}, ${s.region})`);
  out.info("images");
  out.table(
    ["stack", "parameter", "image", "deployed", "newest pushed", "state"],
    s.images.map((i) => [
      i.stack,
      i.parameter,
      i.image,
      deployedCell(i),
      i.newest ? `${short(i.newest.digest)} (${i.newest.version})` : "-",
      i.state,
    ]),
  );
  out.info("stacks");
  out.table(
    ["stack", "name", "status", "drift against the rendered template"],
    s.stacks.map((x) => [
      x.stack,
      x.stackName,
      x.status,
      x.problem
        ? `cannot compare: ${x.problem}`
        : x.drift.join("; ") || (x.status === "NOT_DEPLOYED" ? "-" : "none"),
    ]),
  );
  out.info("layers");
  out.table(
    ["layer", "arch", "newest", "this checkout", "used by"],
    s.layers.map((l) => [
      l.layerName,
      l.arch,
      l.newest === undefined ? "not published" : `v${l.newest}`,
      l.recorded === undefined ? "-" : `v${l.recorded}`,
      l.usedBy.map((u) => `${u.functionName} v${u.version}`).join(", ") || "-",
    ]),
  );
}

/** `prebake status [--env <env>]`. */
export const registerStatusCommand: CommandRegistrar = (program, getContext) => {
  program
    .command("status")
    .summary(
      "where an environment stands: images deployed vs pushed, stack drift, layer versions (read-only)",
    )
    .description(
      "one report for the environment (--env, or the profile's default one): for each image parameter of each " +
        "stack, the digest deployed, the newest pushed for its version line, and where the digest came from " +
        "(promoted from another environment); for each stack, its CloudFormation status and the drift of " +
        "template, parameters and tags against what `prebake deploy` would send now; for each layer, the newest " +
        "published version, this checkout's and the versions Lambda functions use. Only read-only AWS calls " +
        "(Describe*, Get*, List*) and registry lookups.",
    )
    .addHelpText(
      "after",
      "\nExamples:\n  prebake status\n  prebake --env dev status\n  PREBAKE_ENV=prod prebake status --json\n" +
        "\nExit codes: 0 the report was made (drift is reported, not an error), 3 unknown environment or bad\n" +
        "configuration, 5 AWS or the registry unreachable, 6 credentials rejected or not for the environment's account.",
    )
    .action(async () => {
      const { environmentStatus } = await import("./environment-status.ts");
      const ctx = getContext();
      const status = await environmentStatus(ctx);
      printStatus(ctx.out, status);
      ctx.out.result(status);
    });
};
