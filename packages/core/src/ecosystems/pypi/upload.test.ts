import { describe, expect, it } from "vitest";
import { filesOnIndex, groupByRelease, parseDistribution, pypiIndexUrls, uploadRefusal } from "./upload.js";

describe("parseDistribution", () => {
  it("reads PEP 625 sdists and PEP 427 wheels (with a build tag)", () => {
    expect(parseDistribution("/d/event_forge-1.2.0rc1.tar.gz")).toMatchObject({
      project: "event-forge",
      version: "1.2.0rc1",
      kind: "sdist",
    });
    expect(parseDistribution("/d/Event.Forge-1.0.tar.gz")).toMatchObject({
      project: "event-forge",
      version: "1.0",
    });
    expect(parseDistribution("/d/event_forge-1.2.0-1-py3-none-any.whl")).toMatchObject({
      project: "event-forge",
      version: "1.2.0",
      kind: "wheel",
    });
  });

  it.each([
    "event_forge.tar.gz",
    "event_forge-1.0.0-next.0.tar.gz",
    "event_forge-1.0.0.whl",
    "event_forge-x.y-py3-none-any.whl",
  ])("refuses %s, naming the fix", (name) => {
    expect(() => parseDistribution(`/d/${name}`)).toThrow(/not a valid (sdist|wheel) file name/);
  });
});

describe("groupByRelease", () => {
  it("groups files of one project and PEP 440 version, in order", () => {
    const files = ["/d/a_pkg-1.0.0-py3-none-any.whl", "/d/a_pkg-1.0.tar.gz", "/d/b_pkg-2.0.tar.gz"].map(
      parseDistribution,
    );
    expect(groupByRelease(files).map((group) => [group.project, group.version, group.files.length])).toEqual([
      ["a-pkg", "1.0.0", 2],
      ["b-pkg", "2.0", 1],
    ]);
  });
});

describe("the index: URLs, the JSON API's files, warehouse's refusals", () => {
  it("uploads to upload.pypi.org for pypi.org and to <index>/legacy/ elsewhere", () => {
    expect(pypiIndexUrls("https://pypi.org/")).toEqual({
      index: "https://pypi.org",
      upload: "https://upload.pypi.org/legacy/",
      audience: "https://pypi.org/_/oidc/audience",
      mintToken: "https://pypi.org/_/oidc/mint-token",
    });
    expect(pypiIndexUrls("http://127.0.0.1:9/").upload).toBe("http://127.0.0.1:9/legacy/");
  });

  it("reads the file names of a release through the caller's HTTP: none on 404, an error for anything else", async () => {
    const answers: Record<string, { status: number; value: unknown }> = {
      "https://pypi.org/pypi/a-pkg/1.0rc1/json": {
        status: 200,
        value: { urls: [{ filename: "a-1.tar.gz" }, { filename: 3 }, null] },
      },
      "https://pypi.org/pypi/gone/1.0/json": { status: 404, value: null },
      "https://pypi.org/pypi/broken/1.0/json": { status: 500, value: null },
      "https://pypi.org/pypi/odd/1.0/json": { status: 200, value: { info: {} } },
    };
    const requested: string[] = [];
    const http = {
      async get(url: string) {
        requested.push(url);
        const answer = answers[url];
        if (!answer) throw new Error("ECONNREFUSED 127.0.0.1:1");
        return { status: answer.status, json: () => ({ ok: true as const, value: answer.value }) };
      },
      redact: (url: string) => url,
    };
    const query = (name: string, version = "1.0") => ({ index: "https://pypi.org/", name, version });
    expect(await filesOnIndex(query("a-pkg", "1.0rc1"), http)).toEqual(new Set(["a-1.tar.gz"]));
    expect(requested).toEqual(["https://pypi.org/pypi/a-pkg/1.0rc1/json"]);
    expect(await filesOnIndex(query("gone"), http)).toEqual(new Set());
    await expect(filesOnIndex(query("broken"), http)).rejects.toMatchObject({
      code: "registry-lookup-failed",
      exitCode: 1,
    });
    await expect(filesOnIndex(query("odd"), http)).rejects.toThrow("answered JSON without a `urls` list");
    await expect(filesOnIndex(query("down"), http)).rejects.toThrow("ECONNREFUSED");
  });

  it.each([
    ["Uploading new files to releases older than 14 days is not allowed.", "pypi-release-closed"],
    ["File already exists ('a-1.tar.gz', with blake2_256 hash 'x').", "pypi-file-exists"],
    ["This filename has already been used, use a different version.", "pypi-filename-reused"],
    ["The user 'x' isn't allowed to upload to project 'y'.", "pypi-project-not-owned"],
    ["Version in filename should be '1.0.0' not '1.0.1'.", "pypi-version-not-canonical"],
    ["Invalid or non-existent authentication information.", "pypi-auth-refused"],
  ])("%s -> %s", (message, code) => {
    expect(uploadRefusal(message)?.code).toBe(code);
  });

  it("knows no unknown message", () => {
    expect(uploadRefusal("Something new")).toBeUndefined();
  });
});
