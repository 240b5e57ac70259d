/**
 * CloudFormation intrinsic functions, in the long JSON form CloudFormation itself uses
 * ({ "Fn::GetAtt": [...] }). The model is plain data, so a template is just an object;
 * the YAML layer (yaml.ts) prints and reads them as short-form tags (!GetAtt A.B).
 */
export type Intrinsic =
  | { Ref: string }
  | { "Fn::GetAtt": [string, string] | Intrinsic }
  | { "Fn::Sub": string | [string, Record<string, unknown>] }
  | { "Fn::Join": [string, unknown[] | Intrinsic] }
  | { "Fn::If": [string, unknown, unknown] }
  | { "Fn::Equals": [unknown, unknown] }
  | { "Fn::Select": [number | string | Intrinsic, unknown[] | Intrinsic] }
  | { "Fn::Split": [string, unknown] }
  | { "Fn::FindInMap": [unknown, unknown, unknown] }
  | { "Fn::ImportValue": unknown }
  | { "Fn::GetAZs": unknown }
  | { "Fn::Base64": unknown }
  | { "Fn::Cidr": [unknown, unknown, unknown] }
  | { "Fn::Not": [unknown] }
  | { "Fn::And": unknown[] }
  | { "Fn::Or": unknown[] }
  | { Condition: string };

/** Short tag name -> long-form key: the 17 functions of the CloudFormation docs, plus the language extensions. */
export const INTRINSIC_TAGS = {
  Ref: "Ref",
  GetAtt: "Fn::GetAtt",
  Sub: "Fn::Sub",
  Join: "Fn::Join",
  If: "Fn::If",
  Equals: "Fn::Equals",
  Select: "Fn::Select",
  Split: "Fn::Split",
  FindInMap: "Fn::FindInMap",
  ImportValue: "Fn::ImportValue",
  GetAZs: "Fn::GetAZs",
  Base64: "Fn::Base64",
  Cidr: "Fn::Cidr",
  Not: "Fn::Not",
  And: "Fn::And",
  Or: "Fn::Or",
  Condition: "Condition",
  // AWS::LanguageExtensions functions: read (and written back) so such templates round-trip too.
  Transform: "Fn::Transform",
  ToJsonString: "Fn::ToJsonString",
  Length: "Fn::Length",
} as const;

export type IntrinsicName = keyof typeof INTRINSIC_TAGS;

const LONG_TO_SHORT = new Map<string, IntrinsicName>(
  Object.entries(INTRINSIC_TAGS).map(([short, long]) => [long, short as IntrinsicName]),
);

/** If `value` is an intrinsic function call, its short name and argument. */
export function asIntrinsic(value: unknown): { name: IntrinsicName; arg: unknown } | undefined {
  if (!value || typeof value !== "object" || Array.isArray(value)) return undefined;
  const keys = Object.keys(value);
  if (keys.length !== 1) return undefined;
  const name = LONG_TO_SHORT.get(keys[0]!);
  if (!name) return undefined;
  const arg = (value as Record<string, unknown>)[keys[0]!];
  // `Condition: X` is only the intrinsic when it names a condition (a string).
  if (name === "Condition" && typeof arg !== "string") return undefined;
  return { name, arg };
}

export const Ref = (logicalId: string): Intrinsic => ({ Ref: logicalId });
export const GetAtt = (logicalId: string, attribute: string): Intrinsic => ({
  "Fn::GetAtt": [logicalId, attribute],
});
export const Sub = (template: string, variables?: Record<string, unknown>): Intrinsic => ({
  "Fn::Sub": variables ? [template, variables] : template,
});
export const Join = (delimiter: string, values: unknown[] | Intrinsic): Intrinsic => ({
  "Fn::Join": [delimiter, values],
});
export const If = (condition: string, whenTrue: unknown, whenFalse: unknown): Intrinsic => ({
  "Fn::If": [condition, whenTrue, whenFalse],
});
export const Equals = (a: unknown, b: unknown): Intrinsic => ({ "Fn::Equals": [a, b] });
export const Select = (index: number | string | Intrinsic, list: unknown[] | Intrinsic): Intrinsic => ({
  "Fn::Select": [index, list],
});
export const Split = (delimiter: string, source: unknown): Intrinsic => ({
  "Fn::Split": [delimiter, source],
});
export const FindInMap = (map: unknown, topKey: unknown, secondKey: unknown): Intrinsic => ({
  "Fn::FindInMap": [map, topKey, secondKey],
});
export const ImportValue = (name: unknown): Intrinsic => ({ "Fn::ImportValue": name });
export const GetAZs = (region: unknown = ""): Intrinsic => ({ "Fn::GetAZs": region });
export const Base64 = (value: unknown): Intrinsic => ({ "Fn::Base64": value });
export const Cidr = (ipBlock: unknown, count: unknown, cidrBits: unknown): Intrinsic => ({
  "Fn::Cidr": [ipBlock, count, cidrBits],
});
export const Not = (condition: unknown): Intrinsic => ({ "Fn::Not": [condition] });
export const And = (...conditions: unknown[]): Intrinsic => ({ "Fn::And": conditions });
export const Or = (...conditions: unknown[]): Intrinsic => ({ "Fn::Or": conditions });
export const Condition = (name: string): Intrinsic => ({ Condition: name });

export const PSEUDO_PARAMETERS = new Set([
  "AWS::AccountId",
  "AWS::NotificationARNs",
  "AWS::NoValue",
  "AWS::Partition",
  "AWS::Region",
  "AWS::StackId",
  "AWS::StackName",
  "AWS::URLSuffix",
]);
