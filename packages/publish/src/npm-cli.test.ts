import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { npmCliVersion, npmVersionOnPath } from "./npm-cli.js";

const root = mkdtempSync(path.join(tmpdir(), "npm-cli-test-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A package folder `lib/node_modules/<name>` whose `bin/npm-cli.js` fails if it is ever run. */
function installed(prefix: string, manifest: object): string {
  const dir = path.join(root, prefix, "lib/node_modules", (manifest as { name?: string }).name ?? "x");
  mkdirSync(path.join(dir, "bin"), { recursive: true });
  writeFileSync(path.join(dir, "package.json"), JSON.stringify(manifest));
  const cli = path.join(dir, "bin/npm-cli.js");
  writeFileSync(cli, "#!/bin/sh\necho 'ran' >&2\nexit 3\n");
  chmodSync(cli, 0o755);
  return cli;
}

function binWith(prefix: string, target: string): string {
  const bin = path.join(root, prefix, "bin");
  mkdirSync(bin, { recursive: true });
  symlinkSync(target, path.join(bin, "npm"));
  return bin;
}

describe("npmVersionOnPath", () => {
  it("reads the version of npm's own npm-cli.js from its package.json, without starting it", async () => {
    const bin = binWith("a", installed("a", { name: "npm", version: "11.6.2" }));
    expect(await npmVersionOnPath({ PATH: bin })).toEqual({ version: "11.6.2" });
  });

  it("asks `npm --version` when the npm on PATH is a wrapper script", async () => {
    const bin = path.join(root, "b/bin");
    mkdirSync(bin, { recursive: true });
    writeFileSync(path.join(bin, "npm"), "#!/bin/sh\necho 10.9.3\n");
    chmodSync(path.join(bin, "npm"), 0o755);
    expect(await npmVersionOnPath({ PATH: bin })).toEqual({ version: "10.9.3" });
  });

  it("does not trust a package that is not npm (a shim named npm-cli.js), and runs it instead", async () => {
    const cli = installed("c", { name: "corepack", version: "0.34.0" });
    expect(npmCliVersion(cli)).toBeUndefined();
    // Run, it fails (exit 3): no version rather than corepack's.
    expect(await npmVersionOnPath({ PATH: binWith("c", cli) })).toEqual({});
  });

  it("has no version without an npm on PATH, or with a version that is not semver", async () => {
    expect(await npmVersionOnPath({ PATH: path.join(root, "nowhere") })).toEqual({});
    expect(npmCliVersion(installed("d", { name: "npm", version: "eleven" }))).toBeUndefined();
  });
});
