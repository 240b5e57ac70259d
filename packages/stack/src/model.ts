import type { CloudWatchAlarmProperties } from "@awboost/cfn-resource-types/AWS-CloudWatch-Alarm";
import type { CloudWatchDashboardProperties } from "@awboost/cfn-resource-types/AWS-CloudWatch-Dashboard";
import type { CodeBuildProjectProperties } from "@awboost/cfn-resource-types/AWS-CodeBuild-Project";
import type { CodePipelinePipelineProperties } from "@awboost/cfn-resource-types/AWS-CodePipeline-Pipeline";
import type { ECRRepositoryProperties } from "@awboost/cfn-resource-types/AWS-ECR-Repository";
import type { EventsRuleProperties } from "@awboost/cfn-resource-types/AWS-Events-Rule";
import type { IAMManagedPolicyProperties } from "@awboost/cfn-resource-types/AWS-IAM-ManagedPolicy";
import type { IAMPolicyProperties } from "@awboost/cfn-resource-types/AWS-IAM-Policy";
import type { IAMRoleProperties } from "@awboost/cfn-resource-types/AWS-IAM-Role";
import type { KMSKeyProperties } from "@awboost/cfn-resource-types/AWS-KMS-Key";
import type { LambdaFunctionProperties } from "@awboost/cfn-resource-types/AWS-Lambda-Function";
import type { LambdaLayerVersionProperties } from "@awboost/cfn-resource-types/AWS-Lambda-LayerVersion";
import type { LogsLogGroupProperties } from "@awboost/cfn-resource-types/AWS-Logs-LogGroup";
import type { S3BucketProperties } from "@awboost/cfn-resource-types/AWS-S3-Bucket";
import type { S3BucketPolicyProperties } from "@awboost/cfn-resource-types/AWS-S3-BucketPolicy";
import type { SNSTopicProperties } from "@awboost/cfn-resource-types/AWS-SNS-Topic";
import type { SSMParameterProperties } from "@awboost/cfn-resource-types/AWS-SSM-Parameter";
import type { Intrinsic } from "./intrinsics.ts";

/**
 * The typed template model. Resource properties come from @awboost/cfn-resource-types, which is
 * generated from the CloudFormation registry schemas (so it follows AWS, not our memory);
 * `Value<T>` widens every property so an intrinsic function may stand in for any value.
 */
export type Value<T> = T extends string | number | boolean
  ? T | Intrinsic
  : T extends readonly (infer U)[]
    ? Value<U>[] | Intrinsic
    : T extends object
      ? { [K in keyof T]: Value<T[K]> } | Intrinsic
      : T;

/** Resource types with typed properties. Others are accepted with untyped properties. */
export interface ResourcePropertyTypes {
  "AWS::CloudWatch::Alarm": CloudWatchAlarmProperties;
  "AWS::CloudWatch::Dashboard": CloudWatchDashboardProperties;
  "AWS::CodeBuild::Project": CodeBuildProjectProperties;
  "AWS::CodePipeline::Pipeline": CodePipelinePipelineProperties;
  "AWS::ECR::Repository": ECRRepositoryProperties;
  "AWS::Events::Rule": EventsRuleProperties;
  "AWS::IAM::ManagedPolicy": IAMManagedPolicyProperties;
  "AWS::IAM::Policy": IAMPolicyProperties;
  "AWS::IAM::Role": IAMRoleProperties;
  "AWS::KMS::Key": KMSKeyProperties;
  "AWS::Lambda::Function": LambdaFunctionProperties;
  "AWS::Lambda::LayerVersion": LambdaLayerVersionProperties;
  "AWS::Logs::LogGroup": LogsLogGroupProperties;
  "AWS::S3::Bucket": S3BucketProperties;
  "AWS::S3::BucketPolicy": S3BucketPolicyProperties;
  "AWS::SNS::Topic": SNSTopicProperties;
  "AWS::SSM::Parameter": SSMParameterProperties;
}

export interface ResourceAttributes {
  Condition?: string;
  DependsOn?: string | string[];
  DeletionPolicy?: "Delete" | "Retain" | "RetainExceptOnCreate" | "Snapshot";
  UpdateReplacePolicy?: "Delete" | "Retain" | "Snapshot";
  Metadata?: Record<string, unknown>;
}

export interface Resource extends ResourceAttributes {
  Type: string;
  Properties?: Record<string, unknown>;
}

export interface Parameter {
  Type: string;
  Default?: string | number;
  Description?: string;
  AllowedPattern?: string;
  AllowedValues?: (string | number)[];
  ConstraintDescription?: string;
  MinLength?: number;
  MaxLength?: number;
  MinValue?: number;
  MaxValue?: number;
  NoEcho?: boolean;
}

export interface Output {
  Description?: string;
  Value: unknown;
  Export?: { Name: unknown };
  Condition?: string;
}

/**
 * What the Nx plugin, the deploy engine and the local CodeBuild runner read from a template
 * (Metadata.Prebake). Read it with `templateMetadata` (read.ts), which checks its shape.
 */
export interface PrebakeMetadata {
  /** Image projects (images/<name>) this stack's parameters take digests from. */
  Images: string[];
  /** Stacks to deploy before this one. */
  After: string[];
  /** Template parameter -> image project whose default-version manifest fills it. */
  ImageParameters: Record<string, string>;
  /**
   * A template parameter that `prebake deploy` fills with the configuration's `project`: what a stack
   * deployed as `<project>-<env>-<name>` cannot tell from its own name (e.g. which stacks are the project's).
   */
  ProjectParameter?: string;
}

export interface Template {
  AWSTemplateFormatVersion?: "2010-09-09";
  Description?: string;
  Metadata?: { Prebake?: PrebakeMetadata } & Record<string, unknown>;
  /** Macros (e.g. AWS::Serverless-2016-10-31); deploy acknowledges CAPABILITY_AUTO_EXPAND for them. */
  Transform?: unknown;
  Parameters?: Record<string, Parameter>;
  Mappings?: Record<string, Record<string, Record<string, unknown>>>;
  Conditions?: Record<string, unknown>;
  Resources: Record<string, Resource>;
  Outputs?: Record<string, Output>;
}

/** A resource with its properties type-checked against the CloudFormation schema of its type. */
export function resource<T extends keyof ResourcePropertyTypes>(
  type: T,
  properties: Value<ResourcePropertyTypes[T]>,
  attributes: ResourceAttributes = {},
): Resource {
  // Attributes first, then Properties: the order CloudFormation's own docs print them in.
  return { Type: type, ...attributes, Properties: properties as Record<string, unknown> };
}

/** Identity with types: the default export of a stacks/<name>/stack.ts. */
export function defineTemplate(template: Template): Template {
  return template;
}
