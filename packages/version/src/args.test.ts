import { PolyglotError } from "@polyglot-changesets/core";
import { describe, expect, it } from "vitest";
import { parseVersionArgs } from "./args.js";

const parse = (...argv: string[]) => parseVersionArgs(argv, "/repo");

function usageError(...argv: string[]): PolyglotError {
  try {
    parse(...argv);
  } catch (error) {
    expect(error).toBeInstanceOf(PolyglotError);
    expect((error as PolyglotError).exitCode).toBe(2);
    return error as PolyglotError;
  }
  throw new Error(`expected ${argv.join(" ")} to be a usage error`);
}

describe("parseVersionArgs", () => {
  it("defaults: run changeset version with no arguments in the current directory", () => {
    expect(parse()).toEqual({
      cwd: "/repo",
      syncOnly: false,
      dryRun: false,
      check: false,
      json: false,
      help: false,
      version: false,
      changesetCli: false,
      changeset: { ignore: [], args: [] },
    });
  });

  it("--changeset-cli asks for the repo's changeset version as a process, passing nothing to it", () => {
    expect(parse("--changeset-cli", "--snapshot", "pr")).toMatchObject({
      changesetCli: true,
      changeset: { snapshot: "pr", args: ["--snapshot", "pr"] },
    });
  });

  it("reads its own flags and --cwd (also as --cwd=DIR)", () => {
    expect(parse("--sync-only", "--dry-run", "--json", "--cwd", "/x")).toMatchObject({
      syncOnly: true,
      dryRun: true,
      json: true,
      cwd: "/x",
    });
    expect(parse("--cwd=/y").cwd).toBe("/y");
    expect(parse("-h").help).toBe(true);
    expect(parse("--check").check).toBe(true);
  });

  it("passes --snapshot with and without a tag, --ignore and the template to changeset version", () => {
    expect(parse("--snapshot", "canary").changeset).toEqual({
      snapshot: "canary",
      ignore: [],
      args: ["--snapshot", "canary"],
    });
    expect(parse("--snapshot", "--dry-run").changeset).toEqual({
      snapshot: true,
      ignore: [],
      args: ["--snapshot"],
    });
    expect(parse("--snapshot=pr-12").changeset.snapshot).toBe("pr-12");
    const many = parse("--ignore", "a", "--ignore=b", "--snapshot-prerelease-template", "{tag}-{datetime}");
    expect(many.changeset).toEqual({
      ignore: ["a", "b"],
      snapshotPrereleaseTemplate: "{tag}-{datetime}",
      args: ["--ignore", "a", "--ignore", "b", "--snapshot-prerelease-template", "{tag}-{datetime}"],
    });
  });

  it("passes positional arguments and everything after -- through unchanged", () => {
    expect(parse("extra", "--", "--anything", "-x").changeset.args).toEqual(["extra", "--anything", "-x"]);
  });

  it("rejects unknown options and options without their value", () => {
    expect(usageError("--frobnicate").message).toBe("unknown option --frobnicate");
    expect(usageError("--cwd").message).toBe("--cwd needs a value");
    expect(usageError("--ignore").message).toBe("--ignore needs a value");
    expect(usageError("--json=yes").message).toBe("unknown option --json=yes (did you mean --json?)");
    expect(usageError("--dryrun").message).toBe("unknown option --dryrun (did you mean --dry-run?)");
    expect(usageError("--sync").message).toBe("unknown option --sync (did you mean --sync-only?)");
  });

  it("rejects changeset arguments with --sync-only and --check, which do not run it", () => {
    expect(usageError("--sync-only", "--snapshot").message).toMatch(
      /--sync-only does not run changeset version/,
    );
    expect(usageError("--check", "--ignore", "a").message).toMatch(/--check does not run changeset version/);
  });
});
