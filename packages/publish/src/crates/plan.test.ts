import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadWorkspace, sparseIndexPath } from "@polyglot-changesets/core";
import {
  type CratesServer,
  cargoEnv,
  createTempRepo,
  findCargo,
  startCrates,
} from "@polyglot-changesets/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Finding } from "../preflight.js";
import { fetchCrateVersions } from "./index.js";
import { planCrates } from "./plan.js";
import { runCratesPreflight } from "./preflight.js";

const cargo = findCargo();
let crates: CratesServer;
let junk: Server;
let junkUrl: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  crates = await startCrates();
  crates.seed("pub-a", "1.0.0");
  crates.seed("pub-a", "1.1.0", { yanked: true });
  // A server that answers 200 with anything but an index file.
  junk = createServer((req, res) => {
    res.writeHead(200, { "content-type": "text/plain" });
    res.end(req.url?.endsWith("/other") ? '{"name":"not-other","vers":"1.0.0"}\n' : "<html>\n");
  });
  await new Promise<void>((resolve) => junk.listen(0, "127.0.0.1", resolve));
  junkUrl = `http://127.0.0.1:${(junk.address() as AddressInfo).port}/`;
  const cargoHome = mkdtempSync(path.join(tmpdir(), "polyglot-cargo-home-"));
  env = { ...process.env, ...cargoEnv({ cargoHome }), CARGO_REGISTRY_TOKEN: undefined };
});

afterAll(async () => {
  await crates?.close();
  await new Promise((resolve) => junk?.close(resolve));
});

describe("the sparse index lookup", () => {
  it("uses cargo's prefix paths", () => {
    expect(["a", "ab", "abc", "Abcd-e"].map(sparseIndexPath)).toEqual([
      "1/a",
      "2/ab",
      "3/a/abc",
      "ab/cd/abcd-e",
    ]);
  });

  it("counts yanked versions as existing; a 404 is a crate that does not exist", async () => {
    expect(await fetchCrateVersions(crates.indexUrl, "pub-a")).toEqual({
      exists: true,
      versions: new Set(["1.0.0", "1.1.0"]),
    });
    expect(await fetchCrateVersions(crates.indexUrl, "nothing-here")).toEqual({
      exists: false,
      versions: new Set(),
    });
  });

  it("refuses an answer that is not this crate's index file, naming what it was", async () => {
    await expect(fetchCrateVersions(`sparse+${junkUrl}`, "some")).rejects.toThrow(/line 1 is not JSON/);
    await expect(fetchCrateVersions(`sparse+${junkUrl}`, "other")).rejects.toThrow(
      /names the crate "not-other" instead of other/,
    );
  });
});

/** A workspace of bridge folders for the registry `testkit` (the stand-in). */
async function repoWith(files: Record<string, string | object>) {
  return createTempRepo({
    "package.json": { name: "root", private: true, workspaces: ["crates/*"] },
    "package-lock.json": { name: "root", lockfileVersion: 3, requires: true, packages: {} },
    ".changeset/polyglot.json": { crates: { registry: "testkit" } },
    ".cargo/config.toml": `[registries.testkit]\nindex = "${crates.indexUrl}"\n`,
    "Cargo.toml":
      '[workspace]\nresolver = "2"\nmembers = ["crates/*"]\n[workspace.package]\nedition = "2021"\n',
    ...files,
  });
}

function crate(
  dir: string,
  npm: { name: string; private?: boolean },
  manifest: string,
): Record<string, string | object> {
  return {
    [`crates/${dir}/package.json`]: { version: "1.0.0", ...npm },
    [`crates/${dir}/Cargo.toml`]: manifest,
    [`crates/${dir}/src/lib.rs`]: "",
  };
}

async function findingsOf(
  dir: string,
  runEnv = env,
): Promise<{ findings: Finding[]; plan: Awaited<ReturnType<typeof planCrates>> }> {
  const workspace = await loadWorkspace(dir);
  const plan = await planCrates(workspace, { env: runEnv });
  const check = await runCratesPreflight({
    plan,
    env: runEnv,
    oidc: "off",
    keepToken: false,
    writeCommand: () => {},
  });
  return { findings: check.findings, plan };
}

describe.skipIf(!cargo)("planCrates with the real cargo metadata", () => {
  it("plans what the index lacks, orders by normal and build dependencies only, and flags what cargo would refuse", async () => {
    const repo = await repoWith({
      ...crate(
        "a",
        { name: "a-crate", private: true },
        '[package]\nname = "pub-a"\nversion = "1.1.0"\nedition.workspace = true\n',
      ),
      ...crate(
        "b",
        { name: "b-crate", private: true },
        '[package]\nname = "pub-b"\nversion = "1.0.0"\nedition.workspace = true\n[build-dependencies]\npub-c = { path = "../c", version = "1.0.0", registry = "testkit" }\n[dev-dependencies]\npub-d = { path = "../d" }\n',
      ),
      ...crate(
        "c",
        { name: "c-crate", private: true },
        '[package]\nname = "pub-c"\nversion = "1.0.0"\nedition.workspace = true\n',
      ),
      ...crate(
        "d",
        { name: "d-crate", private: true },
        '[package]\nname = "pub-d"\nversion = "1.0.0"\nedition.workspace = true\n[dependencies]\npub-c = { path = "../c" }\n',
      ),
      ...crate(
        "e",
        { name: "@scope/e" },
        '[package]\nname = "bind-e"\nversion = "1.0.0"\npublish = false\nedition.workspace = true\n',
      ),
    });
    const { plan, findings } = await findingsOf(repo.dir, {
      ...env,
      CARGO_REGISTRIES_TESTKIT_TOKEN: "t0ken-for-this-test",
    });
    // pub-a 1.1.0 is yanked in the index: it exists, nothing to publish.
    expect(plan.alreadyPublished).toEqual(["pub-a@1.1.0"]);
    expect(plan.crates.map((release) => [release.name, release.firstPublish])).toEqual([
      ["pub-b", true],
      ["pub-c", true],
      ["pub-d", true],
    ]);
    // b builds against c (build-dependency) and only dev-depends on d, which needs c: b does not wait for d.
    expect(plan.layers).toEqual([["pub-c"], ["pub-b", "pub-d"]]);
    const byId = (id: string) => findings.filter((finding) => finding.code === id);
    expect(byId("crates-path-dependency-version")).toEqual([
      expect.objectContaining({
        level: "error",
        file: "crates/d/Cargo.toml",
        message: expect.stringMatching(/pub-d depends on pub-c by path without a version/),
      }),
    ]);
    expect(byId("crates-publish-false")).toEqual([
      expect.objectContaining({
        level: "info",
        message: expect.stringMatching(/bind-e .* follows the published package @scope\/e/),
      }),
    ]);
    expect(byId("crates-first-publish")).toEqual([expect.objectContaining({ level: "info" })]);
    expect(byId("crates-no-credentials")).toEqual([]);
  }, 60_000);

  it("names an unresolved version.workspace, a registry-less path dependency and missing credentials", async () => {
    const repo = await repoWith({
      ...crate(
        "a",
        { name: "a-crate", private: true },
        '[package]\nname = "pub-x"\nversion.workspace = true\nedition.workspace = true\n',
      ),
    });
    const broken = await findingsOf(repo.dir);
    expect(broken.findings).toEqual([
      expect.objectContaining({
        code: "cargo-workspace-version",
        level: "error",
        file: "crates/a/Cargo.toml",
      }),
    ]);

    const other = await repoWith({
      ...crate(
        "a",
        { name: "a-crate", private: true },
        '[package]\nname = "pub-y"\nversion = "1.0.0"\nedition.workspace = true\n[dependencies]\npub-z = { path = "../b", version = "1.0.0" }\n',
      ),
      ...crate(
        "b",
        { name: "b-crate", private: true },
        '[package]\nname = "pub-z"\nversion = "1.0.0"\nedition.workspace = true\n',
      ),
    });
    const { findings } = await findingsOf(other.dir);
    expect(findings.map((finding) => finding.code).sort()).toEqual([
      "crates-first-publish",
      "crates-no-credentials",
      "crates-path-dependency-registry",
    ]);
  }, 60_000);

  it("without cargo on PATH, a publishable Cargo target is a cargo-missing error; publish = false ones are not", async () => {
    const repo = await repoWith({
      ...crate("a", { name: "a-crate", private: true }, '[package]\nname = "pub-m"\nversion = "1.0.0"\n'),
      ...crate(
        "b",
        { name: "b-crate", private: true },
        '[package]\nname = "pub-n"\nversion = "1.0.0"\npublish = false\n',
      ),
    });
    const { findings } = await findingsOf(repo.dir, { ...env, PATH: "/nonexistent" });
    expect(findings).toEqual([
      expect.objectContaining({
        code: "cargo-missing",
        level: "error",
        message: expect.stringContaining("crates/a may be publishable"),
      }),
    ]);
  });

  it("a cargo older than 1.68 is cargo-too-old (it cannot read sparse registries)", async () => {
    const bin = mkdtempSync(path.join(tmpdir(), "old-cargo-"));
    const real = cargo as string;
    writeFileSync(
      path.join(bin, "cargo"),
      `#!/bin/sh\nif [ "$1" = "--version" ]; then echo "cargo 1.66.1 (ad779e08b 2023-01-10)"; exit 0; fi\nexec "${real}" "$@"\n`,
    );
    chmodSync(path.join(bin, "cargo"), 0o755);
    const repo = await repoWith({
      ...crate(
        "a",
        { name: "a-crate", private: true },
        '[package]\nname = "pub-old"\nversion = "1.0.0"\nedition.workspace = true\n',
      ),
    });
    const { findings } = await findingsOf(repo.dir, { ...env, PATH: `${bin}:${process.env.PATH}` });
    expect(findings).toContainEqual(
      expect.objectContaining({
        code: "cargo-too-old",
        level: "error",
        message: expect.stringContaining("cargo 1.66.1"),
      }),
    );
  }, 60_000);
});
