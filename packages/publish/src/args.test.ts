import { describe, expect, it } from "vitest";
import { parseCliArgs } from "./args.js";

describe("parseCliArgs", () => {
  it("has the contract's defaults", () => {
    expect(parseCliArgs(["--cwd", "/r"])).toEqual({
      command: "publish",
      dryRun: false,
      oidc: "auto",
      provenance: true,
      pypiTrigger: "outputs",
      json: false,
      cwd: "/r",
    });
  });

  it("reads every publish flag", () => {
    expect(
      parseCliArgs([
        "--dry-run",
        "--oidc",
        "require",
        "--no-provenance",
        "--tag",
        "next",
        "--pypi-trigger",
        "dispatch",
        "--pypi-workflow",
        "p.yml",
        "--json",
      ]),
    ).toMatchObject({
      dryRun: true,
      oidc: "require",
      provenance: false,
      tag: "next",
      pypiTrigger: "dispatch",
      pypiWorkflow: "p.yml",
      json: true,
    });
  });

  it("reads doctor and pypi-check", () => {
    expect(parseCliArgs(["doctor", "--oidc", "off"])).toMatchObject({ command: "doctor", oidc: "off" });
    expect(
      parseCliArgs(["pypi-check", "--index", "https://test.pypi.org", "--fail-if-exists"]),
    ).toMatchObject({
      command: "pypi-check",
      index: "https://test.pypi.org",
      failIfExists: true,
    });
  });

  it.each([
    [["--oidc", "maybe"], /--oidc must be one of require, auto, off/],
    [["--pypi-trigger", "email"], /--pypi-trigger must be one of/],
    [["--frobnicate"], /Unknown option '--frobnicate'/],
    [["pypi-check", "--dry-run"], /--dry-run is not an option of pypi-check/],
    [["pypi-check", "--index", "pypi.org"], /--index must be an http\(s\) URL/],
    [["--tag", "has space"], /not a valid npm dist-tag/],
  ])("rejects %j with exit code 2", (argv, message) => {
    let caught: unknown;
    try {
      parseCliArgs(argv);
    } catch (error) {
      caught = error;
    }
    expect(caught).toMatchObject({ exitCode: 2 });
    expect((caught as Error).message).toMatch(message);
  });
});
