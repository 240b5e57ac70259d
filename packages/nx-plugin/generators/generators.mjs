// Plain JavaScript, like the executors' shims (executors/prebake.mjs says why): Node strips the
// generators' types itself, so Nx's TypeScript hooks stay out of the way.
export async function app(tree, options) {
  return (await import("../src/generators/app/generator.ts")).default(tree, options);
}

export async function layer(tree, options) {
  return (await import("../src/generators/layer/generator.ts")).default(tree, options);
}

export async function image(tree, options) {
  return (await import("../src/generators/image/generator.ts")).default(tree, options);
}

export async function stack(tree, options) {
  return (await import("../src/generators/stack/generator.ts")).default(tree, options);
}
