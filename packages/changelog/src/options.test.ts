import { describe, expect, it } from "vitest";
import { ChangelogConfigError } from "./errors.js";
import { parseOptions } from "./options.js";
import { renderTemplate, validateTemplate } from "./template.js";

function configError(run: () => unknown): ChangelogConfigError {
  try {
    run();
  } catch (error) {
    if (error instanceof ChangelogConfigError) return error;
    throw error;
  }
  throw new Error("expected a ChangelogConfigError");
}

describe("parseOptions", () => {
  it("treats null (module named as a bare string) as no options", () => {
    expect(parseOptions(null)).toEqual({});
  });

  it("keeps the known options", () => {
    expect(
      parseOptions({
        repo: "o/r",
        offline: true,
        disableThanks: false,
        template: "{summary}",
        thankCoAuthors: true,
      }),
    ).toEqual({
      repo: "o/r",
      offline: true,
      disableThanks: false,
      template: "{summary}",
      thankCoAuthors: true,
    });
  });

  it("names unknown options and the config file", () => {
    const error = configError(() => parseOptions({ repo: "o/r", disableThank: true, repository: "x" }));
    expect(error.setting).toBe("disableThank, repository");
    expect(error.message).toContain(".changeset/config.json");
    expect(error.message).toContain('"disableThank, repository": unknown options');
    expect(error.message).toContain("repo, template, offline, disableThanks, thankCoAuthors");
  });

  it("rejects a repo that is not owner/name", () => {
    const error = configError(() => parseOptions({ repo: "https://github.com/o/r" }));
    expect(error.setting).toBe("repo");
    expect(error.message).toContain('"https://github.com/o/r"');
  });

  it("rejects non-boolean flags and non-string templates", () => {
    expect(configError(() => parseOptions({ offline: "yes" })).setting).toBe("offline");
    expect(configError(() => parseOptions({ template: 3 })).setting).toBe("template");
    expect(configError(() => parseOptions("o/r")).message).toContain("expected an object");
  });

  it("treats an empty template as the default format, as changelog-github does", () => {
    expect(parseOptions({ template: "" }).template).toBeUndefined();
  });
});

describe("template", () => {
  it("names each unknown token once", () => {
    const error = configError(() => validateTemplate("- {summary} {user} {prLink} {user}"));
    expect(error.message).toContain("unknown template tokens {user}, {prLink}");
    expect(error.message).toContain("{summary}, {ref}, {pull}, {commit}, {authors}, {thanks}");
  });

  it("renders every token", () => {
    const rendered = renderTemplate("{summary}|{ref}|{pull}|{commit}|{authors}|{thanks}", {
      summary: "s",
      ref: "(r)",
      pull: "p",
      commit: "c",
      authors: "a",
      thanks: "Thanks a!",
    });
    expect(rendered).toBe("s|(r)|p|c|a|Thanks a!");
  });
});
