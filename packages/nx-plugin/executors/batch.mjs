// Plain JavaScript on purpose: see prebake.mjs.
import { enableCompileCache } from "node:module";

enableCompileCache();

export default async function* prebakeBatch(taskGraph, inputs, overrides, context) {
  const { default: batch } = await import("../src/executor/batch.ts");
  yield* batch(taskGraph, inputs, overrides, context);
}
