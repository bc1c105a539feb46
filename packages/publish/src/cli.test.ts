import { existsSync } from "node:fs";
import path from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";

const bin = path.resolve(import.meta.dirname, "../bin/polyglot-publish.js");
const built = existsSync(path.resolve(import.meta.dirname, "../dist/cli.js"));

// The bin runs the built CLI (`tsc -b packages/publish`, done by `pnpm test`).
describe.runIf(built)("polyglot-publish bin", () => {
  it("prints usage with --help", async () => {
    const result = await execa(process.execPath, [bin, "--help"], { reject: false });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain("usage: polyglot-publish [--dry-run]");
    expect(result.stdout).toContain("Exit codes: 0");
    const pypiCheck = await execa(process.execPath, [bin, "pypi-check", "--help"], { reject: false });
    expect(pypiCheck.stdout).toContain("usage: polyglot-publish pypi-check [--index URL] [--fail-if-exists]");
    expect(result.stdout).toMatch(/Commands:\n {2}doctor .*\n {2}pypi-check /);
    const version = await execa(process.execPath, [bin, "--version"], { reject: false });
    expect(version.stdout).toMatch(/^\d+\.\d+\.\d+/);
  });

  it("exits 2 on bad usage with the fix", async () => {
    const result = await execa(process.execPath, [bin, "--oidc", "sometimes"], { reject: false });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(
      /polyglot-publish: error: --oidc must be one of require, auto, off .*\[--oidc\]\n {2}fix: run polyglot-publish --help for the flags/,
    );
  });

  it("exits 2 outside a workspace, naming what to do", async () => {
    const result = await execa(process.execPath, [bin, "doctor", "--cwd", "/"], { reject: false });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain("fix:");
  });
});
