export * from "./buildspec.ts";
export * from "./cli.ts";
export * from "./driver.ts";
export * from "./environment.ts";
export * from "./phases.ts";
export * from "./project.ts";
export * from "./remote.ts";
export * from "./runner.ts";
