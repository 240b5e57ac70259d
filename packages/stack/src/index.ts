// The public API of @prebake/stack: the template model and builder, the YAML reader/writer,
// Metadata.Prebake, parameter constraints, render and lint. (Which stacks exist, and their
// CloudFormation names, are @prebake/core's: listStacks, cloudFormationStackName.)
// A deployed stack (exists, status, parameters, outputs, template) is read through the
// "@prebake/stack/deployed" entry, so that importing the template model does not load the CloudFormation SDK.
export { type ResourceHandle, TemplateBuilder } from "./builder.ts";
export { CFN_LINT_PIN, cfnLintVersion, NO_CFN_LINT, requiredCfnLintVersion } from "./cfn-lint-version.ts";
export { registerStackCommands } from "./cli.ts";
export {
  And,
  asIntrinsic,
  Base64,
  Cidr,
  Condition,
  Equals,
  FindInMap,
  GetAtt,
  GetAZs,
  If,
  ImportValue,
  INTRINSIC_TAGS,
  type Intrinsic,
  type IntrinsicName,
  Join,
  Not,
  Or,
  PSEUDO_PARAMETERS,
  Ref,
  Select,
  Split,
  Sub,
} from "./intrinsics.ts";
export {
  formatFinding,
  type LintFinding,
  type LintOptions,
  type LintResult,
  lintPassedMarker,
  lintTemplate,
  lintTemplates,
  requireCfnLint,
  runCfnLint,
} from "./lint.ts";
export {
  defineTemplate,
  type Output,
  type Parameter,
  type PrebakeMetadata,
  type Resource,
  type ResourceAttributes,
  type ResourcePropertyTypes,
  resource,
  type Template,
  type Value,
} from "./model.ts";
export { isNoEcho, type ParameterProblem, parameterProblem, validateParameterValues } from "./parameters.ts";
export {
  parseTemplate,
  readStackTemplate,
  readTemplate,
  type StackTemplate,
  templateMetadata,
  validatePrebakeMetadata,
} from "./read.ts";
export { checkStack, loadStackSource, type RenderResult, renderStack, renderStackText } from "./render.ts";
export { validateTemplate } from "./validate.ts";
export { cloudFormationTags, emitYaml, parseYaml } from "./yaml.ts";
