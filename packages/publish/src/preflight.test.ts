// biome-ignore-all lint/suspicious/noTemplateCurlyInString: a .yarnrc.yml placeholder is the subject here
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { NpmRelease, PublishPlan } from "./plan.js";
import { chooseNpm, type Finding, type OidcMode, repositoryOf, runPreflight } from "./preflight.js";

const GITHUB_WITH_ID_TOKEN = {
  GITHUB_ACTIONS: "true",
  GITHUB_REPOSITORY: "octo-org/octo-repo",
  ACTIONS_ID_TOKEN_REQUEST_URL: "http://127.0.0.1:9/token",
  ACTIONS_ID_TOKEN_REQUEST_TOKEN: "request-token",
};

function release(overrides: Partial<NpmRelease> = {}): NpmRelease {
  return {
    name: "@acme/a",
    version: "1.1.0",
    registry: "https://registry.npmjs.org/",
    access: "public",
    distTag: "latest",
    gitTag: "@acme/a@1.1.0",
    firstPublish: false,
    relativeDir: "packages/a",
    packageJson: { repository: { url: "git+https://github.com/octo-org/octo-repo.git" } },
    ...overrides,
  };
}

function plan(tool: PublishPlan["tool"], npm: NpmRelease[] = [release()], root = tmpdir()): PublishPlan {
  return {
    root,
    tool,
    npm,
    tagOnly: [],
    pypi: [],
    alreadyPublished: [],
    order: [npm.map((r) => r.name)],
    pypiIndex: "https://pypi.org",
  };
}

async function findings(options: {
  env?: NodeJS.ProcessEnv;
  oidc?: OidcMode;
  plan?: PublishPlan;
  provenance?: boolean;
}): Promise<Finding[]> {
  const result = await runPreflight({
    plan: options.plan ?? plan("npm"),
    env: options.env ?? GITHUB_WITH_ID_TOKEN,
    oidc: options.oidc ?? "auto",
    provenance: options.provenance ?? true,
    npmrcFiles: [],
    runnerNpm: "11.21.2",
    bundledNpm: "11.21.2",
    skipExchange: true,
  });
  return result.findings;
}

const TOKEN_KEY = "npm_config_//registry.npmjs.org/:_authToken";
const WITH_TOKEN = { ...GITHUB_WITH_ID_TOKEN, [TOKEN_KEY]: "npm_token" };

const ids = (list: Finding[]) =>
  list.filter((finding) => finding.level !== "info").map((finding) => `${finding.level}:${finding.code}`);

describe("runPreflight", () => {
  it("is clean for a well-configured GitHub job", async () => {
    expect(ids(await findings({}))).toEqual([]);
  });

  it("names a missing id-token permission: an error under require, a warning under auto, nothing under off", async () => {
    const {
      ACTIONS_ID_TOKEN_REQUEST_URL: _u,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: _t,
      ...env
    } = GITHUB_WITH_ID_TOKEN;
    const withToken = { ...env, [TOKEN_KEY]: "npm_token" };
    expect(ids(await findings({ env: withToken, oidc: "require" }))).toContain(
      "error:oidc-permission-missing",
    );
    expect(ids(await findings({ env: withToken, oidc: "auto" }))).toEqual([
      "warning:oidc-permission-missing",
    ]);
    expect(ids(await findings({ env: withToken, oidc: "off" }))).toEqual([]);
  });

  it("stops a publish that nothing can authenticate: no ID token and no token for the registry", async () => {
    const {
      ACTIONS_ID_TOKEN_REQUEST_URL: _u,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: _t,
      ...env
    } = GITHUB_WITH_ID_TOKEN;
    const result = await findings({ env, oidc: "auto" });
    expect(ids(result)).toEqual(["warning:oidc-permission-missing", "error:no-credentials"]);
    const finding = result.find((entry) => entry.code === "no-credentials");
    expect(finding?.message).toContain("@acme/a to https://registry.npmjs.org/");
    expect(finding?.fix).toMatch(
      /id-token: write.*or configure a token for https:\/\/registry\.npmjs\.org\//,
    );
    expect(result.find((entry) => entry.code === "oidc-permission-missing")?.message).toContain(
      "no token is configured either",
    );
    expect(ids(await findings({ env: {}, oidc: "auto" }))).toEqual(["error:no-credentials"]);
    // A placeholder whose variable is unset is no credential either.
    expect(ids(await findings({ env: { [TOKEN_KEY]: "${NODE_AUTH_TOKEN}" }, oidc: "off" }))).toEqual([
      "error:no-credentials",
    ]);
    expect(ids(await findings({ env: { [TOKEN_KEY]: "npm_token" }, oidc: "off" }))).toEqual([]);
  });

  it("says a token variable no .npmrc line refers to is not used, and gives only token advice under --oidc off", async () => {
    const result = await findings({ env: { NPM_TOKEN: "npm_x" }, oidc: "off" });
    const token = result.find((entry) => entry.code === "long-lived-token");
    expect(token?.message).toContain("env NPM_TOKEN: not used: no .npmrc `_authToken` line refers to it");
    expect(token?.fix).toContain("_authToken=${NPM_TOKEN}");
    const error = result.find((entry) => entry.code === "no-credentials");
    expect(error?.fix).toMatch(
      /^drop --oidc off to publish through trusted publishing, or configure a token/,
    );
    // Nothing for npm to publish: no talk of falling back on a token.
    const none = await findings({ env: {}, oidc: "auto", plan: plan("npm", []) });
    expect(none.find((entry) => entry.code === "oidc-unavailable")?.message).not.toMatch(/token/);
  });

  it("tells GitLab jobs how to get an ID token", async () => {
    const list = await findings({ env: { GITLAB_CI: "true" }, oidc: "require" });
    expect(list.find((finding) => finding.code === "oidc-unavailable")?.fix).toContain("NPM_ID_TOKEN");
  });

  it("checks repository.url, access and first publishes against the mode", async () => {
    const bad = release({
      name: "@acme/b",
      access: "restricted",
      firstPublish: true,
      packageJson: { repository: "github:someone/else" },
    });
    expect(ids(await findings({ plan: plan("npm", [bad]) }))).toEqual([
      "error:first-publish",
      "error:repository-mismatch",
      "error:scoped-access",
    ]);
    expect(ids(await findings({ plan: plan("npm", [bad]), oidc: "off", env: WITH_TOKEN }))).toEqual([
      "warning:repository-mismatch",
      "warning:scoped-access",
    ]);
    const firstPublish = (await findings({ plan: plan("npm", [bad]) })).find(
      (f) => f.code === "first-publish",
    );
    expect(firstPublish?.message).toContain("a restricted package that exists is not visible");
    expect(firstPublish?.fix).toContain("if @acme/b exists but is restricted, publish it with --oidc off");
    const noRepository = release({ packageJson: {} });
    expect(ids(await findings({ plan: plan("npm", [noRepository]) }))).toEqual(["error:repository-missing"]);
    expect(ids(await findings({ plan: plan("npm", [noRepository]), provenance: false }))).toEqual([]);
  });

  it("warns about Yarn with a token in .yarnrc.yml, and about bun", async () => {
    const root = mkdtempSync(path.join(tmpdir(), "yarn-"));
    writeFileSync(path.join(root, ".yarnrc.yml"), 'npmAuthToken: "${NPM_TOKEN}"\n');
    expect(ids(await findings({ plan: plan("yarn", [release()], root) }))).toEqual(["warning:yarn-token"]);
    expect(ids(await findings({ plan: plan("bun") }))).toEqual(["warning:bun-no-oidc"]);
  });
});

describe("chooseNpm", () => {
  it("keeps the runner's npm when it does OIDC, else the bundled one", () => {
    expect(chooseNpm("11.5.1", "11.21.2", false)).toBe("runner");
    expect(chooseNpm("11.5.0", "11.21.2", false)).toBe("bundled");
    expect(chooseNpm(undefined, "11.21.2", false)).toBe("bundled");
    // Blanked project credentials need the exchanged token on npm's command-line layer (npm >= 11.21).
    expect(chooseNpm("11.19.1", "11.21.2", true)).toBe("bundled");
    expect(chooseNpm("12.0.0", "11.21.2", true)).toBe("runner");
  });
});

describe("repositoryOf", () => {
  it.each([
    ["git+https://github.com/o/r.git", "o/r"],
    ["https://github.com/o/r", "o/r"],
    ["git@github.com:o/r.git", "o/r"],
    ["ssh://git@github.com/o/r.git", "o/r"],
    ["github:o/r", "o/r"],
    ["o/r", "o/r"],
    ["https://github.com/o/r/tree/main/packages/a", "o/r"],
    ["https://gitlab.com/g/p.git", "https://gitlab.com/g/p.git"],
  ])("%s -> %s", (url, expected) => {
    expect(repositoryOf({ repository: { url } })).toBe(expected);
  });
});
