// The proof that `pnpm demo --example x0x` works: runs scripts/demo.mjs as a child (the packages must be built)
// and checks the crates went first, in layers, through trusted publishing, then npm, and that nothing leaked.
import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { findCargo } from "@polyglot-changesets/testkit";
import { beforeAll, describe, expect, it } from "vitest";

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const cargo = findCargo();

function runDemo(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, "scripts", "demo.mjs"), ...args], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
    });
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

describe.skipIf(!cargo)("pnpm demo --example x0x", () => {
  let demo: Awaited<ReturnType<typeof runDemo>>;

  beforeAll(async () => {
    demo = await runDemo(["--example", "x0x"]);
    if (demo.code !== 0) process.stderr.write(`demo exited ${demo.code}\n${demo.stdout}\n${demo.stderr}\n`);
  }, 300_000);

  it("exits 0 after the six numbered steps", () => {
    expect(demo.code).toBe(0);
    for (let n = 1; n <= 6; n++) expect(demo.stdout).toContain(`[${n}/6] `);
  });

  it("publishes the crates first, in layers, through one exchanged token that is revoked, then npm", () => {
    expect(demo.stdout).toContain(
      "crates.io: exchange -> publish x0x-types@0.5.0 -> publish x0x@0.5.0 -> revoke",
    );
    expect(demo.stdout.indexOf("cargo publish -p x0x --registry testkit")).toBeLessThan(
      demo.stdout.indexOf("Successfully published:"),
    );
    expect(demo.stdout).toContain("crates=true");
    expect(demo.stdout).toContain(
      'crates-packages=[{"name":"x0x-types","version":"0.5.0","path":"crates/x0x-types"},{"name":"x0x","version":"0.5.0","path":"crates/x0x"}]',
    );
    expect(demo.stdout).toContain("pypi=true");
  });

  it("prints what landed where, and the registries agree", () => {
    expect(demo.stdout).toMatch(
      /\| x0x-types \| crates\.io \| 0\.5\.0 +\| sparse\+http:\/\/127\.0\.0\.1:\d+\/index\/ \| 0\.4\.0, 0\.5\.0/,
    );
    expect(demo.stdout).toMatch(/\| @x0x\/core +\| npm +\| 0\.5\.0/);
    expect(demo.stdout).toContain("agree: the crates index and the npm registry hold 0.5.0");
  });

  it("prints no token: no JWT, no minted crates token", () => {
    const output = demo.stdout + demo.stderr;
    expect(output).not.toMatch(/eyJ[\w-]{10,}\.[\w-]{10,}/);
    expect(output).not.toMatch(/\bcio[\w-]{30,}/);
  });
});
