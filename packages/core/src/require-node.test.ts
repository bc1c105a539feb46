import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { nodeIsSupported } from "./require-node.js";

describe("requireNode", () => {
  it("accepts Node 22.11 and later only", () => {
    expect(nodeIsSupported("22.11.0")).toBe(true);
    expect(nodeIsSupported("22.23.3")).toBe(true);
    expect(nodeIsSupported("24.0.0")).toBe(true);
    expect(nodeIsSupported("22.10.9")).toBe(false);
    expect(nodeIsSupported("20.20.2")).toBe(false);
  });

  // The machine's own Node (20 on these machines; the workspace brings 22): both CLIs must say so in one line.
  const systemNode = "/usr/bin/node";
  const old =
    existsSync(systemNode) &&
    !nodeIsSupported(execFileSync(systemNode, ["-p", "process.versions.node"]).toString());
  const packages = path.resolve(import.meta.dirname, "../..");
  it.runIf(old && existsSync(path.join(packages, "core/dist/require-node.js")))(
    "stops both CLIs on an older Node with one line and exit 2",
    () => {
      for (const bin of ["version/bin/polyglot-version.js", "publish/bin/polyglot-publish.js"]) {
        const result = spawnSync(systemNode, [path.join(packages, bin), "--help"], { encoding: "utf8" });
        expect(result.status).toBe(2);
        expect(result.stderr).toMatch(
          /^polyglot-(version|publish): error: needs Node\.js >= 22\.11\.0, but this is Node\.js 20\./,
        );
        expect(result.stderr.trim().split("\n")).toHaveLength(2);
        expect(result.stderr).not.toContain(" at ");
      }
    },
  );
});
