import { describe, expect, it } from "vitest";
import { cidrRange, newBridgeName, pickFreeSubnet } from "../src/check-bridge.ts";

/** A pick() that returns the given values in turn (min is added, as randomInt's range starts there). */
const sequence = (...values: number[]) => {
  let i = 0;
  return (min: number, max: number) => {
    const v = values[i++ % values.length]!;
    expect(v).toBeGreaterThanOrEqual(min);
    expect(v).toBeLessThan(max);
    return v;
  };
};

describe("the throw-away engine's bridge", () => {
  it("is named pbkchk plus 6 hex digits, within Linux's 15-character interface names", () => {
    const names = new Set(Array.from({ length: 50 }, newBridgeName));
    for (const name of names) expect(name).toMatch(/^pbkchk[0-9a-f]{6}$/);
    expect(names.size).toBeGreaterThan(45);
  });

  it("reads CIDRs and bare addresses as ranges, and nothing else", () => {
    expect(cidrRange("10.0.0.0/8")).toEqual([167772160, 184549375]);
    expect(cidrRange("10.1.2.3")).toEqual([167838211, 167838211]);
    expect(cidrRange("172.17.5.9/16")).toEqual([2886795264, 2886860799]);
    expect(cidrRange("0.0.0.0/0")).toEqual([0, 2 ** 32 - 1]);
    expect(cidrRange("fe80::/64")).toBeUndefined();
    expect(cidrRange("10.0.0.0/33")).toBeUndefined();
    expect(cidrRange("default")).toBeUndefined();
  });

  it("picks a 10.200-254.x.0/24 that no route covers, skipping ones that collide", () => {
    const routes = ["default", "172.17.0.0/16", "10.210.0.0/16", "10.220.5.0/24", "127.0.0.1"];
    // 10.210.3.0/24 is inside 10.210.0.0/16, 10.220.5.0/24 is a route itself: the third pick is free.
    expect(pickFreeSubnet(routes, sequence(210, 3, 220, 5, 221, 5))).toBe("10.221.5.0/24");
  });

  it("does not treat the default route as covering every subnet", () => {
    expect(pickFreeSubnet(["default"], sequence(200, 0))).toBe("10.200.0.0/24");
  });

  it("a route wider than the /24 (10.0.0.0/8) collides with every candidate: none is found", () => {
    expect(pickFreeSubnet(["10.0.0.0/8"], sequence(230, 7), 5)).toBeUndefined();
  });
});
