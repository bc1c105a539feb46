import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { childEnv, ensureTool, linkBundledNpm, repoRoot, toolsCacheDir } from "./tools.js";

let cacheDir: string;

beforeAll(async () => {
  cacheDir = await mkdtemp(join(tmpdir(), "polyglot-tools-"));
});
afterAll(() => rm(cacheDir, { recursive: true, force: true }));

describe("ensureTool", () => {
  it("installs once for concurrent callers and returns a working bin folder", async () => {
    const [first, second] = await Promise.all([
      ensureTool("pnpm@10.34.8", cacheDir),
      ensureTool("pnpm@10.34.8", cacheDir),
    ]);
    expect(first).toBe(join(cacheDir, "pnpm@10.34.8", "bin"));
    expect(second).toBe(first);
    const version = await execa(join(first, "pnpm"), ["--version"], {
      env: childEnv({ home: cacheDir }),
      extendEnv: false,
    });
    expect(version.stdout.trim()).toBe("10.34.8");
    expect(existsSync(join(cacheDir, "pnpm@10.34.8.lock"))).toBe(false);
    const started = Date.now();
    expect(await ensureTool("pnpm@10.34.8", cacheDir)).toBe(first);
    expect(Date.now() - started).toBeLessThan(100);
  });

  it("refuses a spec that is not name@exact-version", async () => {
    await expect(ensureTool("pnpm", cacheDir)).rejects.toThrow(/name@exact-version/);
    await expect(ensureTool("pnpm@latest", cacheDir)).rejects.toThrow(/name@exact-version/);
  });

  it("fails for a version the registry does not have, and releases its lock", async () => {
    await expect(ensureTool("pnpm@0.0.999", cacheDir)).rejects.toThrow(
      /ETARGET|No matching version|notarget/i,
    );
    expect(existsSync(join(cacheDir, "pnpm@0.0.999.lock"))).toBe(false);
    expect(existsSync(join(cacheDir, "pnpm@0.0.999", ".polyglot-tool-complete"))).toBe(false);
  });

  it("caches below the workspace's node_modules", () => {
    const root = repoRoot() ?? "";
    expect(existsSync(join(root, "pnpm-workspace.yaml"))).toBe(true);
    expect(existsSync(join(root, "packages/testkit/package.json"))).toBe(true);
    expect(repoRoot(cacheDir)).toBeUndefined();
    expect(toolsCacheDir()).toBe(join(repoRoot() ?? "", "node_modules/.cache/polyglot-testkit/tools"));
  });
});

describe("childEnv", () => {
  it("keeps the parent's npm settings, CI variables and node_modules/.bin folders out", () => {
    const saved = { ...process.env };
    process.env.npm_config_registry = "https://parent.invalid/";
    process.env.GITHUB_ACTIONS = "true";
    process.env.PATH = `/work/x/node_modules/.bin:${saved.PATH}`;
    try {
      const env = childEnv({ home: "/tmp/h", path: ["/opt/tool/bin"], extra: { A: "1", B: undefined } });
      expect(env.npm_config_registry).toBeUndefined();
      expect(env.GITHUB_ACTIONS).toBeUndefined();
      expect(env.HOME).toBe("/tmp/h");
      expect(env.npm_config_userconfig).toBe("/tmp/h/.npmrc");
      expect(env.A).toBe("1");
      expect("B" in env).toBe(false);
      const path = env.PATH?.split(":") ?? [];
      expect(path.slice(0, 2)).toEqual(["/opt/tool/bin", dirname(process.execPath)]);
      expect(path.some((dir) => dir.includes("node_modules/.bin"))).toBe(false);
    } finally {
      process.env = saved;
    }
  });

  it("links testkit's npm 11.21.2 into a bin folder", async () => {
    const bin = await linkBundledNpm(join(cacheDir, "npm-bin"));
    const result = await execa("npm", ["--version"], {
      env: childEnv({ home: cacheDir, path: [bin] }),
      extendEnv: false,
    });
    expect(result.stdout.trim()).toBe("11.21.2");
  });
});
