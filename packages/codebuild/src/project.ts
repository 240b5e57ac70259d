import { ConfigError, type Context, cloudFormationStackName } from "@prebake/core";
import {
  defaultVersionFor,
  imagesDir,
  loadImageDefinition,
  pullPushedImage,
  resolvePushedImage,
} from "@prebake/images";
import { asIntrinsic, readStackTemplate } from "@prebake/stack";

/** What the local runner needs of a CodeBuild project in a rendered stack. */
export interface ProjectSettings {
  project: string;
  buildspec: string;
  /** A literal image, or a plain parameter's value; undefined for an image project (see imageProject). */
  image: string | undefined;
  imageSource: string;
  /** The image project an ImageParameters parameter names, and its default line for the profile. */
  imageProject: { name: string; version: string } | undefined;
  env: Record<string, string>;
  privileged: boolean;
  /** Environment.ComputeType (a literal or a parameter's value): what a build minute costs. */
  computeType: string | undefined;
  /** TimeoutInMinutes, when the template gives a number (CodeBuild's default otherwise). */
  timeoutMinutes: number | undefined;
}

/**
 * Read `<stack>/<LogicalId>` from stacks/<stack>/stack.yaml: its buildspec, environment variables
 * (parameter references resolved to the configured or default values), privileged mode, and its
 * image: a literal or parameter value, or the image project an ImageParameters parameter names
 * (resolveProjectImage turns that into the pushed, registry-confirmed uri).
 */
export function projectSettings(
  root: string,
  ref: string,
  profileKind: "local" | "aws",
  configParameters: Record<string, string> = {},
): ProjectSettings {
  const [stack, logicalId] = ref.split("/");
  if (!stack || !logicalId)
    throw new ConfigError(`'${ref}' is not <stack>/<LogicalId>`, {
      where: "--project",
      fix: "e.g. --project ci/HelloErlangAppProject",
    });
  const { template, where: shown, prebake } = readStackTemplate(root, stack);
  const resource = template.Resources[logicalId];
  if (resource?.Type !== "AWS::CodeBuild::Project") {
    const projects = Object.entries(template.Resources)
      .filter(([, r]) => r.Type === "AWS::CodeBuild::Project")
      .map(([id]) => `${stack}/${id}`);
    throw new ConfigError(`no CodeBuild project '${logicalId}'`, {
      where: shown,
      fix: `use one of: ${projects.join(", ")}`,
    });
  }
  const props = resource.Properties ?? {};
  const parameterValue = (name: string): string | undefined =>
    configParameters[name] ??
    (template.Parameters?.[name]?.Default === undefined
      ? undefined
      : String(template.Parameters[name]!.Default));
  const value = (v: unknown): string => {
    const fn = asIntrinsic(v);
    if (fn?.name === "Ref" && typeof fn.arg === "string") return parameterValue(fn.arg) ?? "";
    return typeof v === "string" || typeof v === "number" ? String(v) : "";
  };

  const source = props.Source as { BuildSpec?: string } | undefined;
  const environment = (props.Environment ?? {}) as {
    Image?: unknown;
    ComputeType?: unknown;
    PrivilegedMode?: boolean;
    EnvironmentVariables?: { Name: string; Value: unknown }[];
  };
  const env = Object.fromEntries(
    (environment.EnvironmentVariables ?? []).map((e) => [e.Name, value(e.Value)]),
  );

  let image: string | undefined;
  let imageSource = `${shown}: Resources.${logicalId}.Properties.Environment.Image`;
  const imageFn = asIntrinsic(environment.Image);
  const imageParam = imageFn?.name === "Ref" ? String(imageFn.arg) : undefined;
  const imageProjectName = imageParam ? prebake.ImageParameters[imageParam] : undefined;
  let imageProject: ProjectSettings["imageProject"];
  if (imageProjectName) {
    const version = defaultVersionFor(loadImageDefinition(imagesDir(root), imageProjectName), profileKind);
    imageProject = { name: imageProjectName, version };
    imageSource = `${shown}: Metadata.Prebake.ImageParameters.${imageParam} (${imageProjectName} ${version})`;
  } else {
    // A literal image, or a parameter that is not an image project's (its configured or default value).
    image = value(environment.Image) || undefined;
    if (image && imageParam) imageSource = `${shown}: Parameters.${imageParam}`;
  }
  return {
    project: `${stack}/${logicalId}`,
    buildspec: source?.BuildSpec ?? "buildspec.yml",
    image,
    imageSource,
    imageProject,
    env,
    privileged: environment.PrivilegedMode === true,
    computeType: value(environment.ComputeType) || undefined,
    timeoutMinutes: typeof props.TimeoutInMinutes === "number" ? props.TimeoutInMinutes : undefined,
  };
}

/**
 * The image a project runs in: for an image project, the pushed image @prebake/images confirms
 * in the registry (a stale dist/images record is refused, exit 9); before its first push, no
 * image, with the push to run as the source.
 */
export async function resolveProjectImage(
  ctx: Context,
  settings: ProjectSettings,
): Promise<{ image: string | undefined; imageSource: string }> {
  const project = settings.imageProject;
  if (!project) return { image: settings.image, imageSource: settings.imageSource };
  const pushed = await resolvePushedImage(ctx, project.name, project.version);
  // The engine runs it by the reference it reaches (the aws profile's ecrRegistry mapping applied).
  if (pushed) return { image: await pullPushedImage(ctx, pushed), imageSource: pushed.manifestFile };
  return {
    image: undefined,
    imageSource: `${project.name} ${project.version} (not pushed yet: prebake push ${project.name})`,
  };
}

/**
 * The physical name of `<stack>/<LogicalId>` once deployed as <project>-<stack> (its Name property);
 * in a named environment the stack is <project>-<environment>-<stack>.
 */
export function deployedProjectName(
  root: string,
  configProject: string,
  ref: string,
  environment?: string,
): string {
  const [stack, logicalId] = ref.split("/");
  if (!stack || !logicalId) {
    throw new ConfigError(`'${ref}' is not <stack>/<LogicalId> of a rendered stack`, {
      where: "project",
      fix: "e.g. ci/HelloErlangAppProject",
    });
  }
  const name = readStackTemplate(root, stack).template.Resources[logicalId]?.Properties?.Name;
  const fn = asIntrinsic(name);
  const text =
    typeof name === "string" ? name : fn?.name === "Sub" && typeof fn.arg === "string" ? fn.arg : undefined;
  if (!text)
    throw new ConfigError(`project ${logicalId} has no Name to start it by`, {
      where: `stacks/${stack}/stack.yaml`,
      fix: "give it a Name",
    });
  return text.replace("${AWS::StackName}", cloudFormationStackName(configProject, stack, environment));
}
