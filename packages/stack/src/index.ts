export * from "./cli.ts";
export * from "./intrinsics.ts";
export * from "./lint.ts";
export * from "./model.ts";
export * from "./render.ts";
export * from "./validate.ts";
export * from "./yaml.ts";
