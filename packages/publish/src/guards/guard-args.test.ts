import { describe, expect, it } from "vitest";
import { helpText, parseCliArgs } from "../args.js";

describe("the release-gate flags", () => {
  it("reads --allow-dirty (repeatable), --reproducible, --smoke, --stage and --after-approval", () => {
    const args = parseCliArgs([
      "--allow-dirty",
      "bindings/src/**",
      "--allow-dirty=dist",
      "--reproducible",
      "--smoke",
      "node -e \"require('@acme/x')\"",
      "--stage",
      "--cwd",
      "/r",
    ]);
    expect(args).toMatchObject({
      command: "publish",
      guards: {
        allowDirty: ["bindings/src/**", "dist"],
        reproducible: true,
        smoke: "node -e \"require('@acme/x')\"",
        stage: true,
        afterApproval: false,
      },
    });
    expect(parseCliArgs(["doctor", "--allow-dirty", "gen", "--cwd", "/r"])).toMatchObject({
      command: "doctor",
      guards: { allowDirty: ["gen"], reproducible: false },
    });
  });

  it("refuses an empty --smoke, --stage with --after-approval, and gates on the wrong command", () => {
    expect(() => parseCliArgs(["--smoke", " "])).toThrow(/--smoke needs a command/);
    expect(() => parseCliArgs(["--stage", "--after-approval"])).toThrow(/two runs/);
    expect(() => parseCliArgs(["pypi-check", "--stage"])).toThrow(/--stage is not an option of pypi-check/);
  });

  it("documents every flag and the rollback command in --help", () => {
    const publish = helpText("publish");
    for (const flag of [
      "--allow-dirty PATTERN",
      "--reproducible",
      "--smoke CMD",
      "--stage",
      "--after-approval",
    ]) {
      expect(publish).toContain(flag);
    }
    expect(publish).toContain("rollback");
    expect(helpText("rollback")).toContain(
      "usage: polyglot-publish rollback <version-or-tag> [--message TEXT] [--dry-run] [--unpublish]",
    );
  });
});
