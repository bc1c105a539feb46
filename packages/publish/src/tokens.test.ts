// biome-ignore-all lint/suspicious/noTemplateCurlyInString: npmrc placeholders like ${NODE_AUTH_TOKEN} are the subject here
import { mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { type NpmrcFile, parseNpmrc } from "./npmrc.js";
import { cleanPublishEnv, findTokenSources, isTokenVariable } from "./tokens.js";

const SECRET = "npm_SECRETvalueThatMustNotLeak01234567";

function file(kind: NpmrcFile["kind"], text: string): NpmrcFile {
  return { kind, path: `/repo/${kind}.npmrc`, entries: parseNpmrc(text) };
}

describe("isTokenVariable", () => {
  it.each([
    "NODE_AUTH_TOKEN",
    "NPM_TOKEN",
    "NPM_CONFIG__AUTH",
    "NPM_CONFIG__AUTHTOKEN",
    "npm_config__authToken",
    "npm_config_//r.example/:_authToken",
    "NPM_CONFIG_//R.EXAMPLE/:_AUTH",
    "YARN_NPM_AUTH_TOKEN",
  ])("%s is a credential", (name) => expect(isTokenVariable(name)).toBe(true));
  it.each(["NPM_CONFIG_REGISTRY", "GITHUB_TOKEN", "npm_config_userconfig"])(
    "%s is not an npm credential",
    (name) => expect(isTokenVariable(name)).toBe(false),
  );
});

describe("findTokenSources", () => {
  it("names variables and npmrc lines, tells placeholders, never holds values", () => {
    const sources = findTokenSources({ NODE_AUTH_TOKEN: SECRET, NPM_CONFIG__AUTH: SECRET, NPM_TOKEN: "" }, [
      file("project", "//r.example/:_authToken=${NODE_AUTH_TOKEN}\n"),
      file("user", `registry=https://r.example/\n//r.example/:_authToken=${SECRET}\n`),
    ]);
    expect(sources).toEqual([
      { kind: "env", name: "NODE_AUTH_TOKEN" },
      { kind: "env", name: "NPM_CONFIG__AUTH" },
      {
        kind: "npmrc",
        name: "//r.example/:_authToken",
        file: "/repo/project.npmrc",
        fileKind: "project",
        line: 1,
        placeholderFor: ["NODE_AUTH_TOKEN"],
        unresolved: false,
      },
      { kind: "npmrc", name: "//r.example/:_authToken", file: "/repo/user.npmrc", fileKind: "user", line: 2 },
    ]);
    expect(JSON.stringify(sources)).not.toContain(SECRET);
  });
});

describe("cleanPublishEnv", () => {
  const files = [
    file("project", "registry=https://r.example/\n//r.example/:_authToken=${NODE_AUTH_TOKEN}\n"),
    file("user", `@s:registry=https://s.example/\n//s.example/:_authToken=${SECRET}\n_auth=${SECRET}\n`),
  ];
  const env = {
    PATH: "/bin",
    NODE_AUTH_TOKEN: SECRET,
    NPM_TOKEN: SECRET,
    NPM_CONFIG__AUTHTOKEN: SECRET,
    "npm_config_//r.example/:_authToken": SECRET,
    NPM_CONFIG_USERCONFIG: "/repo/user.npmrc",
  };

  it("drops every credential variable and blanks the project's credential lines for npm", () => {
    const cleaned = cleanPublishEnv(env, files, mkdtempSync(path.join(tmpdir(), "clean-")));
    expect(cleaned.env.PATH).toBe("/bin");
    expect(cleaned.env.NPM_TOKEN).toBeUndefined();
    expect(cleaned.env.NPM_CONFIG__AUTHTOKEN).toBeUndefined();
    expect(cleaned.env["npm_config_//r.example/:_authToken"]).toBeUndefined();
    expect(cleaned.env.NPM_CONFIG_USERCONFIG).toBeUndefined();
    // The placeholder's variable is empty, so a tool reading the file itself sees no token.
    expect(cleaned.env.NODE_AUTH_TOKEN).toBe("");
    expect(cleaned.npmArgs).toEqual(["--//r.example/:_authToken="]);
    expect(JSON.stringify(cleaned)).not.toContain(SECRET);
  });

  it("points npm at a sanitized copy of the user npmrc that keeps registries", () => {
    const cleaned = cleanPublishEnv(env, files, mkdtempSync(path.join(tmpdir(), "clean-")));
    const copy = cleaned.env.npm_config_userconfig ?? "";
    expect(copy).not.toBe("/repo/user.npmrc");
    expect(readFileSync(copy, "utf8")).toBe("@s:registry=https://s.example/\n");
    expect(statSync(copy).mode & 0o077).toBe(0);
  });
});
