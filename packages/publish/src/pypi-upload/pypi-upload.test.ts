// pypi-upload end to end: Debian's real build and twine against the testkit PyPI, minting through the testkit's
// GitHub Actions endpoint and GitLab ID tokens. The `twine` first on PATH is a wrapper that records its command
// line and the names of its environment, then runs the real /usr/bin/twine.
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseDotenvFile } from "@polyglot-changesets/core";
import {
  type GitlabIdTokenIssuer,
  type IdTokenServer,
  type PypiServer,
  startGitlabIdTokenIssuer,
  startIdTokenServer,
  startPypi,
} from "@polyglot-changesets/testkit";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type JobFiles, jobFiles, runCliInProcess, stepEnv } from "../__fixtures__/harness.js";

const PYTHON = "/usr/bin/python3";
const REAL_TWINE = "/usr/bin/twine";
const CLI = path.resolve(import.meta.dirname, "../../bin/polyglot-publish.js");
const PROJECT = "event-forge/event-forge";
const STATIC_TOKEN = "pypi-static-token-for-old-forge";

const missingTools = await findMissingTools();
if (missingTools && process.env.CI) throw new Error(`pypi-upload tests need ${missingTools}`);

async function findMissingTools(): Promise<string | undefined> {
  const build = await execa(PYTHON, ["-c", "import build, hatchling"], { reject: false });
  const twine = await execa(REAL_TWINE, ["--version"], { reject: false });
  const missing = [
    build.exitCode === 0 ? "" : "python3-build python3-hatchling",
    twine.exitCode === 0 ? "" : "twine",
  ];
  const list = missing.filter(Boolean).join(" ");
  return list ? `apt-get install -y ${list} (bash scripts/install-python-tools.sh)` : undefined;
}

let work: string;
let github: IdTokenServer;
let gitlab: GitlabIdTokenIssuer;
let pypi: PypiServer;
let files: JobFiles;
/** The wrapper's folder (first on PATH) and its record of every run. */
let wrapperDir: string;
let wrapperLog: string;

beforeAll(async () => {
  if (missingTools) return;
  work = mkdtempSync(path.join(tmpdir(), "polyglot-pypi-upload-"));
  github = await startIdTokenServer({ claims: { repository: "acme/forge" } });
  gitlab = await startGitlabIdTokenIssuer({ claims: { project_path: PROJECT } });
  pypi = await startPypi({
    oidc: [github, { ...gitlab, provider: "gitlab" }],
    tokens: [STATIC_TOKEN],
    trustedPublishers: [
      { project: "tiny-forge", repository: "acme/forge", workflow: "release.yml", environment: "pypi" },
      {
        provider: "gitlab",
        project: "gl-forge",
        projectPath: PROJECT,
        workflowFilepath: ".gitlab-ci.yml",
        environment: "pypi",
      },
      { project: "other-project", repository: "acme/forge", workflow: "other.yml" },
    ],
  });
  await Promise.all([
    buildProject("tiny-forge", "0.3.0rc1", "dist-gh"),
    buildProject("gl-forge", "1.0.0", "dist-gl"),
    buildProject("gl-forge", "1.1.0", "dist-gl-next"),
    buildProject("old-forge", "2.0.0", "dist-old"),
    buildProject("tiny-forge", "0.4.0", "dist-legacy"),
  ]);
  // A legacy (non-normalized) sdist name: PyPI refuses it.
  const legacy = path.join(work, "dist-legacy-only");
  mkdirSync(legacy);
  copyFileSync(
    path.join(work, "dist-legacy", "tiny_forge-0.4.0.tar.gz"),
    path.join(legacy, "Tiny.Forge-0.4.0.tar.gz"),
  );
  pypi.seed("old-forge", "2.0.0", [{ filename: "old_forge-2.0.0.tar.gz", content: "published long ago" }], {
    ageDays: 30,
  });
  wrapperDir = path.join(work, "bin");
  wrapperLog = path.join(work, "twine-calls.log");
  mkdirSync(wrapperDir);
  writeFileSync(
    path.join(wrapperDir, "twine"),
    [
      "#!/bin/sh",
      // The command line this process was started with, as `ps` and /proc show it.
      `tr '\\000' ' ' < /proc/$$/cmdline >> '${wrapperLog}'`,
      `echo >> '${wrapperLog}'`,
      `env | cut -d= -f1 | sort | tr '\\n' ' ' >> '${wrapperLog}'`,
      `echo >> '${wrapperLog}'`,
      `exec ${REAL_TWINE} "$@"`,
      "",
    ].join("\n"),
  );
  chmodSync(path.join(wrapperDir, "twine"), 0o755);
  files = jobFiles();
}, 120_000);

afterAll(async () => {
  await Promise.all([github?.close(), gitlab?.close(), pypi?.close()]);
  if (work) rmSync(work, { recursive: true, force: true });
});

async function buildProject(name: string, version: string, out: string): Promise<void> {
  const dir = path.join(work, `src-${out}`);
  const module = name.replace(/-/g, "_");
  mkdirSync(path.join(dir, "src", module), { recursive: true });
  writeFileSync(
    path.join(dir, "pyproject.toml"),
    `[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n\n[project]\nname = "${name}"\nversion = "${version}"\nrequires-python = ">=3.8"\n\n[tool.hatch.build.targets.wheel]\npackages = ["src/${module}"]\n`,
  );
  writeFileSync(path.join(dir, "src", module, "__init__.py"), `__version__ = "${version}"\n`);
  await execa(PYTHON, [
    "-m",
    "build",
    "--no-isolation",
    "--skip-dependency-check",
    "--outdir",
    path.join(work, out),
    dir,
  ]);
}

function env(extra: Record<string, string | undefined>): NodeJS.ProcessEnv {
  return stepEnv(files, extra, [wrapperDir]);
}

function upload(args: string[], jobEnv: Record<string, string | undefined>) {
  return runCliInProcess(["pypi-upload", "--index", pypi.url, ...args], work, env(jobEnv), files);
}

function twineCalls(): string {
  try {
    return readFileSync(wrapperLog, "utf8");
  } catch {
    return "";
  }
}

/** Every secret a run had: the ID tokens handed out and the job's request token. */
function secretsOf(jobEnv: Record<string, string | undefined>): string[] {
  return [
    ...github.issued,
    ...gitlab.issued,
    jobEnv.ACTIONS_ID_TOKEN_REQUEST_TOKEN,
    jobEnv.PYPI_ID_TOKEN,
  ].filter((value): value is string => Boolean(value));
}

function unmasked(text: string): string {
  return text
    .split("\n")
    .filter((line) => !line.startsWith("::add-mask::"))
    .join("\n");
}

describe.skipIf(Boolean(missingTools))("pypi-upload with Debian's twine", () => {
  it("uploads on GitHub Actions through a minted token, never on twine's command line; a re-run uploads nothing", async () => {
    const jobEnv = github.githubEnv({ environment: "pypi", workflowFile: "release.yml" });
    const minted = pypi.mintedTokens;
    const run = await upload([path.join(work, "dist-gh")], jobEnv);
    expect(run.exitCode).toBe(0);
    expect(pypi.mintedTokens).toBe(minted + 1);
    expect(pypi.hasRelease("tiny-forge", "0.3.0rc1")).toBe(true);
    const accepted = pypi.uploads.filter((entry) => entry.name === "tiny-forge" && entry.status === 200);
    expect(accepted.map((entry) => [entry.filename, entry.auth])).toEqual([
      ["tiny_forge-0.3.0rc1-py3-none-any.whl", "trusted-publisher"],
      ["tiny_forge-0.3.0rc1.tar.gz", "trusted-publisher"],
    ]);
    expect(JSON.parse(run.outputs["pypi-uploaded"] ?? "")).toEqual([
      {
        name: "tiny-forge",
        version: "0.3.0rc1",
        files: ["tiny_forge-0.3.0rc1-py3-none-any.whl", "tiny_forge-0.3.0rc1.tar.gz"],
      },
    ]);
    expect(run.summary).toContain(`/project/tiny-forge/0.3.0rc1/`);
    expect(run.stdout).toContain("authenticated by trusted publishing (GitHub Actions)");
    // twine ran with the token in its environment only.
    const calls = twineCalls();
    expect(calls).toContain("upload --non-interactive --disable-progress-bar --repository-url");
    expect(calls).toContain(" TWINE_PASSWORD ");
    expect(calls).not.toContain("ACTIONS_ID_TOKEN_REQUEST_TOKEN");
    // On GitHub Actions the ID token and the minted token appear only in ::add-mask:: commands (the runner's).
    const printed = unmasked(run.everything);
    expect(run.everything).toMatch(/^::add-mask::pypi-/m);
    for (const secret of secretsOf(jobEnv)) {
      expect(printed).not.toContain(secret);
      expect(calls).not.toContain(secret);
    }
    expect(calls).not.toMatch(/pypi-[\w-]{20,}/);
    expect(printed).not.toMatch(/pypi-[\w-]{20,}/);

    const again = await upload(
      [path.join(work, "dist-gh")],
      github.githubEnv({ environment: "pypi", workflowFile: "release.yml" }),
    );
    expect(again.exitCode).toBe(0);
    expect(pypi.mintedTokens).toBe(minted + 1);
    expect(again.stdout).toContain("nothing to upload");
    expect(again.outputs["pypi-uploaded"]).toBe("[]");
    const strict = await upload(["--no-skip-existing", path.join(work, "dist-gh")], jobEnv);
    expect(strict.exitCode).toBe(1);
    expect(strict.stderr).toContain("[pypi-already-on-index]");
    expect(pypi.mintedTokens).toBe(minted + 1);
  });

  it("uploads on GitLab CI with PYPI_ID_TOKEN, writes the outputs as dotenv, and leaks no token", async () => {
    const jobEnv = await gitlab.jobEnv({ PYPI_ID_TOKEN: "pypi" }, { environment: "pypi" });
    const dotenv = path.join(work, "gitlab.env");
    const minted = pypi.mintedTokens;
    const result = await execa(
      process.execPath,
      [CLI, "pypi-upload", "--index", pypi.url, "--dotenv", dotenv, path.join(work, "dist-gl")],
      { cwd: work, env: env(jobEnv), extendEnv: false, reject: false, all: true },
    );
    expect(result.all).toContain("authenticated by trusted publishing (GitLab CI, PYPI_ID_TOKEN)");
    expect(result.exitCode).toBe(0);
    expect(pypi.mintedTokens).toBe(minted + 1);
    expect(pypi.hasRelease("gl-forge", "1.0.0")).toBe(true);
    const written = readFileSync(dotenv, "utf8");
    expect(JSON.parse(parseDotenvFile(written).PYPI_UPLOADED ?? "")).toMatchObject([
      { name: "gl-forge", version: "1.0.0" },
    ]);
    for (const secret of secretsOf(jobEnv)) {
      expect(result.all).not.toContain(secret);
      expect(written).not.toContain(secret);
      expect(twineCalls()).not.toContain(secret);
    }
    expect(twineCalls()).not.toContain("PYPI_ID_TOKEN");
  });

  it("names the claims of a GitLab job no publisher matches (invalid-publisher) and the settings to enter", async () => {
    const jobEnv = await gitlab.jobEnv({ PYPI_ID_TOKEN: "pypi" }, { environment: "staging" });
    const run = await upload([path.join(work, "dist-gl-next")], jobEnv);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toContain("[pypi-invalid-publisher]");
    expect(run.stderr).toContain('project_path "event-forge/event-forge"');
    expect(run.stderr).toContain('environment "staging"');
    expect(run.stderr).toContain("ci_config_ref_uri");
    expect(run.stderr).toContain(
      'namespace "event-forge", project "event-forge", top-level pipeline file ".gitlab-ci.yml"',
    );
    for (const secret of secretsOf(jobEnv)) expect(unmasked(run.everything)).not.toContain(secret);
  });

  it("names the claims of a GitHub job no publisher matches (another environment)", async () => {
    const jobEnv = github.githubEnv({ environment: "staging", workflowFile: "release.yml" });
    const run = await upload([path.join(work, "dist-legacy", "tiny_forge-0.4.0-py3-none-any.whl")], jobEnv);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toContain("[pypi-invalid-publisher]");
    expect(run.stderr).toContain(
      "no GitHub publisher matches the claims repository, job_workflow_ref, environment",
    );
    expect(run.stderr).toContain('environment "staging"');
    expect(run.stderr).toContain('repository "acme/forge", workflow "release.yml", environment "staging"');
    for (const secret of secretsOf(jobEnv)) expect(unmasked(run.everything)).not.toContain(secret);
  });

  it("stops on a GitLab job without the PYPI_ID_TOKEN id_tokens entry, naming it", async () => {
    const jobEnv = await gitlab.jobEnv({}, { environment: "pypi" });
    const run = await upload(["--oidc", "require", path.join(work, "dist-gl-next")], jobEnv);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toContain("[pypi-id-token-missing]");
    expect(run.stderr).toContain("PYPI_ID_TOKEN");
    expect(run.stderr).toContain("id_tokens: { PYPI_ID_TOKEN: { aud: pypi } }");
    const auto = await upload([path.join(work, "dist-gl-next")], jobEnv);
    expect(auto.stderr).toContain("[pypi-no-credentials]");
  });

  it("stops on a PYPI_ID_TOKEN for the wrong aud before spending it", async () => {
    const jobEnv = await gitlab.jobEnv({ PYPI_ID_TOKEN: "npm:registry.npmjs.org" }, { environment: "pypi" });
    const minted = pypi.mintedTokens;
    const mintRequests = pypi.requests.filter((request) => request.path.endsWith("mint-token")).length;
    const run = await upload([path.join(work, "dist-gl-next")], jobEnv);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toContain(
      '[id-token-audience] PYPI_ID_TOKEN has the claim aud "npm:registry.npmjs.org"',
    );
    expect(run.stderr).toContain("set `aud: pypi`");
    expect(pypi.mintedTokens).toBe(minted);
    expect(pypi.requests.filter((request) => request.path.endsWith("mint-token")).length).toBe(mintRequests);
  });

  it("explains PyPI's 14-day rule for a file added to an old release", async () => {
    const run = await upload(
      ["--oidc", "off", path.join(work, "dist-old", "old_forge-2.0.0-py3-none-any.whl")],
      { PYPI_API_TOKEN: STATIC_TOKEN },
    );
    expect(run.stderr).toContain("[pypi-release-closed]");
    expect(run.stderr).toContain("older than 14 days");
    expect(run.exitCode).toBe(2);
  });

  it("explains a token not valid for the project, and a non-canonical file name", async () => {
    const wrongProject = await upload(
      [path.join(work, "dist-legacy", "tiny_forge-0.4.0.tar.gz")],
      github.githubEnv({ workflowFile: "other.yml" }),
    );
    expect(wrongProject.stderr).toContain("[pypi-project-not-owned]");
    const legacy = await upload(
      [path.join(work, "dist-legacy-only")],
      github.githubEnv({ environment: "pypi", workflowFile: "release.yml" }),
    );
    expect(legacy.stderr).toContain("[pypi-version-not-canonical]");
    expect(legacy.stderr).toContain("should be 'tiny_forge-0.4.0.tar.gz'");
  });

  it("dry run: checks everything, mints and uploads nothing", async () => {
    const minted = pypi.mintedTokens;
    const uploads = pypi.uploads.length;
    const run = await upload(
      ["--dry-run", "--json", path.join(work, "dist-legacy", "tiny_forge-0.4.0-py3-none-any.whl")],
      github.githubEnv({ environment: "pypi", workflowFile: "release.yml" }),
    );
    expect(run.exitCode).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      "dry-run": true,
      "pypi-uploaded": [
        { name: "tiny-forge", version: "0.4.0", files: ["tiny_forge-0.4.0-py3-none-any.whl"] },
      ],
    });
    expect(pypi.mintedTokens).toBe(minted);
    expect(pypi.uploads.length).toBe(uploads);
  });

  it("says how to install twine when neither twine nor python3 -m twine runs", async () => {
    const noPython = mkdtempSync(path.join(tmpdir(), "polyglot-no-python-"));
    const run = await runCliInProcess(
      [
        "pypi-upload",
        "--index",
        pypi.url,
        path.join(work, "dist-legacy", "tiny_forge-0.4.0-py3-none-any.whl"),
      ],
      work,
      { ...env(github.githubEnv({ environment: "pypi", workflowFile: "release.yml" })), PATH: noPython },
      files,
    );
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toContain("[twine-missing]");
    expect(run.stderr).toContain("python3 -m pip install twine");
  });
});
