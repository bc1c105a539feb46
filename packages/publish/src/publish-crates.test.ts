// The crates stage end to end: real git, the real cargo (`cargo publish -p`), the real Changesets CLI for the tags
// that follow, the testkit crates.io stand-in with trusted publishing, and the GitHub ID-token stand-in.
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  type CratesServer,
  cargoEnv,
  findCargo,
  type IdTokenServer,
  startCrates,
  startIdTokenServer,
  type TempRepo,
} from "@polyglot-changesets/testkit";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type CliRun,
  createWorkspaceRepo,
  type JobFiles,
  jobFiles,
  runCliInProcess,
  stepEnv,
} from "./__fixtures__/harness.js";

const cargo = findCargo();
const SEED_TOKEN = "seed-token-for-first-versions-0123456789";
const CANARY = "cio_CANARYlongLivedCargoToken0123456789";
const CRATES = ["kt-types", "kt-core", "kt-napi"];

let ids: IdTokenServer;
let crates: CratesServer;
let cargoHome: string;

beforeAll(async () => {
  ids = await startIdTokenServer();
  crates = await startCrates({
    oidc: { issuer: ids.issuer, jwks: ids.jwks },
    tokens: [SEED_TOKEN],
    // crates.io's index lags a little behind the upload: dependents must wait for it.
    visibilityDelayMs: 800,
    trustedPublishers: [...CRATES, "kt-fresh"].map((crate) => ({
      crate,
      repository: "octo-org/octo-repo",
      workflow: "release.yml",
    })),
  });
  // Trusted publishing needs each crate to exist: its first version was published with a token.
  for (const crate of CRATES) crates.seed(crate, "0.1.0");
  cargoHome = mkdtempSync(path.join(tmpdir(), "polyglot-cargo-home-"));
});

afterAll(async () => {
  await Promise.all([crates?.close(), ids?.close()]);
});

/**
 * A workspace of bridge folders (package.json + Cargo.toml): kt-types, and kt-core + kt-napi that depend on it by
 * path (with `version` and `registry`, as cargo needs for a registry other than crates.io) and dev-depend on each
 * other (dev-dependencies do not order the publish).
 */
async function cratesRepo(version: string, names = CRATES): Promise<TempRepo> {
  const onTypes = `kt-types = { path = "../kt-types", version = "${version}", registry = "testkit" }\n`;
  const files: Record<string, string | object> = {
    "package.json": { name: "root", private: true, workspaces: ["crates/*"] },
    "package-lock.json": { name: "root", lockfileVersion: 3, requires: true, packages: {} },
    ".changeset/polyglot.json": { crates: { registry: "testkit" } },
    ".cargo/config.toml": `[registries.testkit]\nindex = "${crates.indexUrl}"\n`,
    "Cargo.toml": '[workspace]\nresolver = "2"\nmembers = ["crates/*"]\n',
    ".gitignore": "node_modules\ntarget\n",
  };
  for (const name of names) {
    const deps = name === "kt-types" ? "" : onTypes;
    const dev = name === "kt-core" && names.includes("kt-napi") ? 'kt-napi = { path = "../kt-napi" }\n' : "";
    files[`crates/${name}/package.json`] = { name: `${name}-crate`, version, private: true };
    files[`crates/${name}/Cargo.toml`] =
      `[package]\nname = "${name}"\nversion = "${version}"\nedition = "2021"\ndescription = "${name} for tests"\nlicense = "MIT"\n\n[dependencies]\n${deps}\n[dev-dependencies]\n${dev}`;
    files[`crates/${name}/src/lib.rs`] =
      name === "kt-types" ? "pub const ANSWER: u32 = 42;\n" : "pub fn answer() -> u32 { kt_types::ANSWER }\n";
  }
  const repo = await createWorkspaceRepo(files);
  await execa(cargo as string, ["generate-lockfile", "--offline"], { cwd: repo.dir, env: cargoProcessEnv() });
  await repo.commit("Cargo.lock");
  return repo;
}

function cargoProcessEnv(): NodeJS.ProcessEnv {
  return { ...process.env, ...cargoEnv({ cargoHome }) };
}

/** A GitHub Actions publish step: `id-token: write` unless `idToken` is false, cargo on PATH, no cargo token. */
function publishStep(
  files: JobFiles,
  extra: Record<string, string | undefined> = {},
  idToken = true,
): NodeJS.ProcessEnv {
  const job = ids.githubEnv();
  if (!idToken) {
    delete job.ACTIONS_ID_TOKEN_REQUEST_URL;
    delete job.ACTIONS_ID_TOKEN_REQUEST_TOKEN;
  }
  return stepEnv(files, { ...job, ...cargoEnv({ cargoHome }), ...extra }, [path.dirname(cargo as string)]);
}

function publishesOf(version: string): string[] {
  return crates.events
    .filter((event) => event.type === "publish" && event.version === version)
    .map((event) => event.crate ?? "");
}

/** Secrets the run saw: minted registry tokens and the job's ID tokens. Only `::add-mask::` lines may hold one. */
function expectNoSecret(run: CliRun, extra: string[] = []): void {
  const secrets = [...crates.issuedTokens, ...ids.issued, ids.requestToken, ...extra];
  expect(secrets.length).toBeGreaterThan(0);
  const leaks = run.everything
    .split("\n")
    .filter((line) => !line.startsWith("::add-mask::") && secrets.some((secret) => line.includes(secret)));
  expect(leaks).toEqual([]);
}

describe.skipIf(!cargo)("polyglot-publish: crates through trusted publishing with the real cargo", () => {
  it("publishes three crates in two layers in order through OIDC with no token in the environment, then the tags", async () => {
    const repo = await cratesRepo("0.2.0");
    const files = jobFiles();
    const eventsBefore = crates.events.length;

    const run = await runCliInProcess(["--json", "--crates-wait", "30"], repo.dir, publishStep(files), files);

    expect(run.exitCode, run.stderr).toBe(0);
    const events = crates.events.slice(eventsBefore);
    // One exchange before the first upload, one revocation after the last one.
    expect(events.map((event) => (event.type === "publish" ? `publish ${event.crate}` : event.type))).toEqual(
      ["exchange", "publish kt-types", "publish kt-core", "publish kt-napi", "revoke"],
    );
    // A dependent is uploaded only once its dependency is visible in the index.
    const typesVisibleFrom =
      crates.crate("kt-types")?.versions.find((v) => v.entry.vers === "0.2.0")?.visibleFrom ?? 0;
    for (const dependent of ["kt-core", "kt-napi"]) {
      const upload = events.find((event) => event.type === "publish" && event.crate === dependent);
      expect(upload?.at).toBeGreaterThanOrEqual(typesVisibleFrom);
    }
    expect(run.stderr + run.stdout).toMatch(
      /layer 1: kt-types@0\.2\.0[^\n]*\n\s+crates\s+layer 2: kt-core@0\.2\.0 \(crates\/kt-core\), kt-napi@0\.2\.0/,
    );

    // The outputs parse, --json carries the same, the summary links each crate.
    expect(run.outputs.crates).toBe("true");
    const packages = CRATES.map((name) => ({ name, version: "0.2.0", path: `crates/${name}` }));
    expect(JSON.parse(run.outputs["crates-packages"] ?? "")).toEqual(packages);
    const json = JSON.parse(run.stdout);
    expect(json.crates).toBe(true);
    expect(json["crates-packages"]).toEqual(packages);
    expect(json.failed).toEqual([]);
    expect(run.summary).toContain("| kt-types | crates.io | 0.2.0 |");
    expect(run.summary).toContain(`(${crates.url}index/kt/-t/kt-types)`);
    // Then the Changesets stage: the bridges' tags.
    expect((await repo.git("tag", "--list")).split("\n").sort()).toEqual(
      CRATES.map((name) => `${name}-crate@0.2.0`).sort(),
    );
    expectNoSecret(run);
  }, 180_000);

  it("a fault on the 2nd crate stops before npm with exit 1; the re-run publishes only what is missing", async () => {
    const repo = await cratesRepo("0.3.0");
    const files = jobFiles();
    const revokedBefore = crates.revokedTokens;
    crates.faults.add({ path: "/api/v1/crates/new", method: "PUT", nth: 2, times: 5, status: 503 });

    const first = await runCliInProcess(
      ["--json", "--crates-wait", "30"],
      repo.dir,
      publishStep(files),
      files,
    );

    crates.faults.clear();
    expect(first.exitCode).toBe(1);
    expect(publishesOf("0.3.0")).toEqual(["kt-types"]);
    expect(crates.revokedTokens).toBe(revokedBefore + 1);
    expect(first.stderr).toMatch(/\[crates-publish-error\] crate kt-core@0\.3\.0 was not published: .*503/);
    expect(first.stdout + first.stderr).toMatch(/stopped before npm and the PyPI hand-off/);
    expect(await repo.git("tag", "--list")).toBe("");
    expect(JSON.parse(first.outputs["crates-packages"] ?? "")).toEqual([
      { name: "kt-types", version: "0.3.0", path: "crates/kt-types" },
    ]);
    expect(JSON.parse(first.stdout).failed).toEqual(["kt-core@0.3.0", "kt-napi@0.3.0"]);

    // The re-run, with a long-lived token in the env and in cargo's credentials: kept out of cargo.
    mkdirSync(path.join(cargoHome), { recursive: true });
    writeFileSync(path.join(cargoHome, "credentials.toml"), `[registries.testkit]\ntoken = "${CANARY}"\n`);
    // ... and the revocation fails: a warning with its code, the release still goes on.
    crates.faults.add({ path: "/api/v1/trusted_publishing/tokens", method: "DELETE", status: 503, times: 5 });
    const second = await runCliInProcess(
      ["--json", "--crates-wait", "30"],
      repo.dir,
      publishStep(files, { CARGO_REGISTRIES_TESTKIT_TOKEN: CANARY }),
      files,
    );
    writeFileSync(path.join(cargoHome, "credentials.toml"), "");
    crates.faults.clear();

    expect(second.exitCode, second.stderr).toBe(0);
    expect(publishesOf("0.3.0").sort()).toEqual([...CRATES].sort());
    expect(second.stdout + second.stderr).toContain("[crates-long-lived-token]");
    expect(second.stderr).toContain(
      "warning: [crates-revoke-failed] could not revoke the trusted-publishing token (HTTP 503)",
    );
    expect(
      crates.requests.some((request) => String(request.headers.authorization ?? "").includes(CANARY)),
    ).toBe(false);
    expect(
      JSON.parse(second.outputs["crates-packages"] ?? "").map((entry: { name: string }) => entry.name),
    ).toEqual(["kt-core", "kt-napi"]);
    expect((await repo.git("tag", "--list")).split("\n").sort()).toEqual(
      CRATES.map((name) => `${name}-crate@0.3.0`).sort(),
    );
    expectNoSecret(first);
    expectNoSecret(second, [CANARY]);
  }, 240_000);

  it("a crate's first publish stops before anything is published, with crates-first-publish", async () => {
    const repo = await cratesRepo("0.4.0", ["kt-types", "kt-fresh"]);
    const files = jobFiles();
    const eventsBefore = crates.events.length;

    const run = await runCliInProcess(["--json"], repo.dir, publishStep(files), files);

    expect(run.exitCode).toBe(2);
    expect(run.stdout + run.stderr).toContain(
      "[crates-first-publish] kt-fresh is not on the registry testkit yet",
    );
    const json = JSON.parse(run.stdout);
    expect(json.findings.map((finding: { code: string }) => finding.code)).toContain("crates-first-publish");
    expect(json.crates).toBe(false);
    expect(run.outputs.crates).toBe("false");
    const events = crates.events.slice(eventsBefore).map((event) => event.type);
    expect(events).not.toContain("publish");
    // The exchange that proved the trusted publisher was revoked at once.
    expect(events.filter((type) => type === "exchange").length).toBe(
      events.filter((type) => type === "revoke").length,
    );
    expectNoSecret(run);
  }, 60_000);

  it("a job without id-token stops with crates-oidc-unavailable (--oidc require) or crates-no-credentials (auto)", async () => {
    const repo = await cratesRepo("0.5.0");
    const files = jobFiles();
    const eventsBefore = crates.events.length;

    const required = await runCliInProcess(
      ["--oidc", "require"],
      repo.dir,
      publishStep(files, {}, false),
      files,
    );
    expect(required.exitCode).toBe(2);
    expect(required.stdout).toContain("[crates-oidc-unavailable]");
    expect(required.stdout).toContain("id-token: write");

    const auto = await runCliInProcess([], repo.dir, publishStep(files, {}, false), files);
    expect(auto.exitCode).toBe(2);
    expect(auto.stdout).toContain("[crates-no-credentials]");
    expect(crates.events.slice(eventsBefore)).toEqual([]);
  }, 60_000);

  it("--dry-run plans the layers and proves the exchange, then revokes; publishes nothing", async () => {
    const repo = await cratesRepo("0.6.0");
    const files = jobFiles();
    const eventsBefore = crates.events.length;

    const run = await runCliInProcess(["--dry-run", "--json"], repo.dir, publishStep(files), files);

    expect(run.exitCode, run.stderr).toBe(0);
    expect(crates.events.slice(eventsBefore).map((event) => event.type)).toEqual(["exchange", "revoke"]);
    const json = JSON.parse(run.stdout);
    expect(json["dry-run"]).toBe(true);
    expect(json.rows.filter((row: { ecosystem: string }) => row.ecosystem === "crates.io")).toEqual([
      expect.objectContaining({ package: "kt-types", status: "would publish (layer 1)" }),
      expect.objectContaining({ package: "kt-core", status: "would publish (layer 2)" }),
      expect.objectContaining({ package: "kt-napi", status: "would publish (layer 2)" }),
    ]);
    expect(run.outputs.crates).toBe("false");
    expectNoSecret(run);
  }, 60_000);

  it("doctor lists the crates plan and proves the trusted publisher with an exchange it revokes", async () => {
    const repo = await cratesRepo("0.7.0");
    const files = jobFiles();
    const eventsBefore = crates.events.length;

    const run = await runCliInProcess(["doctor", "--json"], repo.dir, publishStep(files), files);

    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stderr).toContain("[crates-trusted-publisher-ok]");
    expect(run.stderr).toMatch(/would publish crates to .* first, layer by layer/);
    expect(crates.events.slice(eventsBefore).map((event) => event.type)).toEqual(["exchange", "revoke"]);
    expect(JSON.parse(run.stdout).rows.map((row: { package: string }) => row.package)).toEqual(
      expect.arrayContaining(CRATES),
    );
    expectNoSecret(run);
  }, 60_000);
});
