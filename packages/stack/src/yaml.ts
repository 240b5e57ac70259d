import { firstLine } from "@prebake/core";
import {
  Document,
  isMap,
  isScalar,
  isSeq,
  type Node,
  parseDocument,
  Scalar,
  type Tags,
  YAMLMap,
  YAMLSeq,
} from "yaml";
import { asIntrinsic, INTRINSIC_TAGS, type IntrinsicName } from "./intrinsics.ts";
import type { Template } from "./model.ts";

/**
 * YAML with CloudFormation's short-form tags, both ways, on top of the `yaml` package.
 * Emitting: intrinsics ({ "Fn::GetAtt": [A, B] }) become tagged nodes (!GetAtt A.B).
 * Parsing: every short tag becomes the long form again, so parse(emit(x)) deep-equals x and
 * emit(parse(text)) gives back the same bytes for anything prebake rendered.
 */

/** CloudFormation's own order of top-level sections, then of resource attributes. */
const TOP_LEVEL_ORDER = [
  "AWSTemplateFormatVersion",
  "Description",
  "Metadata",
  "Transform",
  "Parameters",
  "Rules",
  "Mappings",
  "Conditions",
  "Resources",
  "Outputs",
];
const RESOURCE_ORDER = [
  "Type",
  "Condition",
  "DependsOn",
  "Metadata",
  "DeletionPolicy",
  "UpdateReplacePolicy",
  "Properties",
];

function ordered(obj: Record<string, unknown>, order: string[]): [string, unknown][] {
  const rank = (k: string) => {
    const i = order.indexOf(k);
    return i === -1 ? order.length : i;
  };
  // Array.prototype.sort is stable: keys outside `order` keep their authored order.
  return Object.entries(obj).sort(([a], [b]) => rank(a) - rank(b));
}

function toNode(doc: Document, value: unknown): Node {
  const fn = asIntrinsic(value);
  if (fn) return intrinsicNode(doc, fn.name, fn.arg);
  if (Array.isArray(value)) {
    const seq = new YAMLSeq(doc.schema);
    for (const item of value) seq.items.push(toNode(doc, item));
    return seq;
  }
  if (value && typeof value === "object") {
    const map = new YAMLMap(doc.schema);
    for (const [k, v] of Object.entries(value)) {
      if (v === undefined) continue;
      map.items.push(doc.createPair(k, toNode(doc, v)));
    }
    return map;
  }
  const node = doc.createNode(value) as Node;
  if (typeof value === "string" && isYaml11Ambiguous(value)) (node as Scalar).type = "QUOTE_DOUBLE";
  return node;
}

/**
 * Plain scalars that YAML 1.2 (our writer) keeps as strings but YAML 1.1 readers (cfn-lint's
 * PyYAML, and CloudFormation's own parser) read as something else: dates (2010-09-09), booleans
 * (on, yes, N), base-60 numbers (1:20), numbers with underscores (1_000), the merge key (<<)
 * and the value key (=). Quoting them keeps a string a string for every reader.
 */
const YAML11_AMBIGUOUS = [
  /^\d{4}-\d\d?-\d\d?([Tt ]|$)/,
  /^(y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/,
  /^[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?$/,
  /^[-+]?(0b[0-1_]+|0[0-7_]+|0x[0-9a-fA-F_]+|[0-9][0-9_]*|([0-9][0-9_]*)?\.[0-9_]*([eE][-+][0-9]+)?)$/,
  /^(<<|=)$/,
];

export function isYaml11Ambiguous(value: string): boolean {
  return YAML11_AMBIGUOUS.some((re) => re.test(value));
}

function intrinsicNode(doc: Document, name: IntrinsicName, arg: unknown): Node {
  if (asIntrinsic(arg)) {
    // A node carries one tag: `!ImportValue !Sub x` is not YAML, so the outer function is
    // written in long form around the inner short one (as CloudFormation's docs do).
    const map = new YAMLMap(doc.schema);
    map.items.push(doc.createPair(INTRINSIC_TAGS[name], toNode(doc, arg)));
    return map;
  }
  let node: Node;
  if (name === "GetAtt" && Array.isArray(arg) && arg.every((a) => typeof a === "string")) {
    node = new Scalar(arg.join(".")); // !GetAtt Resource.Attribute, the form everyone writes
  } else {
    node = toNode(doc, arg);
  }
  node.tag = `!${name}`;
  return node;
}

function templateToDocument(template: Template): Document {
  const doc = new Document(null, { version: "1.2" });
  const root = new YAMLMap(doc.schema);
  for (const [key, value] of ordered(template as unknown as Record<string, unknown>, TOP_LEVEL_ORDER)) {
    if (value === undefined) continue;
    if (key === "Resources" && value && typeof value === "object") {
      const resources = new YAMLMap(doc.schema);
      for (const [id, res] of Object.entries(value)) {
        const r = new YAMLMap(doc.schema);
        for (const [k, v] of ordered(res as Record<string, unknown>, RESOURCE_ORDER)) {
          if (v !== undefined) r.items.push(doc.createPair(k, toNode(doc, v)));
        }
        resources.items.push(doc.createPair(id, r));
      }
      root.items.push(doc.createPair(key, resources));
    } else {
      root.items.push(doc.createPair(key, toNode(doc, value)));
    }
  }
  doc.contents = root;
  return doc;
}

const STRINGIFY_OPTIONS = {
  lineWidth: 0, // never fold long strings: diffs stay one line per change
  indentSeq: true,
  defaultKeyType: "PLAIN",
  singleQuote: false,
} as const;

/** Emit a template (or any CloudFormation value) as YAML with short-form tags. */
export function emitYaml(template: Template): string {
  return templateToDocument(template).toString(STRINGIFY_OPTIONS);
}

/** Convert a parsed node's value to plain JS, for the tag resolvers below. */
function plain(node: unknown): unknown {
  if (isScalar(node)) return node.value;
  if (isSeq(node) || isMap(node)) return node.toJSON();
  return node;
}

function splitGetAtt(value: unknown): unknown {
  if (typeof value !== "string") return value;
  const dot = value.indexOf(".");
  return dot === -1 ? [value] : [value.slice(0, dot), value.slice(dot + 1)];
}

/** One resolver per (tag, node kind): `yaml` matches custom tags on both. */
export const cloudFormationTags: Tags = Object.entries(INTRINSIC_TAGS).flatMap(([short, long]) => {
  const wrap = (value: unknown) => ({ [long]: short === "GetAtt" ? splitGetAtt(value) : value });
  return [
    { tag: `!${short}`, resolve: (str: string) => wrap(str) },
    { tag: `!${short}`, collection: "seq" as const, resolve: (seq: unknown) => new Scalar(wrap(plain(seq))) },
    { tag: `!${short}`, collection: "map" as const, resolve: (map: unknown) => new Scalar(wrap(plain(map))) },
  ];
});

export class YamlSyntaxError extends Error {
  readonly line: number | undefined;
  constructor(message: string, line: number | undefined) {
    super(message);
    this.line = line;
  }
}

/**
 * Templates parsed in this process, by their text. A no-op deploy reads each stack's template
 * three times (ordering, the deploy itself, and the deployed body CloudFormation sends back, which
 * is the same text): about 50 ms of YAML each for a 20 KB template. Callers get their own copy.
 */
const parsed = new Map<string, Template>();
const PARSED_KEPT = 32;

/**
 * Parse YAML with CloudFormation short tags into the long-form model. Duplicate keys are errors
 * (CloudFormation refuses them too), and aliases keep the library's expansion limit, so an alias
 * bomb is an error, not a process that fills memory.
 */
export function parseYaml(text: string): Template {
  const known = parsed.get(text);
  if (known) return structuredClone(known);
  const doc = parseDocument(text, { customTags: cloudFormationTags, version: "1.2", uniqueKeys: true });
  const err = doc.errors[0] ?? doc.warnings[0];
  if (err) throw new YamlSyntaxError(firstLine(err), err.linePos?.[0]?.line);
  let template: Template;
  try {
    template = doc.toJS({ maxAliasCount: 100 }) as Template;
  } catch (expansion) {
    // The library's ReferenceError for excessive aliasing ("resource exhaustion attack").
    throw new YamlSyntaxError(firstLine(expansion), undefined);
  }
  if (parsed.size >= PARSED_KEPT) parsed.delete(parsed.keys().next().value as string);
  parsed.set(text, template);
  return structuredClone(template);
}
