import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { createTempRepo } from "@polyglot-changesets/testkit";
import { describe, expect, it } from "vitest";
import { resolveCratesRegistry } from "./registry.js";

const defaults = { registry: "https://crates.io", index: "sparse+https://index.crates.io/" };
const noApi = async () => {
  throw new Error("config.json must not be read");
};

describe("resolveCratesRegistry", () => {
  it("is crates.io by default: cargo's default registry, CARGO_REGISTRY_TOKEN, audience crates.io", async () => {
    expect(await resolveCratesRegistry("/nowhere", defaults, {}, noApi)).toMatchObject({
      cargoName: "crates-io",
      api: "https://crates.io",
      tokenEnv: "CARGO_REGISTRY_TOKEN",
      audience: "crates.io",
      isCratesIo: true,
    });
  });

  it("takes a named registry's index from .cargo/config.toml (the env first) and its api from config.json", async () => {
    const repo = await createTempRepo({
      ".cargo/config.toml": '[registries.my-reg]\nindex = "sparse+https://crates.example/index/"\n',
    });
    const api = async (index: string) => `${index.replace("sparse+", "").replace("/index/", "")}/api-root`;
    expect(await resolveCratesRegistry(repo.dir, { ...defaults, registry: "my-reg" }, {}, api)).toMatchObject(
      {
        cargoName: "my-reg",
        index: "sparse+https://crates.example/index/",
        api: "https://crates.example/api-root",
        tokenEnv: "CARGO_REGISTRIES_MY_REG_TOKEN",
        audience: "crates.example",
        isCratesIo: false,
      },
    );
    const fromEnv = await resolveCratesRegistry(
      repo.dir,
      { ...defaults, registry: "my-reg" },
      { CARGO_REGISTRIES_MY_REG_INDEX: "sparse+https://other.example/" },
      async () => "https://other.example",
    );
    expect(fromEnv.index).toBe("sparse+https://other.example/");
    await repo.cleanup();
  });

  it("names the fix for an undefined registry and refuses a git index", async () => {
    const repo = await createTempRepo({ "README.md": "" });
    await expect(
      resolveCratesRegistry(repo.dir, { ...defaults, registry: "nope" }, {}, noApi),
    ).rejects.toMatchObject({
      setting: "crates.registry",
      fix: expect.stringContaining("[registries.nope]"),
    });
    mkdirSync(path.join(repo.dir, ".cargo"));
    writeFileSync(
      path.join(repo.dir, ".cargo", "config.toml"),
      '[registries.git-reg]\nindex = "https://github.com/x/index"\n',
    );
    await expect(
      resolveCratesRegistry(repo.dir, { ...defaults, registry: "git-reg" }, {}, noApi),
    ).rejects.toThrow(/git index/);
    await repo.cleanup();
  });

  it("gives cargo a registry named by URL through the env (cargo takes env tokens only for named registries)", async () => {
    const registry = await resolveCratesRegistry(
      "/nowhere",
      { registry: "https://crates.example", index: "sparse+https://crates.example/index/" },
      {},
      noApi,
    );
    expect(registry).toMatchObject({
      cargoName: "polyglot-crates",
      tokenEnv: "CARGO_REGISTRIES_POLYGLOT_CRATES_TOKEN",
      cargoEnv: { CARGO_REGISTRIES_POLYGLOT_CRATES_INDEX: "sparse+https://crates.example/index/" },
      audience: "crates.example",
    });
  });
});
