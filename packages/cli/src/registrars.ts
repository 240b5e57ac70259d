import { registerCodeBuildCommands } from "@prebake/codebuild";
import type { CommandRegistrar } from "@prebake/core";
import { registerDeployCommands } from "@prebake/deploy";
import { registerImageCommands } from "@prebake/images";
import { registerLayerCommands } from "@prebake/layers";
import { registerReportCommands } from "@prebake/report";
import { registerStackCommands } from "@prebake/stack";
import { registerSummaryCommand } from "./summary.ts";

/** Every package's commands, in the order `prebake --help` lists them. */
export const registrars: CommandRegistrar[] = [
  registerStackCommands,
  registerImageCommands,
  registerLayerCommands,
  registerDeployCommands,
  registerCodeBuildCommands,
  registerSummaryCommand,
  registerReportCommands,
];
