/**
 * The prepare step: everything that can be checked without CloudFormation comes first, so bad
 * input touches nothing. The template (through @prebake/stack's reader), its size, cfn-lint,
 * every parameter value with its source, the tags and the capabilities.
 */
import { relative } from "node:path";
import { ConfigError, type Context, stackNameIn, ValidationError } from "@prebake/core";
import {
  formatFinding,
  lintTemplate,
  readStackTemplate,
  type StackTemplate,
  type Template,
} from "@prebake/stack";
import { requiredCapabilities } from "./capabilities.ts";
import { type ImageParameterValue, imageParameterSource, imageParameterValues } from "./image-parameters.ts";
import { type ResolvedParameter, resolveParameters } from "./parameters.ts";
import { MAX_S3_TEMPLATE_BYTES } from "./template-source.ts";

export interface PrepareOptions {
  /** --parameter Key=Value overrides (highest precedence). */
  parameters?: Record<string, string>;
  /**
   * The image parameters' values, already confirmed by the caller: a promotion's digests, or what a
   * protected environment runs. They replace this checkout's pushed images (dist/images).
   */
  images?: ImageParameterValue[];
  /** Tags that come with those images (a promotion's record of where each digest came from). */
  extraTags?: Record<string, string>;
  /** Run cfn-lint first (default true). */
  lint?: boolean;
}

/** A stack ready to send: what every later step works from. */
export interface PreparedDeploy {
  /** The folder name under stacks/. */
  name: string;
  /** The CloudFormation stack name, <project>-<name>. */
  stackName: string;
  /** stacks/<name>/stack.yaml, as messages show it. */
  where: string;
  body: string;
  template: Template;
  parameters: ResolvedParameter[];
  tags: Record<string, string>;
  capabilities: string[];
}

export async function prepare(
  ctx: Context,
  name: string,
  options: PrepareOptions = {},
): Promise<PreparedDeploy> {
  const { config, out } = ctx;
  const stack = readStackTemplate(config.rootDir, name);
  const stackName = stackNameIn(config, name);
  const size = Buffer.byteLength(stack.body);
  // Over 51,200 bytes the template goes through S3 (template-source.ts); CloudFormation reads at most 1 MB there.
  if (size > MAX_S3_TEMPLATE_BYTES) {
    throw new ConfigError(
      `template is ${size} bytes; CloudFormation takes at most ${MAX_S3_TEMPLATE_BYTES}`,
      {
        where: stack.where,
        fix: "split the stack into smaller ones (nested stacks or stacks that import each other's outputs)",
      },
    );
  }
  if (options.lint !== false) await lintOrRefuse(ctx, stack);
  const parameters = await stackParameters(ctx, stack, options);
  for (const p of parameters) out.debug(`parameter ${p.key} = ${p.noEcho ? "****" : p.value}  (${p.from})`);
  return {
    name,
    stackName,
    where: stack.where,
    body: stack.body,
    template: stack.template,
    parameters,
    tags: { ...options.extraTags, ...stackTags(ctx, name) },
    capabilities: requiredCapabilities(stack.template),
  };
}

/**
 * A stack's tags, later ones winning: the config's, the environment's, the stack's, the stack's in
 * the environment, then prebake's own. The implicit environment adds no tag, so an upgrade leaves
 * deployed stacks unchanged.
 */
function stackTags(ctx: Context, name: string): Record<string, string> {
  const { config } = ctx;
  const { environment } = config;
  return {
    ...config.tags,
    ...environment.tags,
    ...config.stacks[name]?.tags,
    ...environment.stacks[name]?.tags,
    "prebake:stack": name,
    ...(environment.implicit ? {} : { "prebake:environment": environment.name }),
  };
}

/** cfn-lint errors block the deploy (exit 4) before any AWS call; warnings are printed. */
async function lintOrRefuse(ctx: Context, stack: StackTemplate): Promise<void> {
  const { findings, cached } = await lintTemplate(ctx.config.rootDir, stack.file);
  for (const f of findings) if (f.level !== "error") ctx.out.warn(formatFinding(f));
  const errors = findings.filter((f) => f.level === "error");
  if (errors.length > 0) {
    for (const f of errors) ctx.out.error(formatFinding(f));
    const first = errors[0]!;
    throw new ValidationError(
      `cfn-lint found ${errors.length} error(s), first: ${first.rule}: ${first.message}`,
      {
        where: `${first.file}:${first.line}`,
        fix: "fix the stack source and render again (or --no-lint to deploy anyway)",
      },
    );
  }
  ctx.out.debug(`cfn-lint: passed${cached ? " (this template body passed before)" : ""}`);
}

/** Metadata.Prebake.ProjectParameter: the template parameter that gets the configuration's project. */
function projectParameterSource(stack: StackTemplate, shownConfig: string, project: string) {
  const parameter = stack.prebake.ProjectParameter;
  return {
    label: () => `${shownConfig}: project`,
    values: parameter ? { [parameter]: project } : {},
  };
}

/**
 * Parameters: --parameter > image manifest > the project (Metadata.Prebake.ProjectParameter) >
 * the environment's stacks.<name>.parameters > the config's stacks.<name>.parameters > template default.
 */
async function stackParameters(
  ctx: Context,
  stack: StackTemplate,
  options: PrepareOptions,
): Promise<ResolvedParameter[]> {
  const { config } = ctx;
  const shownConfig = config.configFile ? relative(config.rootDir, config.configFile) : "prebake.config.yaml";
  const configured = config.stacks[stack.name]?.parameters ?? {};
  const { environment } = config;
  const inEnvironment = environment.stacks[stack.name]?.parameters ?? {};
  // Pushed images are confirmed in the registry (a stale record is refused, exit 9) before any change set.
  const images = options.images ?? (await imageParameterValues(ctx, stack.template, stack.where));
  return resolveParameters(
    stack.template,
    stack.where,
    [
      { label: (k) => `--parameter ${k}`, values: options.parameters ?? {} },
      imageParameterSource(images),
      projectParameterSource(stack, shownConfig, config.project),
      {
        label: (k) => `${shownConfig}: environments.${environment.name}.stacks.${stack.name}.parameters.${k}`,
        values: inEnvironment,
      },
      { label: (k) => `${shownConfig}: stacks.${stack.name}.parameters.${k}`, values: configured },
    ],
    (key) =>
      `set stacks.${stack.name}.parameters.${key} in ${shownConfig}, or pass --parameter ${key}=<value>`,
  );
}
