import { describe, expect, it } from "vitest";
import { describeUntrusted, isValidName, requireSemver, requireValidName } from "./names.js";

const injected = "x\n::stop-commands::pwn";

describe("names from manifests", () => {
  it("accepts the names each ecosystem accepts", () => {
    expect(isValidName("python", "event-forge_inbox.outbox")).toBe(true);
    expect(isValidName("python", "A")).toBe(true);
    expect(isValidName("crate", "x0x-core_2")).toBe(true);
    expect(isValidName("npm", "@event-forge/inbox-outbox-core")).toBe(true);
    expect(isValidName("npm", "LegacyUpperCase")).toBe(true);
  });

  it("refuses names that are not names, whatever the ecosystem", () => {
    for (const kind of ["python", "crate", "npm"] as const) {
      expect(isValidName(kind, injected)).toBe(false);
      expect(isValidName(kind, "")).toBe(false);
      expect(isValidName(kind, "a b")).toBe(false);
    }
    expect(isValidName("python", "-leading")).toBe(false);
    expect(isValidName("crate", "1abc")).toBe(false);
    expect(isValidName("crate", "a".repeat(65))).toBe(false);
  });

  it("names the file and setting of a refused name and never repeats it", () => {
    let message = "";
    try {
      requireValidName("python", injected, { file: "py/pyproject.toml", setting: "project.name" });
    } catch (error) {
      message = (error as Error & { format(): string }).format();
    }
    expect(message).toContain("py/pyproject.toml: project.name is not a PEP 508 project name");
    expect(message).toContain("a string of 2 lines, 22 characters with a line break and a workflow command");
    expect(message).not.toContain("stop-commands");
  });

  it("refuses a package.json version that is not semver, without echoing it", () => {
    expect(requireSemver("1.2.3-rc.1", { file: "package.json", setting: "version" })).toBe("1.2.3-rc.1");
    expect(() => requireSemver(`1.0.0${injected}`, { file: "package.json", setting: "version" })).toThrow(
      "version is not a semver version: it is a string of 2 lines, 27 characters",
    );
    expect(describeUntrusted(null)).toBe("null");
    expect(describeUntrusted("  ")).toBe("a string of 2 characters with only white space");
  });
});
