import { describe, expect, it } from "vitest";
import {
  groupByRelease,
  parseDistribution,
  pypiIndexUrls,
  releaseFileNames,
  releaseJsonUrl,
  uploadRefusal,
} from "./pypi-upload.js";

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
    expect(releaseJsonUrl("https://pypi.org/", "a-pkg", "1.0rc1")).toBe(
      "https://pypi.org/pypi/a-pkg/1.0rc1/json",
    );
  });

  it("reads the file names of a release, none on 404, a reason for anything else", () => {
    const json = (value: unknown) => () => ({ ok: true as const, value });
    expect(
      releaseFileNames(200, json({ urls: [{ filename: "a-1.tar.gz" }, { filename: 3 }, null] })),
    ).toEqual(new Set(["a-1.tar.gz"]));
    expect(releaseFileNames(404, json(null))).toEqual(new Set());
    expect(releaseFileNames(500, json(null))).toBe("HTTP 500");
    expect(releaseFileNames(200, json({ info: {} }))).toBe("answered JSON without a `urls` list");
    expect(releaseFileNames(200, () => ({ ok: false, reason: "answered text/html instead of JSON" }))).toBe(
      "answered text/html instead of JSON",
    );
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
