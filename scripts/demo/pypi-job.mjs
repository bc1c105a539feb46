// The `publish-pypi` job of examples/event-forge/.github/workflows/release.yml, done locally:
// build (Debian's python3-build + hatchling), mint a PyPI token with the job's OIDC ID token as
// pypa/gh-action-pypi-publish does, upload (twine, else the same multipart POST twine sends).
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { log, ROOT, run, secret } from "./lib.mjs";

/** The Python that can build the example (`build` + `hatchling` importable), and whether it has twine. */
export async function findPython(env, only) {
  const candidates = (only ? [only] : ["/usr/bin/python3", "python3"]).filter(
    (p) => !p.includes("/") || existsSync(p),
  );
  let reason = only ? `${only} does not exist` : "no python3 found";
  for (const python of candidates) {
    const probe = await run(
      python,
      [
        "-c",
        "import importlib.util as u; print(' '.join(m for m in ('build', 'hatchling', 'twine') if u.find_spec(m)))",
      ],
      { quiet: true, allowFail: true, env },
    ).catch((error) => ({ code: 1, stdout: "", stderr: error.message }));
    if (probe.code !== 0) continue;
    const modules = new Set(probe.stdout.trim().split(/\s+/).filter(Boolean));
    if (modules.has("build") && modules.has("hatchling")) return { python, twine: modules.has("twine") };
    reason = `${python} has no ${["build", "hatchling"].filter((m) => !modules.has(m)).join(" or ")}`;
  }
  return { python: undefined, twine: false, reason };
}

export const INSTALL_PYTHON_TOOLS = join(ROOT, "scripts", "install-python-tools.sh");

/**
 * The Python the PyPI job builds with. When none has the build tools and this runs as root with apt-get, they are
 * installed as .ci/run does; otherwise the error names the exact command (or `--skip-pypi`).
 */
export async function requirePython(env, only) {
  const found = await findPython(env, only);
  if (found.python) return found;
  const canInstall = !only && process.getuid?.() === 0 && existsSync("/usr/bin/apt-get");
  if (canInstall) {
    log(`Installing Debian's python3-build, python3-hatchling and twine (${found.reason}) ...`);
    await run("bash", [INSTALL_PYTHON_TOOLS], { env, quiet: true });
    const installed = await findPython(env);
    if (installed.python) return installed;
  }
  const error = new Error(
    `the PyPI half of the demo needs Python build tools: ${found.reason}\n  fix: as root, bash scripts/install-python-tools.sh (apt-get install -y python3-build python3-hatchling twine python3-venv); or pass --python PATH, or --skip-pypi to leave the PyPI upload out`,
  );
  error.usage = true;
  throw error;
}

/** `python -m build --no-isolation` of one project into `outDir`; returns the built files. */
export async function buildDists(python, projectDir, outDir, env) {
  await run(
    python,
    ["-m", "build", "--no-isolation", "--skip-dependency-check", "--outdir", outDir, projectDir],
    {
      env,
      maxLines: 6,
      display: `${python} -m build --no-isolation --skip-dependency-check --outdir <tmp>/pypi-dist ${projectDir.replace(/.*\/repo\//, "")}`,
    },
  );
  return (await readdir(outDir))
    .filter((f) => f.endsWith(".tar.gz") || f.endsWith(".whl"))
    .sort()
    .map((f) => join(outDir, f));
}

/**
 * Trusted publishing as pypa/gh-action-pypi-publish does it: the audience from `/_/oidc/audience`, an ID token
 * for it from the Actions endpoint (`ACTIONS_ID_TOKEN_REQUEST_URL&audience=...`, Bearer request token), then
 * `POST /_/oidc/mint-token {token}`. Returns the short-lived API token (registered as a secret).
 */
export async function mintPypiToken(indexUrl, jobEnv) {
  const audienceResponse = await fetch(new URL("_/oidc/audience", indexUrl));
  if (!audienceResponse.ok) throw new Error(`GET /_/oidc/audience answered ${audienceResponse.status}`);
  const { audience } = await audienceResponse.json();
  const idTokenResponse = await fetch(
    `${jobEnv.ACTIONS_ID_TOKEN_REQUEST_URL}&audience=${encodeURIComponent(audience)}`,
    { headers: { authorization: `Bearer ${jobEnv.ACTIONS_ID_TOKEN_REQUEST_TOKEN}` } },
  );
  if (!idTokenResponse.ok) throw new Error(`the ID-token endpoint answered ${idTokenResponse.status}`);
  const idToken = secret((await idTokenResponse.json()).value);
  const claims = JSON.parse(Buffer.from(idToken.split(".")[1], "base64url").toString("utf8"));
  const mint = await fetch(new URL("_/oidc/mint-token", indexUrl), {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ token: idToken }),
  });
  const body = await mint.json().catch(() => ({}));
  if (!mint.ok || !body.token) {
    const errors = (body.errors ?? []).map((e) => `${e.code}: ${e.description}`).join("; ");
    throw new Error(`mint-token answered ${mint.status}${errors ? ` (${errors})` : ""}`);
  }
  return { token: secret(body.token), audience, claims, expires: body.expires };
}

/** `twine upload` with the minted token in TWINE_PASSWORD (never on the command line). */
export async function twineUpload(python, legacyUrl, files, token, env) {
  await run(
    python,
    [
      "-m",
      "twine",
      "upload",
      "--non-interactive",
      "--disable-progress-bar",
      "--repository-url",
      legacyUrl,
      ...files,
    ],
    {
      env: {
        ...env,
        TWINE_USERNAME: "__token__",
        TWINE_PASSWORD: token,
        PYTHON_KEYRING_BACKEND: "keyring.backends.null.Keyring",
      },
      display: `${python} -m twine upload --repository-url ${legacyUrl} ${files.map((f) => f.replace(/.*\//, "")).join(" ")}   (TWINE_USERNAME=__token__, TWINE_PASSWORD=<minted>)`,
      maxLines: 12,
    },
  );
}

/** The multipart POST twine sends (`:action=file_upload`), for machines without twine. */
export async function multipartUpload(legacyUrl, files, token, { name, version }) {
  const results = [];
  let metadataVersion = "2.1";
  const sdist = files.find((f) => f.endsWith(".tar.gz"));
  if (sdist) {
    const text = gunzipSync(await readFile(sdist)).toString("latin1");
    metadataVersion = /^Metadata-Version: *(\S+)/m.exec(text)?.[1] ?? metadataVersion;
  }
  for (const file of files) {
    const bytes = await readFile(file);
    const filename = file.replace(/.*\//, "");
    const wheel = filename.endsWith(".whl");
    const form = new FormData();
    form.set(":action", "file_upload");
    form.set("protocol_version", "1");
    form.set("name", name);
    form.set("version", version);
    form.set("metadata_version", metadataVersion);
    form.set("filetype", wheel ? "bdist_wheel" : "sdist");
    form.set("pyversion", wheel ? (filename.split("-")[2] ?? "py3") : "source");
    form.set("sha256_digest", createHash("sha256").update(bytes).digest("hex"));
    form.set("content", new Blob([bytes]), filename);
    const response = await fetch(legacyUrl, {
      method: "POST",
      headers: { authorization: `Basic ${Buffer.from(`__token__:${token}`).toString("base64")}` },
      body: form,
    });
    results.push({ filename, status: response.status, message: response.statusText });
    if (!response.ok)
      throw new Error(`upload of ${filename} answered ${response.status} ${response.statusText}`);
  }
  return results;
}
