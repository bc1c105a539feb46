import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  basicAuth,
  createTestIssuer,
  githubClaims,
  type TestIssuer,
  uploadForm,
} from "./__fixtures__/pypi-issuer.js";
import { startIdTokenServer } from "./id-token.js";
import { type PypiServer, startPypi } from "./pypi.js";

const STATIC_TOKEN = "pypi-static-test-token";
let issuer: TestIssuer;
let pypi: PypiServer;

beforeAll(async () => {
  issuer = await createTestIssuer();
  pypi = await startPypi({
    oidc: { issuer: issuer.issuer, jwks: issuer.jwks },
    tokens: [STATIC_TOKEN],
    trustedPublishers: [
      { project: "Event_Forge", repository: "acme/forge", workflow: "publish.yml", environment: "pypi" },
      { project: "plain-tool", repository: "acme/forge", workflow: "release.yml" },
      { project: "brand-new", repository: "acme/newbie", workflow: "publish.yml", pending: true },
      { project: "widgets-*", repository: "acme/widgets", workflow: "release.yml" },
    ],
  });
});
afterAll(() => pypi.close());

async function mint(token: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${pypi.url}_/oidc/mint-token`, {
    method: "POST",
    body: JSON.stringify({ token }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function mintFor(claims = githubClaims("acme/forge", "publish.yml", { environment: "pypi" })) {
  const { status, body } = await mint(await issuer.sign(claims));
  expect(status).toBe(200);
  return body.token as string;
}

function errorCode(body: Record<string, unknown>): string | undefined {
  return (body.errors as Array<{ code: string }> | undefined)?.[0]?.code;
}

async function upload(token: string, dist: Parameters<typeof uploadForm>[0]) {
  const response = await fetch(pypi.legacyUrl, {
    method: "POST",
    headers: { authorization: basicAuth(token) },
    body: uploadForm(dist),
  });
  return { status: response.status, reason: response.statusText, text: await response.text() };
}

describe("OIDC", () => {
  it("answers the audience", async () => {
    const response = await fetch(`${pypi.url}_/oidc/audience`);
    expect(await response.json()).toEqual({ audience: "pypi" });
  });

  it("mints a 15 minute token for a matching publisher with its environment", async () => {
    const before = pypi.mintedTokens;
    const { status, body } = await mint(
      await issuer.sign(githubClaims("acme/forge", "publish.yml", { environment: "PyPI" })),
    );
    expect(status).toBe(200);
    expect(body.success).toBe(true);
    expect(body.token).toMatch(/^pypi-/);
    const lifetime = (body.expires as number) - Math.floor(Date.now() / 1000);
    expect(lifetime).toBeGreaterThan(880);
    expect(lifetime).toBeLessThanOrEqual(900);
    expect(pypi.mintedTokens).toBe(before + 1);
  });

  it("matches a publisher without environment whatever the job's environment", async () => {
    const { status } = await mint(
      await issuer.sign(githubClaims("acme/forge", "release.yml", { environment: "staging" })),
    );
    expect(status).toBe(200);
  });

  it.each([
    ["a wrong workflow", githubClaims("acme/forge", "ci.yml", { environment: "pypi" })],
    ["a wrong environment", githubClaims("acme/forge", "publish.yml", { environment: "staging" })],
    ["no environment where the publisher requires one", githubClaims("acme/forge", "publish.yml")],
    ["another repository", githubClaims("acme/fork", "publish.yml", { environment: "pypi" })],
    [
      "a job_workflow_ref of another ref",
      githubClaims("acme/forge", "publish.yml", {
        environment: "pypi",
        job_workflow_ref: "acme/forge/.github/workflows/publish.yml@refs/heads/evil",
      }),
    ],
  ])("refuses %s with invalid-publisher", async (_case, claims) => {
    const { status, body } = await mint(await issuer.sign(claims));
    expect(status).toBe(422);
    expect(body.message).toBe("Token request failed");
    expect(errorCode(body)).toBe("invalid-publisher");
  });

  it("refuses an expired token, a wrong audience and a bad signature with invalid-token", async () => {
    const claims = githubClaims("acme/forge", "publish.yml", { environment: "pypi" });
    const expired = await issuer.sign(claims, { expiresInSeconds: -120 });
    const wrongAudience = await issuer.sign(claims, { audience: "npm:registry.npmjs.org" });
    const forger = await createTestIssuer(issuer.issuer);
    const forged = await forger.sign(claims);
    const [head, payload] = (await issuer.sign(claims)).split(".");
    const tampered = `${head}.${payload}.${"A".repeat(342)}`;
    for (const token of [expired, wrongAudience, forged, tampered]) {
      const { status, body } = await mint(token);
      expect(status).toBe(422);
      expect(errorCode(body)).toBe("invalid-token");
    }
  });

  it("refuses malformed payloads and unknown issuers with invalid-payload", async () => {
    const stranger = await createTestIssuer("https://gitlab.example");
    const cases = [
      await mint("not-a-jwt"),
      await mint(await stranger.sign(githubClaims("acme/forge", "publish.yml", { environment: "pypi" }))),
    ];
    const noToken = await fetch(`${pypi.url}_/oidc/mint-token`, { method: "POST", body: "{}" });
    cases.push({ status: noToken.status, body: (await noToken.json()) as Record<string, unknown> });
    for (const { status, body } of cases) {
      expect(status).toBe(422);
      expect(errorCode(body)).toBe("invalid-payload");
    }
  });

  it("refuses to mint twice from the same jti", async () => {
    const token = await issuer.sign(
      githubClaims("acme/forge", "publish.yml", { environment: "pypi", jti: "one-time" }),
    );
    expect((await mint(token)).status).toBe(200);
    const again = await mint(token);
    expect(again.status).toBe(422);
    expect(errorCode(again.body)).toBe("invalid-reuse-token");
  });

  it("lets a pending publisher create its project once", async () => {
    const claims = () => githubClaims("acme/newbie", "publish.yml");
    expect(pypi.project("brand-new")).toBeUndefined();
    const token = await mintFor(claims());
    expect(pypi.project("brand-new")?.name).toBe("brand-new");
    expect((await upload(token, sdist("brand-new", "0.1.0", "first"))).status).toBe(200);
    // Now an ordinary publisher of an existing project.
    expect((await mint(await issuer.sign(claims()))).status).toBe(200);
  });
});

function sdist(name: string, version: string, content: string) {
  const normalized = name.replace(/[-_.]+/g, "_").toLowerCase();
  return { name, version, filename: `${normalized}-${version}.tar.gz`, content };
}

describe("upload", () => {
  it("accepts a minted token for its project and stores the file", async () => {
    const token = await mintFor();
    const result = await upload(token, sdist("event-forge", "1.2.0rc1", "sdist bytes"));
    expect(result.status).toBe(200);
    expect(pypi.hasRelease("Event.Forge", "1.2.0-rc.1")).toBe(true);
    expect(pypi.uploads.at(-1)).toMatchObject({
      status: 200,
      auth: "trusted-publisher",
      filename: "event_forge-1.2.0rc1.tar.gz",
    });
  });

  it("answers 200 without a duplicate for an identical re-upload, 400 for other bytes", async () => {
    const token = await mintFor();
    const dist = sdist("event-forge", "1.3.0", "original");
    expect((await upload(token, dist)).status).toBe(200);
    const again = await upload(token, dist);
    expect(again.status).toBe(200);
    expect(pypi.uploads.at(-1)?.duplicate).toBe(true);
    expect(pypi.project("event-forge")?.releases.find((r) => r.version === "1.3.0")?.files).toHaveLength(1);
    const other = await upload(token, { ...dist, content: "changed" });
    expect(other.status).toBe(400);
    expect(other.reason).toMatch(/^File already exists \('event_forge-1\.3\.0\.tar\.gz'/);
  });

  it("refuses a minted token for another project with 403", async () => {
    const token = await mintFor();
    const result = await upload(token, sdist("plain-tool", "1.0.0", "x"));
    expect(result.status).toBe(403);
    expect(result.text).toContain("not valid for project: 'plain-tool'");
  });

  it("scopes a token of a pattern publisher (testkit extension) to the matching projects", async () => {
    const token = await mintFor(githubClaims("acme/widgets", "release.yml"));
    expect((await upload(token, sdist("Widgets.Py", "1.0.0", "w"))).status).toBe(200);
    expect(pypi.project("widgets-py")?.name).toBe("Widgets.Py");
    expect((await upload(token, sdist("gadgets-py", "1.0.0", "g"))).status).toBe(403);
  });

  it("refuses missing, unknown and expired credentials with 403", async () => {
    const anonymous = await fetch(pypi.legacyUrl, {
      method: "POST",
      body: uploadForm(sdist("x", "1.0", "x")),
    });
    expect(anonymous.status).toBe(403);
    expect(await anonymous.text()).toContain("Invalid or non-existent authentication information");
    expect((await upload("pypi-made-up", sdist("x", "1.0", "x"))).status).toBe(403);
    expect((await upload("password", sdist("x", "1.0", "x"))).status).toBe(403);
  });

  it("refuses a minted token after its 15 minutes", async () => {
    const token = await mintFor();
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      vi.setSystemTime(Date.now() + 901_000);
      const result = await upload(token, sdist("event-forge", "1.4.0", "late"));
      expect(result.status).toBe(403);
      expect(result.reason).toBe("Invalid API Token: token is expired");
    } finally {
      vi.useRealTimers();
    }
  });

  it("refuses a wrong sha256 with 400", async () => {
    const result = await upload(STATIC_TOKEN, {
      ...sdist("other-pkg", "1.0.0", "abc"),
      sha256: "0".repeat(64),
    });
    expect(result.status).toBe(400);
    expect(result.reason).toContain("The digest supplied does not match");
  });

  it("refuses a file name of another project or version, and a non-PEP 440 version", async () => {
    const wrongName = await upload(STATIC_TOKEN, {
      ...sdist("other-pkg", "1.0.0", "a"),
      filename: "else-1.0.0.tar.gz",
    });
    expect(wrongName.status).toBe(400);
    expect(wrongName.reason).toBe("Start filename for 'other-pkg' with 'other_pkg'.");
    const wrongVersion = await upload(STATIC_TOKEN, {
      ...sdist("other-pkg", "1.0.0", "a"),
      filename: "other_pkg-1.0.1-py3-none-any.whl",
      filetype: "bdist_wheel",
    });
    expect(wrongVersion.status).toBe(400);
    expect(wrongVersion.reason).toBe("Version in filename should be '1.0.0' not '1.0.1'.");
    const badVersion = await upload(STATIC_TOKEN, sdist("other-pkg", "1.0.0-next.0", "a"));
    expect(badVersion.status).toBe(400);
    expect(badVersion.reason).toContain("is an invalid value for Version");
  });

  it("enforces normalized file names: PEP 625 for sdists, PEP 427 for wheels", async () => {
    const legacySdist = await upload(STATIC_TOKEN, {
      name: "Other.Pkg",
      version: "2.0.RC1",
      filename: "Other.Pkg-2.0.RC1.tar.gz",
      content: "legacy name",
    });
    expect(legacySdist.status).toBe(400);
    expect(legacySdist.reason).toBe(
      "Filename 'Other.Pkg-2.0.RC1.tar.gz' is invalid, should be 'other_pkg-2.0rc1.tar.gz'.",
    );
    const legacyWheel = await upload(STATIC_TOKEN, {
      name: "Other.Pkg",
      version: "2.0",
      filename: "Other.Pkg-2.0-py3-none-any.whl",
      content: "legacy wheel",
    });
    expect(legacyWheel.status).toBe(400);
    expect(legacyWheel.reason).toContain(
      "should contain the normalized project name 'other_pkg', not 'Other.Pkg'",
    );
  });

  it("lets a long-lived token create any project, with one sdist per release", async () => {
    const first = await upload(STATIC_TOKEN, sdist("Other.Pkg", "2.0.0", "one"));
    expect(first.status).toBe(200);
    expect(pypi.uploads.at(-1)?.auth).toBe("api-token");
    expect(pypi.project("other-pkg")?.name).toBe("Other.Pkg");
    const wheel = await upload(STATIC_TOKEN, {
      name: "other-pkg",
      version: "2.0",
      filename: "other_pkg-2.0-py3-none-any.whl",
      content: "wheel",
    });
    expect(wheel.status).toBe(200);
    const secondSdist = await upload(STATIC_TOKEN, {
      ...sdist("other-pkg", "2.0", "two"),
      filename: "other_pkg-2.0.tar.gz",
    });
    expect(secondSdist.status).toBe(400);
    expect(secondSdist.reason).toBe("Only one sdist may be uploaded per release.");
  });
});

describe("JSON API and simple index", () => {
  beforeAll(() => {
    pypi.seed("Seeded_Pkg", "1.0.0", [
      { filename: "seeded_pkg-1.0.0.tar.gz", content: "seed sdist" },
      { filename: "seeded_pkg-1.0.0-py3-none-any.whl", content: "seed wheel" },
    ]);
    pypi.seed("Seeded_Pkg", "1.1.0b1");
  });

  it("finds a release by PEP 503 name and canonical version", async () => {
    const response = await fetch(`${pypi.url}pypi/seeded-pkg/1.0/json`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as {
      info: { name: string; version: string };
      urls: Array<Record<string, unknown>>;
    };
    expect(body.info).toMatchObject({ name: "Seeded_Pkg", version: "1.0.0" });
    expect(body.urls.map((file) => file.filename)).toEqual([
      "seeded_pkg-1.0.0.tar.gz",
      "seeded_pkg-1.0.0-py3-none-any.whl",
    ]);
    expect((body.urls[0]?.digests as { sha256: string } | undefined)?.sha256).toBe(
      createHash("sha256").update("seed sdist").digest("hex"),
    );
  });

  it("redirects a non-normalized name and resolves other spellings of the version", async () => {
    const response = await fetch(`${pypi.url}pypi/Seeded_Pkg/1.1.0-beta.1/json`, { redirect: "manual" });
    expect(response.status).toBe(301);
    expect(response.headers.get("location")).toBe("/pypi/seeded-pkg/1.1.0-beta.1/json");
    const followed = await fetch(`${pypi.url}pypi/Seeded_Pkg/1.1.0-beta.1/json`);
    expect(((await followed.json()) as { info: { version: string } }).info.version).toBe("1.1.0b1");
  });

  it("answers 404 for unknown projects, versions and invalid version strings", async () => {
    for (const path of [
      "pypi/nope/json",
      "pypi/seeded-pkg/9.9.9/json",
      "pypi/seeded-pkg/not.a.version/json",
    ]) {
      const response = await fetch(`${pypi.url}${path}`);
      expect(response.status).toBe(404);
      expect(await response.json()).toEqual({ message: "Not Found" });
    }
  });

  it("reports the newest final release and every release on the project URL", async () => {
    const body = (await (await fetch(`${pypi.url}pypi/seeded-pkg/json`)).json()) as {
      info: { version: string };
      releases: Record<string, unknown[]>;
    };
    expect(body.info.version).toBe("1.0.0");
    expect(Object.keys(body.releases)).toEqual(["1.0.0", "1.1.0b1"]);
  });

  it("serves PEP 503 HTML with sha256 fragments and PEP 691 JSON on request", async () => {
    const html = await (await fetch(`${pypi.simpleUrl}seeded-pkg/`)).text();
    const sha = createHash("sha256").update("seed wheel").digest("hex");
    expect(html).toContain(
      `seeded_pkg-1.0.0-py3-none-any.whl#sha256=${sha}">seeded_pkg-1.0.0-py3-none-any.whl</a>`,
    );
    const json = await fetch(`${pypi.simpleUrl}seeded-pkg/`, {
      headers: { accept: "application/vnd.pypi.simple.v1+json, text/html;q=0.01" },
    });
    expect(json.headers.get("content-type")).toContain("application/vnd.pypi.simple.v1+json");
    const body = (await json.json()) as {
      name: string;
      files: Array<{ url: string; hashes: { sha256: string } }>;
    };
    expect(body.name).toBe("seeded-pkg");
    const wheel = body.files.find((file) => file.hashes.sha256 === sha);
    expect(Buffer.from(await (await fetch(wheel?.url ?? "")).arrayBuffer()).toString()).toBe("seed wheel");
  });

  it("redirects non-normalized simple names and lists projects at the root", async () => {
    const response = await fetch(`${pypi.simpleUrl}Seeded_Pkg/`, { redirect: "manual" });
    expect(response.status).toBe(301);
    expect(response.headers.get("location")).toBe("/simple/seeded-pkg/");
    const root = await (await fetch(pypi.simpleUrl)).text();
    expect(root).toContain('<a href="seeded-pkg/">Seeded_Pkg</a>');
  });

  it("injects faults through the shared injector", async () => {
    pypi.faults.add({ path: "/pypi/seeded-pkg/", status: 503 });
    expect((await fetch(`${pypi.url}pypi/seeded-pkg/json`)).status).toBe(503);
    expect((await fetch(`${pypi.url}pypi/seeded-pkg/json`)).status).toBe(200);
  });
});

describe("with testkit's GitHub Actions ID-token endpoint", () => {
  it("mints and uploads the way pypa/gh-action-pypi-publish does", async () => {
    const idTokens = await startIdTokenServer();
    const index = await startPypi({
      oidc: { issuer: idTokens.issuer, jwks: idTokens.jwks },
      trustedPublishers: [
        {
          project: "event-forge",
          repository: "acme/forge",
          workflow: "publish-pypi.yml",
          environment: "pypi",
        },
      ],
    });
    try {
      const env = idTokens.githubEnv({
        repository: "acme/forge",
        workflowFile: "publish-pypi.yml",
        environment: "pypi",
      });
      const audience = ((await (await fetch(`${index.url}_/oidc/audience`)).json()) as { audience: string })
        .audience;
      const idToken = await fetch(`${env.ACTIONS_ID_TOKEN_REQUEST_URL}&audience=${audience}`, {
        headers: { authorization: `Bearer ${env.ACTIONS_ID_TOKEN_REQUEST_TOKEN}` },
      });
      const { value } = (await idToken.json()) as { value: string };
      const minted = await fetch(`${index.url}_/oidc/mint-token`, {
        method: "POST",
        body: JSON.stringify({ token: value }),
      });
      const { token } = (await minted.json()) as { token: string };
      const response = await fetch(index.legacyUrl, {
        method: "POST",
        headers: { authorization: basicAuth(token) },
        body: uploadForm(sdist("event-forge", "2.0.0", "from actions")),
      });
      expect(response.status).toBe(200);
      expect(index.hasRelease("event_forge", "2")).toBe(true);
      // GitHub's default audience is not PyPI's: a token requested without `audience=pypi` is refused.
      const wrongAudience = await idTokens.sign({
        repository: "acme/forge",
        workflowFile: "publish-pypi.yml",
        environment: "pypi",
      });
      const refused = await fetch(`${index.url}_/oidc/mint-token`, {
        method: "POST",
        body: JSON.stringify({ token: wrongAudience }),
      });
      expect(refused.status).toBe(422);
    } finally {
      await Promise.all([idTokens.close(), index.close()]);
    }
  });
});
