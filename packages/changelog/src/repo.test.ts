import { describe, expect, it } from "vitest";
import { parseRemoteUrl, resolveRepo } from "./repo.js";

describe("parseRemoteUrl", () => {
  it.each([
    ["https://github.com/o/r.git", "https://github.com", "o/r"],
    ["https://github.com/o/r", "https://github.com", "o/r"],
    ["https://x-access-token:secret@github.com/o/r.git", "https://github.com", "o/r"],
    ["git@github.com:o/r.git", "https://github.com", "o/r"],
    ["github.com:o/r", "https://github.com", "o/r"],
    ["ssh://git@ghe.example.com:2222/team/app.git", "https://ghe.example.com", "team/app"],
    ["git+https://ghe.example.com:8443/team/my.app/", "https://ghe.example.com:8443", "team/my.app"],
  ])("%s", (remote, serverUrl, slug) => {
    expect(parseRemoteUrl(remote)).toEqual({ serverUrl, slug });
  });

  it.each(["/srv/git/repo.git", "https://github.com/only-owner", "file:///tmp/a/b/c", "not a url"])(
    "%s has no owner/name",
    (remote) => {
      expect(parseRemoteUrl(remote)).toBeUndefined();
    },
  );
});

describe("resolveRepo", () => {
  const noRemote = async () => undefined;
  const remote = (url: string) => async () => url;

  it("prefers the option, then GITHUB_REPOSITORY, then the origin remote", async () => {
    const env = { repository: "env/repo" };
    expect(await resolveRepo("opt/repo", env, remote("git@github.com:git/repo.git"))).toEqual({
      slug: "opt/repo",
      serverUrl: "https://github.com",
      source: "option",
    });
    expect(await resolveRepo(undefined, env, remote("git@github.com:git/repo.git"))).toMatchObject({
      slug: "env/repo",
      source: "GITHUB_REPOSITORY",
    });
    expect(await resolveRepo(undefined, {}, remote("git@ghe.example.com:git/repo.git"))).toEqual({
      slug: "git/repo",
      serverUrl: "https://ghe.example.com",
      source: "origin remote",
    });
    expect(await resolveRepo(undefined, {}, noRemote)).toBeUndefined();
  });

  it("takes the web server from GITHUB_SERVER_URL when it is set", async () => {
    const env = { serverUrl: "https://ghe.corp" };
    expect(await resolveRepo("o/r", env, noRemote)).toMatchObject({ serverUrl: "https://ghe.corp" });
    expect(await resolveRepo(undefined, env, remote("git@other:o/r"))).toMatchObject({
      serverUrl: "https://ghe.corp",
    });
  });
});
