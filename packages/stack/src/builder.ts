import { GetAtt, type Intrinsic, Ref } from "./intrinsics.ts";
import {
  type Output,
  type Parameter,
  type PrebakeMetadata,
  type ResourceAttributes,
  type ResourcePropertyTypes,
  resource,
  type Template,
  type Value,
} from "./model.ts";

/** What `TemplateBuilder.resource()` gives back: references to the resource it declared. */
export interface ResourceHandle {
  readonly id: string;
  /** `!Ref <id>` */
  readonly ref: Intrinsic;
  /** `!GetAtt <id>.<attribute>` */
  getAtt(attribute: string): Intrinsic;
}

/**
 * A small typed builder for a template, as an alternative to writing the object literal with
 * `defineTemplate`. Each declaration returns a reference to what it declared, so a stack refers
 * to its parameters and resources through values the compiler knows exist rather than through
 * strings; a logical ID declared twice (in any section) is refused at once.
 *
 *   const t = new TemplateBuilder("my stack");
 *   const name = t.parameter("Name", { Type: "String" });
 *   const p = t.resource("Param", "AWS::SSM::Parameter", { Type: "String", Value: name });
 *   t.output("ParamName", p.ref);
 *   export default t.build();
 */
export class TemplateBuilder {
  readonly #template: Template = { AWSTemplateFormatVersion: "2010-09-09", Resources: {} };
  readonly #ids = new Map<string, string>();

  constructor(description?: string) {
    if (description !== undefined) this.#template.Description = description;
  }

  #claim(section: string, id: string): void {
    // Parameters and resources share one namespace (both are !Ref targets); the others are
    // separate in CloudFormation, but one name for two things is always a mistake here.
    const previous = this.#ids.get(id);
    if (previous) throw new Error(`logical ID '${id}' is declared twice (${previous} and ${section})`);
    if (!/^[A-Za-z0-9]+$/.test(id)) throw new Error(`logical ID '${id}' must be alphanumeric (${section})`);
    this.#ids.set(id, section);
  }

  description(text: string): this {
    this.#template.Description = text;
    return this;
  }

  /** Any Metadata key; `prebake()` sets the one prebake itself reads. */
  metadata(key: string, value: unknown): this {
    this.#template.Metadata = { ...this.#template.Metadata, [key]: value };
    return this;
  }

  /** Metadata.Prebake: the images this stack uses, the stacks it deploys after, image parameters. */
  prebake(meta: PrebakeMetadata): this {
    return this.metadata("Prebake", meta);
  }

  /** Declare a parameter; returns `!Ref <id>`. */
  parameter(id: string, parameter: Parameter): Intrinsic {
    this.#claim("Parameters", id);
    this.#template.Parameters = { ...this.#template.Parameters, [id]: parameter };
    return Ref(id);
  }

  /** Declare a condition; returns its name, for `If(name, ...)` and a resource's Condition. */
  condition(id: string, expression: Intrinsic): string {
    this.#claim("Conditions", id);
    this.#template.Conditions = { ...this.#template.Conditions, [id]: expression };
    return id;
  }

  /** Declare a mapping; returns its name, for `FindInMap(name, ...)`. */
  mapping(id: string, map: Record<string, Record<string, unknown>>): string {
    this.#claim("Mappings", id);
    this.#template.Mappings = { ...this.#template.Mappings, [id]: map };
    return id;
  }

  /** Declare a resource with its properties checked against the CloudFormation schema of its type. */
  resource<T extends keyof ResourcePropertyTypes>(
    id: string,
    type: T,
    properties: Value<ResourcePropertyTypes[T]>,
    attributes: ResourceAttributes = {},
  ): ResourceHandle {
    this.#claim("Resources", id);
    this.#template.Resources[id] = resource(type, properties, attributes);
    return { id, ref: Ref(id), getAtt: (attribute) => GetAtt(id, attribute) };
  }

  /** Declare a resource of a type prebake has no property types for (properties unchecked). */
  untypedResource(
    id: string,
    type: string,
    properties: Record<string, unknown>,
    attributes: ResourceAttributes = {},
  ): ResourceHandle {
    this.#claim("Resources", id);
    this.#template.Resources[id] = { Type: type, ...attributes, Properties: properties };
    return { id, ref: Ref(id), getAtt: (attribute) => GetAtt(id, attribute) };
  }

  output(id: string, value: unknown, options: Omit<Output, "Value"> = {}): this {
    this.#claim("Outputs", id);
    const { Description, ...rest } = options;
    // Description, Value, then Export/Condition: the order CloudFormation's docs print them in.
    const output: Output = { ...(Description !== undefined && { Description }), Value: value, ...rest };
    this.#template.Outputs = { ...this.#template.Outputs, [id]: output };
    return this;
  }

  /** The template (a fresh copy: building again after more declarations does not alter it). */
  build(): Template {
    return structuredClone(this.#template);
  }
}
