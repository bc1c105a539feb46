import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { PolyglotError } from "@polyglot-changesets/core";
import { afterEach, describe, expect, it } from "vitest";
import {
  CHANGESET_CONFIG,
  CHANGESETS_CLI,
  changesetFile,
  collector,
  createRepo,
  json,
  NPM_LOCK,
  type TempRepo,
} from "./__fixtures__/temp-repo.js";
import { resolveChangesetCommand, runChangesetVersion } from "./changeset-cli.js";
import { predictRelease } from "./release-plan.js";

const repos: TempRepo[] = [];

async function workspace(withChangeset = true): Promise<TempRepo> {
  const r = await createRepo({
    "package.json": json({ name: "root", private: true, workspaces: ["packages/*"] }),
    "package-lock.json": NPM_LOCK,
    ".changeset/config.json": CHANGESET_CONFIG,
    "packages/core/package.json": json({ name: "core", version: "1.2.0" }),
    "packages/app/package.json": json({ name: "app", version: "0.1.0", dependencies: { core: "^1.2.0" } }),
    ...(withChangeset ? { ".changeset/one.md": changesetFile({ core: "minor" }, "New.") } : {}),
  });
  repos.push(r);
  return r;
}

const noArgs = { ignore: [], args: [] };

afterEach(async () => {
  await Promise.all(repos.splice(0).map((r) => r.remove()));
});

describe("predictRelease", () => {
  it("predicts the versions changeset version then writes", async () => {
    const r = await workspace();
    const predicted = await predictRelease(r.dir, noArgs);
    expect(predicted.nothingToVersion).toBe(false);
    expect(await r.changeset("version")).toMatchObject({ exitCode: 0 });
    const written = {
      core: JSON.parse(await r.read("packages/core/package.json")).version,
      app: JSON.parse(await r.read("packages/app/package.json")).version,
    };
    expect(written).toEqual({ core: "1.3.0", app: "0.1.0" });
    expect(Object.fromEntries(predicted.versions)).toEqual({ core: written.core });
  });

  it("follows pre mode", async () => {
    const r = await workspace();
    await r.changeset("pre", "enter", "beta");
    const predicted = await predictRelease(r.dir, noArgs);
    expect(predicted.versions.get("core")).toBe("1.3.0-beta.0");
    expect(predicted.preState?.tag).toBe("beta");
  });

  it("follows --snapshot and --ignore", async () => {
    const r = await workspace();
    const snapshot = await predictRelease(r.dir, { snapshot: "canary", ignore: [], args: [] });
    expect(snapshot.versions.get("core")).toMatch(/^0\.0\.0-canary-\d{14}$/);
    const ignored = await predictRelease(r.dir, { ignore: ["app"], args: [] });
    expect(ignored.versions.has("app")).toBe(false);
  });

  it("reads a Changesets 2 pre.json without migrating it in place", async () => {
    const r = await workspace();
    await r.write({
      ".changeset/pre.json": json({
        mode: "pre",
        tag: "beta",
        initialVersions: { core: "1.2.0", app: "0.1.0" },
        changesets: [],
      }),
    });
    const before = await r.hashes();
    const predicted = await predictRelease(r.dir, noArgs);
    expect(predicted.versions.get("core")).toBe("1.3.0-beta.0");
    expect(await r.hashes()).toEqual(before);
  });

  it("explains a changeset the changesets libraries cannot read, without a stack", async () => {
    const r = await workspace();
    await r.write({ ".changeset/broken.md": "---\ncore: gigantic\n---\n\nHuh.\n" });
    const error = await predictRelease(r.dir, noArgs).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PolyglotError);
    expect((error as PolyglotError).message).toMatch(/^changesets could not assemble the release plan: /);
    expect((error as PolyglotError).fix).toMatch(/changeset status/);
  });

  it("names an unreadable pre.json and an invalid .changeset/config.json", async () => {
    const r = await workspace();
    await r.write({ ".changeset/pre.json": '{ "mode": "pre", ' });
    const pre = (await predictRelease(r.dir, noArgs).catch((caught: unknown) => caught)) as PolyglotError;
    expect(pre.file).toBe(".changeset/pre.json");
    expect(pre.message).toMatch(/^invalid JSON/);
    await r.write({ ".changeset/pre.json": json({ mode: "pre", tag: "beta" }) });
    await r.write({ ".changeset/config.json": json({ access: "everyone" }) });
    const config = (await predictRelease(r.dir, noArgs).catch((caught: unknown) => caught)) as PolyglotError;
    expect(config).toBeInstanceOf(PolyglotError);
    expect(config.file).toBe(".changeset/config.json");
    expect(config.message).toMatch(/^invalid configuration: .*access/);
  });

  it("knows when changeset version will find nothing to do", async () => {
    const r = await workspace(false);
    expect((await predictRelease(r.dir, noArgs)).nothingToVersion).toBe(true);
  });
});

describe("runChangesetVersion", () => {
  it("runs the repo's own changesets CLI on this Node", async () => {
    const r = await workspace();
    const command = await resolveChangesetCommand(r.dir);
    expect(command).toEqual({ file: process.execPath, args: [path.join(CHANGESETS_CLI, "bin.js")] });
    expect(CHANGESETS_CLI).toMatch(/@changesets\+cli@3/);
  });

  it("explains in one line when no changesets CLI can be started", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "polyglot-no-cli-"));
    try {
      const stderr = collector();
      const code = await runChangesetVersion(
        dir,
        [],
        { stdout: collector().stream, stderr: stderr.stream },
        { stdoutToStderr: false, env: { PATH: dir } },
      );
      expect(code).toBe(2);
      expect(stderr.text()).toMatch(/^polyglot-version: could not start changeset version: .*ENOENT/);
      expect(stderr.text()).toMatch(/fix: install the changesets CLI/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("returns changeset version's exit code and passes its output through", async () => {
    const r = await workspace(false);
    const stdout = collector();
    const stderr = collector();
    const code = await runChangesetVersion(
      r.dir,
      [],
      { stdout: stdout.stream, stderr: stderr.stream },
      { stdoutToStderr: false },
    );
    expect(code).toBe(1);
    expect(stdout.text() + stderr.text()).toMatch(/No unreleased changesets found/);
  });
});
