import { describe, expect, it } from "vitest";
import changelogFunctions, { getDependencyReleaseLine, getReleaseLine } from "./index.js";

describe("module shape", () => {
  it("default-exports the pair Changesets takes from `.default`, and exports both by name", () => {
    expect(changelogFunctions.getReleaseLine).toBe(getReleaseLine);
    expect(changelogFunctions.getDependencyReleaseLine).toBe(getDependencyReleaseLine);
    expect(Object.keys(changelogFunctions).sort()).toEqual(["getDependencyReleaseLine", "getReleaseLine"]);
  });
});
