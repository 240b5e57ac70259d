/** The one reading of AWS SDK error names: what counts as "not there", and what does not. */
import { NoSuchBucket, NoSuchKey, NotFound, S3ServiceException } from "@aws-sdk/client-s3";
import { describe, expect, it } from "vitest";
import { awsErrorName, isAwsError, isNotFound } from "../src/index.ts";

/** A service error as the SDK deserialises it for a service core has no client of (ECR, CloudFormation, ...). */
const serviceError = (name: string, message: string) =>
  new S3ServiceException({ name, message, $fault: "client", $metadata: { httpStatusCode: 400 } });

describe("awsErrorName", () => {
  it("is the SDK error's name, and empty for what has none", () => {
    expect(awsErrorName(new NoSuchKey({ message: "gone", $metadata: {} }))).toBe("NoSuchKey");
    expect(awsErrorName(new Error("plain"))).toBe("Error");
    expect(awsErrorName(undefined)).toBe("");
    expect(awsErrorName("a string")).toBe("");
    expect(awsErrorName({ name: 7 })).toBe("");
  });
});

describe("isAwsError", () => {
  it("matches the name, and the message when one is given", () => {
    const empty = serviceError("ValidationError", "The submitted information didn't contain changes.");
    expect(isAwsError(empty, "ValidationError")).toBe(true);
    expect(isAwsError(empty, "ValidationError", /didn't contain changes/)).toBe(true);
    expect(isAwsError(empty, "ValidationError", /does not exist/)).toBe(false);
    expect(isAwsError(empty, "ImageAlreadyExistsException")).toBe(false);
  });
});

describe("isNotFound", () => {
  it("is true for every service's way of saying a resource is not there", () => {
    for (const err of [
      new NoSuchKey({ message: "The specified key does not exist.", $metadata: {} }),
      new NoSuchBucket({ message: "The specified bucket does not exist", $metadata: {} }),
      new NotFound({ message: "", $metadata: { httpStatusCode: 404 } }), // HeadBucket: no body
      serviceError("RepositoryNotFoundException", "The repository with name 'x' does not exist"),
      serviceError("ImageNotFoundException", "Requested image not found"),
      serviceError("LifecyclePolicyNotFoundException", "Lifecycle policy does not exist"),
      serviceError("ResourceNotFoundException", "The specified log stream does not exist."),
      serviceError("PipelineNotFoundException", "Account '1' does not have a pipeline with name 'p'"),
      serviceError("ValidationError", "Stack with id prebake-ci does not exist"),
    ]) {
      expect(isNotFound(err), awsErrorName(err)).toBe(true);
    }
  });

  it("is false for other failures, CloudFormation's other validation errors among them", () => {
    for (const err of [
      serviceError("ValidationError", "The submitted information didn't contain changes."),
      serviceError("ValidationError", "Template format error: Unresolved resource dependencies [X]"),
      serviceError("AccessDeniedException", "not authorized to perform: ecr:DescribeRepositories"),
      serviceError("RepositoryAlreadyExistsException", "The repository already exists"),
      serviceError("ThrottlingException", "Rate exceeded"),
      new Error("Stack with id x does not exist"), // right words, not a service error
      undefined,
    ]) {
      expect(isNotFound(err), String(awsErrorName(err))).toBe(false);
    }
  });
});
