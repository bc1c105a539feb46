import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestIssuer, githubClaims } from "./__fixtures__/pypi-issuer.js";
import { type PypiServer, startPypi } from "./pypi.js";

/** Debian's Python with `python3-build`, `python3-hatchling`, `twine` (CI installs them with apt). */
const PYTHON = "/usr/bin/python3";
const missingTools = await findMissingTools();
if (missingTools) console.warn(`Skipping the Python proof tests: ${missingTools}`);

async function findMissingTools(): Promise<string | undefined> {
  const checks: Array<[string, string[], string]> = [
    [PYTHON, ["-m", "build", "--version"], "python3-build"],
    [PYTHON, ["-c", "import hatchling"], "python3-hatchling"],
    [PYTHON, ["-m", "pip", "--version"], "python3-pip"],
    ["twine", ["--version"], "twine"],
  ];
  const missing: string[] = [];
  for (const [command, args, aptPackage] of checks) {
    const result = await execa(command, args, { reject: false });
    if (result.exitCode !== 0) missing.push(aptPackage);
  }
  return missing.length > 0 ? `apt-get install -y ${missing.join(" ")} (not found)` : undefined;
}

const VERSION = "0.3.0rc1";
const WHEEL = `tiny_forge-${VERSION}-py3-none-any.whl`;
const SDIST = `tiny_forge-${VERSION}.tar.gz`;

let pypi: PypiServer;
let work: string;
let token: string;

beforeAll(async () => {
  if (missingTools) return;
  const issuer = await createTestIssuer();
  pypi = await startPypi({
    oidc: { issuer: issuer.issuer, jwks: issuer.jwks },
    trustedPublishers: [
      { project: "tiny-forge", repository: "acme/forge", workflow: "publish.yml", environment: "pypi" },
    ],
  });
  work = await mkdtemp(join(tmpdir(), "testkit-pypi-"));
  await writeProject(join(work, "project"), "first build");
  await build(join(work, "project"), join(work, "dist"));
  const idToken = await issuer.sign(githubClaims("acme/forge", "publish.yml", { environment: "pypi" }));
  const response = await fetch(`${pypi.url}_/oidc/mint-token`, {
    method: "POST",
    body: JSON.stringify({ token: idToken }),
  });
  token = ((await response.json()) as { token: string }).token;
}, 60_000);

afterAll(async () => {
  await pypi?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

async function writeProject(dir: string, marker: string): Promise<void> {
  await mkdir(join(dir, "src", "tiny_forge"), { recursive: true });
  await writeFile(
    join(dir, "pyproject.toml"),
    [
      "[build-system]",
      'requires = ["hatchling"]',
      'build-backend = "hatchling.build"',
      "",
      "[project]",
      'name = "tiny-forge"',
      `version = "${VERSION}"`,
      'requires-python = ">=3.8"',
      "",
      "[tool.hatch.build.targets.wheel]",
      'packages = ["src/tiny_forge"]',
      "",
    ].join("\n"),
  );
  await writeFile(join(dir, "src", "tiny_forge", "__init__.py"), `__version__ = "${VERSION}"  # ${marker}\n`);
}

async function build(project: string, outdir: string): Promise<void> {
  await execa(PYTHON, [
    "-m",
    "build",
    "--no-isolation",
    "--skip-dependency-check",
    "--outdir",
    outdir,
    project,
  ]);
}

function twineUpload(files: string[]) {
  return execa(
    "twine",
    ["upload", "--non-interactive", "--disable-progress-bar", "--repository-url", pypi.legacyUrl, ...files],
    {
      reject: false,
      all: true,
      // The token goes through the environment, not argv, so it never shows in a process list.
      env: {
        TWINE_USERNAME: "__token__",
        TWINE_PASSWORD: token,
        PYTHON_KEYRING_BACKEND: "keyring.backends.null.Keyring",
      },
    },
  );
}

async function sha256Of(path: string): Promise<string> {
  return createHash("sha256")
    .update(await readFile(path))
    .digest("hex");
}

describe.skipIf(Boolean(missingTools))("Debian's build, twine and pip against the stand-in", () => {
  it("builds a wheel and an sdist with hatchling", async () => {
    expect((await readdir(join(work, "dist"))).sort()).toEqual([WHEEL, SDIST].sort());
  });

  it("uploads both files with twine and a minted token", async () => {
    const result = await twineUpload([join(work, "dist", WHEEL), join(work, "dist", SDIST)]);
    expect(result.all).not.toContain(token);
    expect(result.exitCode, result.all).toBe(0);
    expect(pypi.uploads.filter((upload) => upload.status === 200 && !upload.duplicate)).toHaveLength(2);
  }, 60_000);

  it("accepts the identical files again without storing duplicates", async () => {
    const result = await twineUpload([join(work, "dist", WHEEL)]);
    expect(result.exitCode, result.all).toBe(0);
    expect(pypi.uploads.at(-1)).toMatchObject({ status: 200, duplicate: true, filename: WHEEL });
    expect(pypi.project("tiny-forge")?.releases[0]?.files).toHaveLength(2);
  }, 60_000);

  it("fails twine with 'File already exists' for other bytes under the same file name", async () => {
    await writeProject(join(work, "changed"), "second build");
    await build(join(work, "changed"), join(work, "dist-changed"));
    const result = await twineUpload([join(work, "dist-changed", WHEEL)]);
    expect(result.exitCode).not.toBe(0);
    expect(result.all).toContain("File already exists");
  }, 60_000);

  it("lets pip download the wheel back from the simple index, byte for byte", async () => {
    const dest = join(work, "downloaded");
    const result = await execa(
      PYTHON,
      [
        "-m",
        "pip",
        "download",
        "--isolated",
        "--no-deps",
        "--no-cache-dir",
        "--disable-pip-version-check",
      ].concat(["--index-url", pypi.simpleUrl, "--dest", dest, `tiny-forge==${VERSION}`]),
      { reject: false, all: true },
    );
    expect(result.exitCode, result.all).toBe(0);
    expect(await readdir(dest)).toEqual([WHEEL]);
    // pip 23 asks for PEP 691 JSON first, so this exercises the JSON simple API end to end.
    const indexRequest = pypi.requests.find((request) => request.path === "/simple/tiny-forge/");
    expect(indexRequest?.headers.accept).toContain("application/vnd.pypi.simple.v1+json");
    expect(await sha256Of(join(dest, WHEEL))).toBe(await sha256Of(join(work, "dist", WHEEL)));
  }, 60_000);

  it("serves the sdist at the URL the simple index gives, and the JSON API reports the release", async () => {
    const response = await fetch(`${pypi.url}pypi/Tiny_Forge/0.3.0-rc.1/json`);
    const body = (await response.json()) as {
      info: { name: string; version: string; requires_python: string };
      urls: Array<{ filename: string; url: string; digests: { sha256: string } }>;
    };
    expect(body.info).toMatchObject({ name: "tiny-forge", version: VERSION, requires_python: ">=3.8" });
    const sdist = body.urls.find((file) => file.filename === SDIST);
    const expected = await sha256Of(join(work, "dist", SDIST));
    expect(sdist?.digests.sha256).toBe(expected);
    const bytes = Buffer.from(await (await fetch(sdist?.url ?? "")).arrayBuffer());
    expect(createHash("sha256").update(bytes).digest("hex")).toBe(expected);
  });
});
