import { describe, expect, it } from "vitest";
import { helpText, parseCliArgs } from "./args.js";

describe("parseCliArgs", () => {
  it("has the contract's defaults", () => {
    expect(parseCliArgs(["--cwd", "/r"])).toEqual({
      command: "publish",
      dryRun: false,
      oidc: "auto",
      provenance: true,
      gitTag: true,
      pypiTrigger: "outputs",
      json: false,
      cwd: "/r",
      guards: { allowDirty: [], reproducible: false, stage: false, afterApproval: false },
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
        "--no-git-tag",
      ]),
    ).toMatchObject({
      dryRun: true,
      oidc: "require",
      provenance: false,
      tag: "next",
      pypiTrigger: "dispatch",
      pypiWorkflow: "p.yml",
      json: true,
      gitTag: false,
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

  it("gives every command its own help", () => {
    expect(parseCliArgs(["doctor", "--help"])).toEqual({ command: "help", topic: "doctor" });
    expect(parseCliArgs(["-h"])).toEqual({ command: "help", topic: "publish" });
    for (const command of ["publish", "doctor", "pypi-check"] as const) {
      const text = helpText(command);
      expect(text).toMatch(/^usage: polyglot-publish/);
      expect(text).toContain("Exit codes: 0");
      expect(text).toContain("--cwd DIR");
      expect(text).toMatch(/Docs: https:\/\//);
    }
    expect(helpText("pypi-check")).toContain("--fail-if-exists");
    expect(helpText("doctor")).not.toContain("--dry-run");
  });

  it.each([
    [["--oidc", "maybe"], /--oidc must be one of require, auto, off/],
    [["--pypi-trigger", "email"], /--pypi-trigger must be one of/],
    [["--frobnicate"], /--frobnicate is an unknown option$/],
    [["--dryrun"], /--dryrun is an unknown option \(did you mean --dry-run\?\)/],
    [["docter"], /unknown command "docter" \(did you mean doctor\?\)/],
    [["pypi-chek", "--json"], /unknown command "pypi-chek" \(did you mean pypi-check\?\)/],
    [
      ["--oidc", "requir"],
      /--oidc must be one of require, auto, off \(got "requir"\) \(did you mean require\?\)/,
    ],
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

describe("pypi-upload and --dotenv", () => {
  it("parses pypi-upload's flags and paths; skip-existing is on by default", () => {
    expect(
      parseCliArgs([
        "pypi-upload",
        "--index",
        "https://test.pypi.org",
        "--oidc",
        "require",
        "dist/",
        "extra.whl",
      ]),
    ).toMatchObject({
      command: "pypi-upload",
      index: "https://test.pypi.org",
      oidc: "require",
      skipExisting: true,
      dryRun: false,
      paths: ["dist/", "extra.whl"],
    });
    expect(parseCliArgs(["pypi-upload", "--no-skip-existing", "--dry-run", "d"])).toMatchObject({
      skipExisting: false,
      dryRun: true,
    });
    expect(parseCliArgs(["--dotenv", "publish.env"])).toMatchObject({
      command: "publish",
      dotenv: "publish.env",
    });
    expect(parseCliArgs(["pypi-check", "--dotenv", "x.env"])).toMatchObject({ dotenv: "x.env" });
    expect(helpText("pypi-upload")).toContain("PATH...");
  });

  it.each([
    [["pypi-upload", "--index", "pypi.org", "dist/"], /--index must be an http\(s\) URL/],
    [["pypi-upload", "--skip-existing", "--no-skip-existing", "d"], /contradict/],
    [["pypi-upload", "--fail-if-exists", "d"], /--fail-if-exists is not an option of pypi-upload/],
    [["pypi-uplod"], /did you mean pypi-upload\?/],
    [["doctor", "stray-path"], /Unexpected argument|positional/i],
  ])("rejects %j with exit code 2", (argv, message) => {
    expect(() => parseCliArgs(argv)).toThrow(message);
  });
});
