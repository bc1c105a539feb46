import { describe, expect, it } from "vitest";
import { catchError } from "./__fixtures__/catch-error.js";
import { assertPep440Order, formatPep440Collision, pep440Collisions } from "./pep440-order.js";

describe("pep440Collisions", () => {
  it("names the map entry that sends a tag to a letter another tag in use already has", () => {
    const collisions = pep440Collisions(["next", "rc"], { next: "rc" });
    expect(collisions).toEqual([{ kind: "rc", tags: ["next", "rc"], settings: ["pep440.next"] }]);
    expect(formatPep440Collision(collisions[0]!)).toMatch(
      /^pep440\.next in \.changeset\/polyglot\.json: the prerelease tags "next" and "rc" in use all become PEP 440 "rc"/,
    );
  });

  it("finds two map entries sharing a letter", () => {
    expect(pep440Collisions(["next", "canary", "beta"], { next: "dev", canary: "dev" })).toEqual([
      { kind: "dev", tags: ["canary", "next"], settings: ["pep440.canary", "pep440.next"] },
    ]);
  });

  it("is quiet when the colliding tag is not in use, or when PEP 440 alone merges spellings", () => {
    expect(pep440Collisions(["next"], { next: "rc" })).toEqual([]);
    expect(pep440Collisions(["next", "beta"], { next: "rc" })).toEqual([]);
    expect(pep440Collisions(["alpha", "a"], {})).toEqual([]);
  });
});

describe("assertPep440Order", () => {
  it("refuses a later semver prerelease that PEP 440 sorts before the earlier one, naming the map entry", () => {
    const error = catchError(() =>
      assertPep440Order("1.0.0-next.3", "1.0.0-rc.0", { next: "rc" }, "py (pypi acme)"),
    );
    expect(error.setting).toBe("pep440.next");
    expect(error.message).toMatch(/1\.0\.0rc0 sorts before 1\.0\.0rc3/);
    expect(error.fix).toMatch(/change "next" in "pep440" .* keeps "next" before "rc"/);
  });

  it("refuses beta.2 -> next.3 under { next: a }: a3 sorts before b2", () => {
    const error = catchError(() => assertPep440Order("1.3.0-beta.2", "1.3.0-next.3", { next: "a" }, "t"));
    expect(error.setting).toBe("pep440.next");
    expect(error.message).toMatch(/1\.3\.0a3 sorts before 1\.3\.0b2/);
  });

  it("refuses two versions PEP 440 makes equal", () => {
    const error = catchError(() => assertPep440Order("1.0.0-rc.1", "1.0.0-rca.1", { rca: "rc" }, "t"));
    expect(error.message).toMatch(/sorts equal to/);
  });

  it("accepts moves that keep their order, releases and backward moves", () => {
    for (const [from, to] of [
      ["1.0.0-next.3", "1.0.0-rc.0"],
      ["1.0.0-next.3", "1.0.0-next.4"],
      ["1.0.0-rc.0", "1.0.0"],
      ["1.0.0-rc.0", "1.0.0-next.0"],
    ] as const) {
      expect(() => assertPep440Order(from, to, { next: "b" }, "t")).not.toThrow();
    }
    expect(() => assertPep440Order("1.0.0-next.3", "1.0.0-next.4", { next: "rc" }, "t")).not.toThrow();
  });
});
