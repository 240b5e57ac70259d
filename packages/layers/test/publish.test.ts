import { describe, expect, it } from "vitest";
import { FUNCTION_UPDATE_WAIT_SECONDS, layersAfterUpdate, waiterFailure } from "../src/publish.ts";

const LAYER = "arn:aws:lambda:us-east-1:123456789012:layer:common-utils";

describe("function updates", () => {
  it("replaces an older version of the layer in place, keeping the other layers and their order", () => {
    const other = "arn:aws:lambda:us-east-1:123456789012:layer:observability:4";
    expect(layersAfterUpdate([other, `${LAYER}:1`], LAYER, `${LAYER}:2`)).toEqual([other, `${LAYER}:2`]);
    // Already on the new version, or not using the layer (a name that only starts the same): untouched.
    expect(layersAfterUpdate([`${LAYER}:2`], LAYER, `${LAYER}:2`)).toBeUndefined();
    expect(layersAfterUpdate([`${LAYER}-extra:1`, other], LAYER, `${LAYER}:2`)).toBeUndefined();
  });

  it("says why the SDK waiter gave up: the function's last update status, or the time it waited", () => {
    const failed = new Error(
      JSON.stringify({
        state: "FAILURE",
        reason: {
          Configuration: {
            LastUpdateStatus: "Failed",
            LastUpdateStatusReason: "Layer version arn:...:9 does not exist",
          },
        },
      }),
    );
    expect(waiterFailure(failed)).toBe("LastUpdateStatus Failed: Layer version arn:...:9 does not exist");
    const timedOut = new Error(JSON.stringify({ state: "TIMEOUT", reason: "Waiter has timed out" }));
    expect(waiterFailure(timedOut)).toBe(`still in progress after ${FUNCTION_UPDATE_WAIT_SECONDS} s`);
    expect(waiterFailure(new Error("socket hang up\nat ..."))).toBe("socket hang up");
  });
});
