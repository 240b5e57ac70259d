export * from "./aws.ts";
export * from "./command.ts";
export * from "./config.ts";
export * from "./context.ts";
export * from "./docker.ts";
export * from "./errors.ts";
export * from "./output.ts";
export * from "./paths.ts";
