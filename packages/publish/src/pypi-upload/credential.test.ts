import { pypiIndexUrls as indexUrls } from "@polyglot-changesets/core";
import { describe, expect, it } from "vitest";
import { chooseCredential, requireSecureIndex } from "./credential.js";
import { twineEnv } from "./twine.js";

const GITLAB = { GITLAB_CI: "true", CI_PROJECT_PATH: "group/project" };
const GITHUB = {
  GITHUB_ACTIONS: "true",
  ACTIONS_ID_TOKEN_REQUEST_URL: "https://x/token?a=1",
  ACTIONS_ID_TOKEN_REQUEST_TOKEN: "r",
};

describe("chooseCredential", () => {
  it("prefers the CI's ID token, falls back to a token under auto, refuses under require", () => {
    expect(chooseCredential("auto", { ...GITLAB, PYPI_ID_TOKEN: "a.b.c", PYPI_API_TOKEN: "pypi-x" })).toEqual(
      {
        kind: "gitlab-oidc",
        idToken: "a.b.c",
      },
    );
    expect(chooseCredential("auto", { ...GITHUB })).toEqual({ kind: "github-oidc" });
    expect(chooseCredential("auto", { ...GITLAB, PYPI_API_TOKEN: "pypi-x" })).toMatchObject({
      kind: "api-token",
      variable: "PYPI_API_TOKEN",
    });
    expect(
      chooseCredential("off", { ...GITLAB, PYPI_ID_TOKEN: "a.b.c", TWINE_PASSWORD: "pw" }),
    ).toMatchObject({
      kind: "api-token",
      variable: "TWINE_PASSWORD",
    });
    expect(() => chooseCredential("require", { ...GITLAB, PYPI_API_TOKEN: "pypi-x" })).toThrow(
      /\[pypi-id-token-missing\].*PYPI_ID_TOKEN/,
    );
    expect(() => chooseCredential("auto", { GITHUB_ACTIONS: "true" })).toThrow(
      /\[pypi-no-credentials\].*id-token: write/,
    );
    expect(() => chooseCredential("off", {})).toThrow(/\[pypi-no-credentials\] --oidc off/);
  });
});

describe("requireSecureIndex", () => {
  it("sends an ID token only to https or a loopback index", () => {
    expect(() => requireSecureIndex(indexUrls("https://pypi.org"))).not.toThrow();
    expect(() => requireSecureIndex(indexUrls("http://127.0.0.1:8080/"))).not.toThrow();
    expect(() => requireSecureIndex(indexUrls("http://pypi.example.org"))).toThrow(/\[pypi-index-insecure\]/);
  });

  it("uploads to upload.pypi.org for pypi.org, to <index>/legacy/ elsewhere", () => {
    expect(indexUrls("https://pypi.org/").upload).toBe("https://upload.pypi.org/legacy/");
    expect(indexUrls("https://test.pypi.org").upload).toBe("https://test.pypi.org/legacy/");
    expect(indexUrls("https://test.pypi.org").mintToken).toBe("https://test.pypi.org/_/oidc/mint-token");
  });
});

describe("twineEnv", () => {
  it("hands twine the token as TWINE_PASSWORD and no other credential", () => {
    const env = twineEnv(
      {
        PATH: "/usr/bin",
        HTTPS_PROXY: "http://proxy:3128",
        SSL_CERT_FILE: "/etc/ssl/cert.pem",
        PYPI_ID_TOKEN: "id",
        ACTIONS_ID_TOKEN_REQUEST_TOKEN: "req",
        NODE_AUTH_TOKEN: "npm",
        GITLAB_TOKEN: "glpat",
        CI_JOB_TOKEN: "job",
        TWINE_REPOSITORY_URL: "https://elsewhere/",
        MY_SECRET: "s",
        DB_PASSWORD: "p",
        CI_JOB_JWT: "jwt",
        CI_JOB_JWT_V2: "jwt2",
        "npm_config_//registry.npmjs.org/:_authToken": "npm2",
        "npm_config_//registry.example/:_password": "pw",
        NPM_CONFIG__AUTH: "basic",
      },
      "pypi-minted",
    );
    expect(env).toEqual({
      PATH: "/usr/bin",
      HTTPS_PROXY: "http://proxy:3128",
      SSL_CERT_FILE: "/etc/ssl/cert.pem",
      TWINE_USERNAME: "__token__",
      TWINE_PASSWORD: "pypi-minted",
      TWINE_NON_INTERACTIVE: "1",
      PYTHON_KEYRING_BACKEND: "keyring.backends.null.Keyring",
    });
  });
});
