// The pure parts of polyglot-publish trust: what each package needs, how npm trust list's output is read and
// compared, and the npm trust calls. (The real npm trust against the testkit registry: onboarding.test.ts.)
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import { loadWorkspace, PolyglotError } from "@polyglot-changesets/core";
import { createTempRepo, type FileTree, startRegistry, type TempRepo } from "@polyglot-changesets/testkit";
import { afterAll, describe, expect, it } from "vitest";
import { parseOnboardingArgs } from "../onboarding-args.js";
import { displayCommand, trustCommand } from "./command.js";
import { trustNeeds } from "./needs.js";
import { createArgs, matches, parseJsonStream, trustEnv } from "./npm-trust.js";

const repos: TempRepo[] = [];
afterAll(async () => {
  await Promise.all(repos.map((repo) => repo.cleanup()));
});

async function workspace(files: FileTree) {
  const repo = await createTempRepo({
    "package.json": { name: "root", private: true, workspaces: ["packages/*"] },
    "package-lock.json": { name: "root", lockfileVersion: 3, packages: {} },
    "packages/core/package.json": {
      name: "@acme/core",
      version: "1.0.0",
      repository: { url: "git+https://github.com/acme/widgets.git" },
      publishConfig: { registry: "https://npm.example.com/" },
    },
    "packages/private/package.json": { name: "@acme/private", version: "1.0.0", private: true },
    ...files,
  });
  repos.push(repo);
  return loadWorkspace(repo.dir);
}

/** The PolyglotError `run` throws (undefined when it does not throw). */
function refusal(run: () => unknown): PolyglotError | undefined {
  try {
    run();
  } catch (caught) {
    if (caught instanceof PolyglotError) return caught;
    throw caught;
  }
  return undefined;
}

const github = {
  provider: "github" as const,
  repository: "acme/widgets",
  workflow: "release.yml",
  environment: "npm",
};

describe("trustNeeds", () => {
  it("needs the recorded publisher for each public package, and PyPI values with the upload job's environment", async () => {
    const needs = trustNeeds(
      await workspace({
        ".changeset/polyglot.json": {
          trustedPublisher: { workflow: "release.yml", environment: "npm" },
          targets: [{ path: "py", versionFrom: "@acme/core" }],
        },
        "py/pyproject.toml": '[project]\nname = "acme-py"\nversion = "1.0.0"\n',
        ".github/workflows/release.yml":
          "on: push\njobs:\n  up:\n    runs-on: x\n    environment:\n      name: release-pypi\n    steps:\n      - uses: pypa/gh-action-pypi-publish@release/v1\n",
      }),
      undefined,
    );
    expect(needs.npm.map((need) => [need.package, need.registry, need.publisher])).toEqual([
      ["@acme/core", "https://npm.example.com/", github],
    ]);
    expect(needs.pypi).toEqual([
      {
        name: "acme-py",
        publisher: {
          provider: "github",
          repository: "acme/widgets",
          workflow: "release.yml",
          environment: "release-pypi",
        },
      },
    ]);
  });

  it("gives each crate the crates.io values of the recorded publisher", async () => {
    const needs = trustNeeds(
      await workspace({
        ".changeset/polyglot.json": {
          trustedPublisher: { workflow: "release.yml", environment: "release" },
          targets: [{ path: "crates/x0x", versionFrom: "@acme/core" }],
        },
        "crates/x0x/Cargo.toml": '[package]\nname = "x0x"\nversion = "1.0.0"\nedition = "2021"\n',
      }),
      undefined,
    );
    expect(needs.crates).toEqual([
      {
        name: "x0x",
        publisher: {
          provider: "github",
          repository: "acme/widgets",
          workflow: "release.yml",
          environment: "release",
        },
      },
    ]);
    expect(needs.pypi).toEqual([]);
  });

  it("is an error naming the setting without trustedPublisher, or without a repository", async () => {
    const none = await workspace({});
    expect(() => trustNeeds(none, undefined)).toThrow(PolyglotError);
    expect(() => trustNeeds(none, undefined)).toThrow(/no trusted publisher is recorded/);
    const noRepo = await workspace({
      ".changeset/polyglot.json": { trustedPublisher: { workflow: "release.yml" } },
      "packages/core/package.json": { name: "@acme/core", version: "1.0.0" },
    });
    expect(() => trustNeeds(noRepo, undefined)).toThrow(/cannot tell the repository of @acme\/core/);
    expect(trustNeeds(noRepo, "acme/from-origin").npm[0]?.publisher.repository).toBe("acme/from-origin");
  });

  it("refuses a plain-http registry (login and one-time password in clear text), but not a loopback one", async () => {
    const withRegistry = (registry: string) =>
      workspace({
        ".changeset/polyglot.json": { trustedPublisher: { workflow: "release.yml" } },
        "packages/core/package.json": {
          name: "@acme/core",
          version: "1.0.0",
          repository: { url: "git+https://github.com/acme/widgets.git" },
          publishConfig: { registry },
        },
      });
    const insecure = await withRegistry("http://ci:s3cr3t@npm.example.com/");
    const refused = refusal(() => trustNeeds(insecure, undefined));
    expect(refused).toBeInstanceOf(PolyglotError);
    expect(refused).toMatchObject({
      code: "trust-registry-insecure",
      file: "packages/core/package.json",
      setting: "publishConfig.registry",
      exitCode: 2,
    });
    expect(refused?.message).toMatch(
      /@acme\/core publishes to http:\/\/\*\*\*@npm\.example\.com\/, which is not https/,
    );
    expect(refused?.message).not.toContain("s3cr3t");
    const local = trustNeeds(await withRegistry("http://127.0.0.1:4873/"), undefined);
    expect(local.npm[0]?.registry).toBe("http://127.0.0.1:4873/");
  });

  it("refuses a plain-http registry that a project or package .npmrc sets (npm trust reads both)", async () => {
    const base = {
      ".changeset/polyglot.json": { trustedPublisher: { workflow: "release.yml" } },
      "packages/core/package.json": {
        name: "@acme/core",
        version: "1.0.0",
        repository: { url: "git+https://github.com/acme/widgets.git" },
      },
    };
    const env = { HOME: path.join(tmpdir(), "no-such-home") };
    for (const [npmrc, content] of [
      [".npmrc", "registry=http://registry.npmjs.org/\n"],
      ["packages/core/.npmrc", "@acme:registry=http://npm.example.com/\n"],
    ] as const) {
      const repo = await workspace({ ...base, [npmrc]: content });
      const refused = refusal(() => trustNeeds(repo, undefined, env));
      expect(refused).toMatchObject({ code: "trust-registry-insecure", file: npmrc, setting: "registry" });
    }
    const secure = await workspace({ ...base, ".npmrc": "registry=https://registry.npmjs.org/\n" });
    expect(trustNeeds(secure, undefined, env).npm).toHaveLength(1);
  });
});

describe("npm trust list output", () => {
  it("reads one pretty-printed JSON object per publisher", () => {
    const out = `{\n  "id": "1",\n  "type": "github",\n  "file": "release.yml",\n  "repository": "acme/widgets",\n  "environment": "npm",\n  "permissions": ["createPackage"]\n}\n{\n  "id": "2",\n  "type": "gitlab",\n  "file": ".gitlab-ci.yml",\n  "project": "g/p \\"}"\n}\n`;
    const parsed = parseJsonStream(out);
    expect(parsed).toHaveLength(2);
    expect(parsed[1]).toMatchObject({ project: 'g/p "}' });
    expect(parseJsonStream("")).toEqual([]);
  });

  it("matches only the exact publisher that may publish", () => {
    const registered = {
      type: "github",
      file: "release.yml",
      repository: "acme/widgets",
      environment: "npm",
    };
    expect(matches(registered, github)).toBe(true);
    expect(matches({ ...registered, environment: undefined }, github)).toBe(false);
    expect(matches({ ...registered, file: "other.yml" }, github)).toBe(false);
    expect(matches({ ...registered, permissions: ["createStagedPackage"] }, github)).toBe(false);
    expect(
      matches(
        { type: "gitlab", file: ".gitlab-ci.yml", project: "g/p" },
        { provider: "gitlab", repository: "g/p", workflow: ".gitlab-ci.yml" },
      ),
    ).toBe(true);
  });

  it("builds the npm trust call of each provider", () => {
    const need = {
      package: "@acme/core",
      dir: "/x",
      registry: "https://npm.example.com/",
      publisher: github,
    };
    expect(createArgs(need, github).join(" ")).toBe(
      "trust github @acme/core --file release.yml --repository acme/widgets --environment npm --allow-publish --yes",
    );
    // A registry URL from the repo may carry credentials: it reaches npm through the env, never argv.
    const secret = { ...need, registry: "https://ci:s3cr3t@npm.example.com/" };
    expect(displayCommand(secret)).not.toContain("s3cr3t");
    expect(createArgs(secret, github).join(" ")).not.toContain("s3cr3t");
    expect(trustEnv(secret, {}, "123456")).toEqual({
      npm_config_registry: "https://ci:s3cr3t@npm.example.com/",
      npm_config_otp: "123456",
    });
    expect(trustEnv(secret, {})).not.toHaveProperty("npm_config_otp");
    const gitlab = { provider: "gitlab" as const, repository: "g/p", workflow: ".gitlab-ci.yml" };
    expect(createArgs({ ...need, registry: undefined } as never, gitlab).join(" ")).toBe(
      "trust gitlab @acme/core --file .gitlab-ci.yml --project g/p --allow-publish --yes",
    );
  });
});

describe("init and trust flags", () => {
  it("parses and refuses with the fix", () => {
    expect(parseOnboardingArgs(["trust", "--dry-run", "--cwd", "/r"])).toEqual({
      command: "trust",
      dryRun: true,
      yes: false,
      json: false,
      cwd: "/r",
    });
    expect(parseOnboardingArgs(["init", "--ci", "gitlab", "--cwd", "/r"])).toMatchObject({ ci: "gitlab" });
    expect(parseOnboardingArgs(["init", "-h"])).toEqual({ command: "help", topic: "init" });
    expect(() => parseOnboardingArgs(["init", "--ci", "circle"])).toThrow(/--ci must be github or gitlab/);
    expect(() => parseOnboardingArgs(["trust", "--otp", "12ab"])).toThrow(/--otp must be/);
    expect(() => parseOnboardingArgs(["trust", "--dry-run", "--yes"])).toThrow(/exclude each other/);
    expect(() => parseOnboardingArgs(["trust", "--dryrun"])).toThrow(/did you mean --dry-run/);
  });
});

describe("trust against a registry", () => {
  it("tells a package not on the registry from a missing publisher, and counts the other publishers", async () => {
    await using registry = await startRegistry({
      trustedPublishers: [
        {
          package: "@acme/core",
          repository: "acme/widgets",
          workflow: "nightly.yml",
          id: "n1",
          type: "github",
        },
      ],
    });
    await registry.seed({ name: "@acme/core", version: "1.0.0" });
    const token = await registry.createUser("maintainer");
    const repo = await createTempRepo({
      "package.json": { name: "root", private: true, workspaces: ["packages/*"] },
      "package-lock.json": { name: "root", lockfileVersion: 3, packages: {} },
      ".changeset/polyglot.json": { trustedPublisher: { workflow: "release.yml" } },
      "packages/core/package.json": {
        name: "@acme/core",
        version: "1.0.0",
        repository: "github:acme/widgets",
      },
      "packages/new/package.json": { name: "@acme/new", version: "0.1.0", repository: "github:acme/widgets" },
    });
    repos.push(repo);
    const home = await mkdtemp(path.join(tmpdir(), "polyglot-trust-unit-"));
    await writeFile(
      path.join(home, ".npmrc"),
      `registry=${registry.url}\n${registry.npmrcKey}:_authToken=${token}\n`,
    );
    const system = (process.env.PATH ?? "")
      .split(path.delimiter)
      .filter((dir) => !dir.includes("node_modules"));
    const env = {
      PATH: [path.dirname(process.execPath), ...system].join(path.delimiter),
      HOME: home,
      npm_config_userconfig: path.join(home, ".npmrc"),
      npm_config_cache: path.join(home, ".npm"),
      ...Object.fromEntries(
        ["NODE_EXTRA_CA_CERTS", "SSL_CERT_FILE", "SSL_CERT_DIR"].flatMap((name) =>
          process.env[name] ? [[name, process.env[name] as string]] : [],
        ),
      ),
    };
    const chunks: Buffer[] = [];
    const stdout = new PassThrough().on("data", (chunk: Buffer) => chunks.push(chunk));
    const code = await trustCommand(
      { command: "trust", dryRun: true, yes: false, json: false, cwd: repo.dir },
      { stdout, stderr: stdout, env },
    );
    const out = Buffer.concat(chunks).toString("utf8");
    expect(out).toMatch(
      / {2}@acme\/core\s+missing \(1 other publisher\(s\) registered; npm trust revoke removes stale ones\)\n/,
    );
    expect(out).toMatch(/ {2}@acme\/new\s+not on the registry yet: publish its first version by hand/);
    expect(out).toContain(
      "npm trust github @acme/core --file release.yml --repository acme/widgets --allow-publish --yes",
    );
    expect(out).not.toContain("npm trust github @acme/new");
    expect(code).toBe(0);
  });
});
