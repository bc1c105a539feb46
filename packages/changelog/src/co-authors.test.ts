import { describe, expect, it } from "vitest";
import { coAuthorLogins } from "./co-authors.js";

describe("coAuthorLogins", () => {
  it("reads logins from GitHub no-reply addresses of Co-authored-by trailers", () => {
    const message = [
      "Add the thing",
      "",
      "Co-authored-by: Alice <12345+alice@users.noreply.github.com>",
      "co-authored-by: Bob B <bob-b@users.noreply.github.com>",
      "Co-authored-by: Carol <carol@example.com>",
      "Co-authored-by: Alice again <ALICE@users.noreply.github.com>",
    ].join("\n");
    expect(coAuthorLogins(message)).toEqual(["alice", "bob-b"]);
  });

  it("finds nothing in a message without trailers", () => {
    expect(coAuthorLogins("Fix\n\nmentions alice@users.noreply.github.com")).toEqual([]);
  });
});
