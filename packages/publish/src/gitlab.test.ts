// GitLab CI end to end: real git, the real Changesets CLI, real npm reading NPM_ID_TOKEN itself, the testkit
// registry trusting the testkit GitLab issuer; and the doctor's checks of the job's ID-token claims.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { DOTENV_OUTPUT, parseDotenvFile } from "@polyglot-changesets/core";
import {
  type GitlabIdTokenIssuer,
  type PypiServer,
  type Registry,
  startGitlabIdTokenIssuer,
  startPypi,
  startRegistry,
} from "@polyglot-changesets/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createWorkspaceRepo,
  type JobFiles,
  jobFiles,
  registryVersions,
  runCliInProcess,
  seedPackage,
  stepEnv,
} from "./__fixtures__/harness.js";
import { gitlabFindings, gitlabRepositoryPath } from "./gitlab.js";

const PROJECT = "event-forge/event-forge";
const REPOSITORY_URL = `git+https://gitlab.com/${PROJECT}.git`;
let gitlab: GitlabIdTokenIssuer;
let registry: Registry;
let pypi: PypiServer;

beforeAll(async () => {
  gitlab = await startGitlabIdTokenIssuer({ claims: { project_path: PROJECT } });
  registry = await startRegistry({
    oidc: { ...gitlab, provider: "gitlab" },
    trustedPublishers: [
      {
        provider: "gitlab",
        package: "@gl/*",
        projectPath: PROJECT,
        configPath: ".gitlab-ci.yml",
        environment: "npm",
      },
    ],
  });
  pypi = await startPypi();
  const token = await registry.createUser("maintainer");
  for (const name of ["@gl/core", "@gl/doctor"]) await seedPackage(registry, token, name, "1.0.0");
});

afterAll(async () => {
  await Promise.all([gitlab?.close(), registry?.close(), pypi?.close()]);
});

function glPackage(name: string, version: string, url = REPOSITORY_URL): object {
  return {
    name,
    version,
    license: "MIT",
    repository: { type: "git", url },
    publishConfig: { access: "public" },
  };
}

function workspace(packages: Record<string, object>) {
  return createWorkspaceRepo({
    "package.json": { name: "root", private: true, workspaces: ["packages/*"] },
    "package-lock.json": { name: "root", lockfileVersion: 3, requires: true, packages: {} },
    ".npmrc": `registry=${registry.url}\n`,
    ".changeset/polyglot.json": { pypi: { index: pypi.url } },
    ...Object.fromEntries(
      Object.entries(packages).map(([dir, json]) => [`packages/${dir}/package.json`, json]),
    ),
  });
}

/** A GitLab job's env: no GitHub files, the job's variables, the dotenv file of `--dotenv`. */
function gitlabStep(files: JobFiles, variables: Record<string, string>, dotenv?: string): NodeJS.ProcessEnv {
  const env = stepEnv(files, { ...variables, ...(dotenv ? { [DOTENV_OUTPUT]: dotenv } : {}) });
  delete env.GITHUB_OUTPUT;
  delete env.GITHUB_STEP_SUMMARY;
  return env;
}

describe("polyglot-publish on GitLab CI", () => {
  it("publishes through NPM_ID_TOKEN with no token anywhere and writes the outputs as dotenv", async () => {
    const repo = await workspace({
      core: glPackage("@gl/core", "1.1.0"),
      py: { name: "gl-py", version: "0.2.0", private: true },
    });
    await repo.write({ "packages/py/pyproject.toml": '[project]\nname = "gl-py"\nversion = "0.2.0"\n' });
    await repo.git("add", "-A");
    await repo.git("commit", "-qm", "python target");
    const files = jobFiles();
    const dotenv = path.join(mkdtempSync(path.join(tmpdir(), "polyglot-gl-")), "publish.env");
    const variables = await gitlab.jobEnv({ NPM_ID_TOKEN: "npm:127.0.0.1" }, { environment: "npm" });
    const exchanges = registry.exchanges.length;

    const run = await runCliInProcess(
      ["--no-provenance"],
      repo.dir,
      gitlabStep(files, variables, dotenv),
      files,
    );

    expect(run.stderr).not.toMatch(/error/i);
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain("CI: GitLab CI; an OIDC ID token is available");
    expect(await registryVersions(registry, "@gl/core")).toEqual(["1.0.0", "1.1.0"]);
    const accepted = registry.exchanges.slice(exchanges).filter((exchange) => exchange.status === 201);
    // The preflight proves the publisher, then npm itself exchanges NPM_ID_TOKEN.
    expect(accepted.map((exchange) => exchange.package)).toEqual(["@gl/core", "@gl/core"]);
    expect(accepted[0]?.claims).toEqual({
      repository: PROJECT,
      workflow: ".gitlab-ci.yml",
      environment: "npm",
    });
    const written = readFileSync(dotenv, "utf8");
    const outputs = parseDotenvFile(written);
    expect(outputs.PUBLISHED).toBe("true");
    expect(JSON.parse(outputs.PUBLISHED_PACKAGES ?? "")).toEqual(
      expect.arrayContaining([{ name: "@gl/core", version: "1.1.0" }]),
    );
    expect(outputs.PYPI).toBe("true");
    expect(JSON.parse(outputs.PYPI_PACKAGES ?? "")).toMatchObject([{ name: "gl-py", version: "0.2.0" }]);
    const secrets = [...gitlab.issued, ...registry.exchanges.flatMap((exchange) => exchange.token ?? [])];
    for (const secret of secrets) {
      expect(run.everything).not.toContain(secret);
      expect(written).not.toContain(secret);
    }
  });
});

describe("doctor on GitLab CI: the job's ID-token claims", () => {
  async function doctor(variables: Record<string, string>, args: string[] = []) {
    const repo = await workspace({ doctor: glPackage("@gl/doctor", "1.1.0") });
    const files = jobFiles();
    return runCliInProcess(["doctor", ...args], repo.dir, gitlabStep(files, variables), files);
  }

  it("passes a job whose NPM_ID_TOKEN matches the trusted publisher", async () => {
    const run = await doctor(await gitlab.jobEnv({ NPM_ID_TOKEN: "npm:127.0.0.1" }, { environment: "npm" }), [
      "--no-provenance",
    ]);
    expect(run.stdout).toContain("[trusted-publisher-ok]");
    expect(run.exitCode).toBe(0);
  });

  it("names the claim aud of an NPM_ID_TOKEN for another registry", async () => {
    const run = await doctor(
      await gitlab.jobEnv({ NPM_ID_TOKEN: "npm:registry.npmjs.org" }, { environment: "npm" }),
      ["--no-provenance"],
    );
    expect(run.exitCode).toBe(2);
    expect(run.stdout).toContain(
      '[npm-id-token-audience] NPM_ID_TOKEN has the claim aud "npm:registry.npmjs.org"',
    );
    expect(run.stdout).toContain('aud: "npm:127.0.0.1"');
  });

  it("names the claim project_path when repository.url is another project, and the publisher settings", async () => {
    const run = await doctor(
      await gitlab.jobEnv(
        { NPM_ID_TOKEN: "npm:127.0.0.1" },
        { project_path: "someone/fork", environment: "npm" },
      ),
    );
    expect(run.exitCode).toBe(2);
    expect(run.stdout).toContain("[gitlab-project-mismatch]");
    expect(run.stdout).toContain('the claim project_path of NPM_ID_TOKEN is "someone/fork"');
    expect(run.stdout).toContain("[trusted-publisher-mismatch]");
    expect(run.stdout).toContain("add GitLab CI/CD with namespace and project someone/fork");
  });

  it("asks for SIGSTORE_ID_TOKEN with aud sigstore when provenance is on", async () => {
    const missing = await doctor(
      await gitlab.jobEnv({ NPM_ID_TOKEN: "npm:127.0.0.1" }, { environment: "npm" }),
    );
    expect(missing.stdout).toContain("[sigstore-id-token-missing]");
    const wrong = await doctor(
      await gitlab.jobEnv(
        { NPM_ID_TOKEN: "npm:127.0.0.1", SIGSTORE_ID_TOKEN: "npm:127.0.0.1" },
        { environment: "npm" },
      ),
    );
    expect(wrong.stdout).toContain(
      '[sigstore-id-token-audience] SIGSTORE_ID_TOKEN has the claim aud "npm:127.0.0.1"',
    );
    for (const secret of gitlab.issued) expect(wrong.everything).not.toContain(secret);
  });

  it("without NPM_ID_TOKEN (no id_tokens entry) says which entry to add", async () => {
    const run = await doctor(await gitlab.jobEnv({}, { environment: "npm" }), ["--oidc", "require"]);
    expect(run.exitCode).toBe(2);
    expect(run.stdout).toContain("[oidc-unavailable] GitLab CI job without an NPM_ID_TOKEN");
    expect(run.stdout).toContain("id_tokens: { NPM_ID_TOKEN:");
  });
});

describe("gitlabFindings: PYPI_ID_TOKEN", () => {
  const input = {
    ci: { provider: "gitlab" as const, idTokenAvailable: true },
    npm: [],
    hasPypiTargets: true,
  };
  it("names the claim aud of a PYPI_ID_TOKEN not for pypi, and says where the entry belongs when absent", async () => {
    const wrong = gitlabFindings({
      ...input,
      env: { PYPI_ID_TOKEN: await gitlab.sign({ aud: "npm:registry.npmjs.org" }) },
      useOidc: true,
      provenance: false,
    });
    expect(wrong).toMatchObject([{ code: "id-token-audience", level: "error" }]);
    expect(wrong[0]?.message).toContain('PYPI_ID_TOKEN has the claim aud "npm:registry.npmjs.org"');
    const absent = gitlabFindings({ ...input, env: {}, useOidc: true, provenance: false });
    expect(absent).toMatchObject([{ code: "pypi-id-token-missing", level: "info" }]);
    const good = gitlabFindings({
      ...input,
      env: { PYPI_ID_TOKEN: await gitlab.sign({ aud: "pypi" }) },
      useOidc: true,
      provenance: false,
    });
    expect(good).toEqual([]);
  });
});

describe("gitlabRepositoryPath", () => {
  it.each([
    ["git+https://gitlab.com/group/sub/project.git", "group/sub/project"],
    ["https://gitlab.example.com/group/project", "group/project"],
    ["git@gitlab.com:group/project.git", "group/project"],
    ["gitlab:group/project", "group/project"],
    ["git+https://github.com/owner/repo.git", undefined],
  ])("%s -> %s", (url, expected) => {
    expect(gitlabRepositoryPath({ repository: { url } })).toBe(expected);
  });
});
