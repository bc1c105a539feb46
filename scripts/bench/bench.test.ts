// Smoke test of the benchmark harness at a tiny size: each generator, and both commands of each benchmark, run
// and produce a correctly versioned / published / rendered result. No timing assertions (that is `pnpm bench`).
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { changelogOnce, startBenchGithub } from "./changelog.mjs";
import { changelogChangesets, publishRepo, syncRepo, versionRepo } from "./generate.mjs";
import { NODE, pad, prng, removeDir, timed } from "./lib.mjs";
import { publishScenarios, registryVersions, startBenchRegistry } from "./publish.mjs";
import { benchSync, benchVersion, benchWriteStrategies, checkVersionRepo, growth } from "./version.mjs";

const cleanup: string[] = [];
afterAll(async () => {
  for (const dir of cleanup) await removeDir(dir);
});

describe("generators", () => {
  test("are deterministic (seeded) and have the requested shape", () => {
    expect(prng(3).hex(16)).toBe(prng(3).hex(16));
    const a = versionRepo({ npm: 10, python: 5 });
    const b = versionRepo({ npm: 10, python: 5 });
    expect(a.files).toEqual(b.files);
    expect(Object.keys(a.files).filter((f) => /^packages\/[^/]+\/package\.json$/.test(f))).toHaveLength(10);
    expect(Object.keys(a.files).filter((f) => f.endsWith("pyproject.toml"))).toHaveLength(5);
    expect(Object.keys(a.files).filter((f) => /^\.changeset\/bench-\d+\.md$/.test(f)).length).toBeGreaterThan(
      0,
    );
    const sync = syncRepo({ targets: 20 });
    expect(sync.bridges + sync.follow).toBe(20);
    const pub = publishRepo({ count: 4, scope: "s", registry: "http://127.0.0.1:1/", token: "t" });
    expect(pub[".npmrc"]).toContain("//127.0.0.1:1/:_authToken=t");
    expect(changelogChangesets({ count: 5 })).toEqual(changelogChangesets({ count: 5 }));
  });
});

describe("measures", () => {
  test("timed keeps the exit code and reports the peak RSS of the command (GNU time)", async () => {
    const result = await timed(NODE, ["-e", "globalThis.x = Buffer.alloc(64 * 2 ** 20, 1); process.exit(3)"]);
    expect(result.code).toBe(3);
    expect(result.ms).toBeGreaterThan(0);
    expect(result.rssKb).toBeGreaterThan(64 * 1024);
  });

  test("growth compares time and RSS with the size factor", () => {
    const say = () => {};
    expect(growth("x", { files: 10, ms: 100, rssKb: 50 }, { files: 100, ms: 500, rssKb: 100 }, say)).toEqual({
      size: 10,
      time: 5,
      rss: 2,
      linear: true,
    });
    expect(growth("x", { files: 10, ms: 100 }, { files: 20, ms: 500 }, say).linear).toBe(false);
  });
});

describe("version", () => {
  test("changeset version and polyglot-version give the same npm versions; polyglot-version syncs Python", async () => {
    const r = await benchVersion({ npm: 4, python: 2, reps: 1, keep: true, say: () => {} });
    cleanup.push(r.template, r.repos.bare, r.repos.poly);
    for (let i = 0; i < 4; i++) {
      const rel = `packages/pkg-${pad(i)}/package.json`;
      const bare = JSON.parse(await readFile(join(r.repos.bare, rel), "utf8"));
      const poly = JSON.parse(await readFile(join(r.repos.poly, rel), "utf8"));
      expect(poly.version).toBe(bare.version);
    }
    expect(await checkVersionRepo(r.repos.poly, 2)).toEqual([]);
    expect(Number.isFinite(r.ratio)).toBe(true);
  });

  test("the write strategies of the sync each run and report a time", async () => {
    const times = await benchWriteStrategies({ files: 5, reps: 1, say: () => {} });
    expect(Object.keys(times)).toEqual(["in place", "journal + in place", "temp + rename"]);
    for (const ms of Object.values(times)) expect(ms).toBeGreaterThanOrEqual(0);
  });

  test("--sync-only syncs every target", async () => {
    const r = await benchSync({ targets: 10, reps: 1, keep: true, say: () => {} });
    cleanup.push(r.template, r.repo);
    for (let j = 0; j < 9; j++) {
      const toml = await readFile(join(r.repo, `python/py-${pad(j)}/pyproject.toml`), "utf8");
      expect(toml).toMatch(/^version = "1\.1\.0"/m);
    }
    const init = await readFile(join(r.repo, "targets/t-0000/src/bench_t_0000/__init__.py"), "utf8");
    expect(init).toContain('__version__ = "2.0.0"');
  });
});

describe("publish", () => {
  test("both tools publish all new, then nothing, then the changed ones, to the testkit registry", async () => {
    const { registry, token } = await startBenchRegistry();
    try {
      for (const tool of ["bare", "poly"] as const) {
        const scope = `smoke${tool}${Date.now().toString(36)}`;
        const t = await publishScenarios({ tool, registry, token, count: 4, changed: 2, scope });
        expect(t.names).toHaveLength(4);
        expect((await registryVersions(registry.url, t.names[0])).sort()).toEqual(["1.0.0", "1.0.1"]);
        expect(await registryVersions(registry.url, t.names[1])).toEqual(["1.0.0"]);
      }
    } finally {
      await registry.close();
    }
  }, 180_000);
});

describe("changelog", () => {
  test("both generators render every line against the testkit GitHub API", async () => {
    const api = await startBenchGithub({ count: 12 });
    try {
      const bare = await changelogOnce(api, "bare", 12);
      const poly = await changelogOnce(api, "poly", 12);
      expect(bare.requests).toBeGreaterThan(0);
      expect(poly.lines.length).toBe(bare.lines.length);
      expect(poly.lines.filter(Boolean).length).toBeGreaterThan(0);
    } finally {
      await api.close();
    }
  });
});
