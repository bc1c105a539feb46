// biome-ignore-all lint/suspicious/noTemplateCurlyInString: npmrc placeholders like ${NODE_AUTH_TOKEN} are the subject here
import { describe, expect, it } from "vitest";
import {
  expandEnv,
  NpmConfig,
  type NpmrcFile,
  nerfDartPrefixes,
  parseNpmrc,
  projectConfigEnv,
} from "./npmrc.js";

function file(kind: NpmrcFile["kind"], text: string): NpmrcFile {
  return { kind, path: `/${kind}/.npmrc`, entries: parseNpmrc(text) };
}

describe("parseNpmrc", () => {
  it("reads key=value lines with their line numbers, skipping comments and quotes", () => {
    expect(
      parseNpmrc('; comment\n# other\n\nregistry = "https://r.example/"\n@a:registry=https://a.example/\n'),
    ).toEqual([
      { key: "registry", value: "https://r.example/", line: 4 },
      { key: "@a:registry", value: "https://a.example/", line: 5 },
    ]);
  });
});

describe("expandEnv", () => {
  it("expands as npm does: unset stays literal, `?` makes it empty", () => {
    expect(expandEnv("${A}-${B}-${C?}", { A: "x" })).toBe("x-${B}-");
  });
});

describe("NpmConfig.registryFor", () => {
  const config = new NpmConfig(
    [
      file("project", "@scoped:registry=https://scoped.example/\n"),
      file("user", "registry=https://user.example\n"),
    ],
    {},
  );

  it("takes a publishConfig scope registry first, then the configured scope registry", () => {
    expect(config.registryFor("@scoped/x", { "@scoped:registry": "https://pc-scope.example/" })).toBe(
      "https://pc-scope.example/",
    );
    expect(config.registryFor("@scoped/x", { registry: "https://pc.example/" })).toBe(
      "https://scoped.example/",
    );
  });

  it("then publishConfig.registry, then the configured registry, then npmjs", () => {
    expect(config.registryFor("plain", { registry: "https://pc.example" })).toBe("https://pc.example/");
    expect(config.registryFor("plain")).toBe("https://user.example/");
    expect(new NpmConfig([], {}).registryFor("plain")).toBe("https://registry.npmjs.org/");
  });

  it("lets npm_config_* variables override files (case-insensitive)", () => {
    expect(
      new NpmConfig([file("user", "registry=https://user.example/\n")], {
        NPM_CONFIG_REGISTRY: "https://env.example/",
      }).registryFor("x"),
    ).toBe("https://env.example/");
  });
});

describe("NpmConfig.authorizationFor", () => {
  it("finds the most specific credential of the registry path", () => {
    const config = new NpmConfig(
      [
        file(
          "project",
          "//r.example/:_authToken=top\n//r.example/npm/:_authToken=${TOKEN}\n//b.example/:_auth=dXNlcjpwYXNz\n",
        ),
      ],
      { TOKEN: "deep" },
    );
    expect(config.authorizationFor("https://r.example/npm/")).toBe("Bearer deep");
    expect(config.authorizationFor("https://r.example/")).toBe("Bearer top");
    expect(config.authorizationFor("https://b.example/")).toBe("Basic dXNlcjpwYXNz");
    expect(config.authorizationFor("https://none.example/")).toBeUndefined();
  });

  it("falls back on the user:pass@ of the registry URL, as npm sends it", () => {
    const config = new NpmConfig([file("project", "//r.example/:_authToken=top\n")], {});
    expect(config.authorizationFor("https://deploy:s%40cret@u.example/")).toBe(
      `Basic ${Buffer.from("deploy:s@cret").toString("base64")}`,
    );
    expect(config.authorizationFor("https://deploy:x@r.example/")).toBe("Bearer top");
  });

  it("nerf-darts like npm", () => {
    expect(nerfDartPrefixes("http://127.0.0.1:4873/a/b")).toEqual([
      "//127.0.0.1:4873/a/b/",
      "//127.0.0.1:4873/a/",
      "//127.0.0.1:4873/",
    ]);
  });
});

describe("projectConfigEnv", () => {
  const project = file(
    "project",
    "registry=https://r.example/\n@s:registry=https://s.example/\n//r.example/:_authToken=${NPM_TOKEN}\nsave-exact=true\n",
  );

  it("carries registry settings, and credentials only when asked", () => {
    expect(projectConfigEnv([project], { NPM_TOKEN: "t" }, false)).toEqual({
      npm_config_registry: "https://r.example/",
      "npm_config_@s:registry": "https://s.example/",
    });
    expect(projectConfigEnv([project], { NPM_TOKEN: "t" }, true)["npm_config_//r.example/:_authToken"]).toBe(
      "t",
    );
  });

  it("keeps what the caller set and skips unresolved placeholders", () => {
    const exported = projectConfigEnv([project], { npm_config_registry: "https://mine.example/" }, true);
    expect(exported.npm_config_registry).toBeUndefined();
    expect(exported["npm_config_//r.example/:_authToken"]).toBeUndefined();
  });
});
