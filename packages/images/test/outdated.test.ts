import { describe, expect, it } from "vitest";
import { outdatedState } from "../src/outdated.ts";

describe("outdatedState", () => {
  const pushed = "sha256:aa";
  it("a base that moved since the push is due, whatever the content hash says", () => {
    expect(
      outdatedState({ pushed, builtOn: "sha256:old", current: "sha256:new", currentHashInRegistry: false }),
    ).toEqual({
      state: "base changed",
      rebuildDue: true,
    });
  });
  it("same base, current content hash in the registry: up to date", () => {
    expect(
      outdatedState({ pushed, builtOn: "sha256:b", current: "sha256:b", currentHashInRegistry: true }),
    ).toEqual({
      state: "up to date",
      rebuildDue: false,
    });
  });
  it("no base recorded (pushed before it was): the content hash decides", () => {
    expect(
      outdatedState({ pushed, builtOn: undefined, current: "sha256:b", currentHashInRegistry: true })
        .rebuildDue,
    ).toBe(false);
    expect(
      outdatedState({ pushed, builtOn: undefined, current: "sha256:b", currentHashInRegistry: false }),
    ).toEqual({
      state: "content changed",
      rebuildDue: true,
    });
  });
  it("never pushed: listed, not due", () => {
    expect(
      outdatedState({ pushed: undefined, builtOn: undefined, current: "-", currentHashInRegistry: false }),
    ).toEqual({
      state: "not pushed",
      rebuildDue: false,
    });
  });
});
