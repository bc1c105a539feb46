import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, test } from "vitest";
import {
  describeFetchError,
  HttpFailure,
  httpRequest,
  isJsonContentType,
  redactUrl,
  rememberSecrets,
  withCredentialsAsHeader,
} from "./http.js";

describe("redactUrl", () => {
  test("replaces userinfo with ***", () => {
    expect(redactUrl("https://user:pass@registry.example.com/npm/")).toBe(
      "https://***@registry.example.com/npm/",
    );
    expect(redactUrl("https://tokenonly@pypi.example.com/simple")).toBe(
      "https://***@pypi.example.com/simple",
    );
  });

  test("hides the first path segment on Gemfury hosts (npm.fury.io/<token>/)", () => {
    expect(redactUrl("https://npm.fury.io/AbC123secret/")).toBe("https://npm.fury.io/***/");
    expect(redactUrl("https://pkg.fury.io/AbC123secret/acme/")).toBe("https://pkg.fury.io/***/acme/");
  });

  test("hides path segments that are known or token-shaped, and credential query parameters", () => {
    rememberSecrets(["verysecretvalue42"]);
    expect(redactUrl("https://r.example.com/verysecretvalue42/npm/")).toBe("https://r.example.com/***/npm/");
    expect(redactUrl("https://r.example.com/npm_abcdefghijklmnop/")).toBe("https://r.example.com/***/");
    expect(redactUrl("https://r.example.com/x?token=abc&page=2")).toBe(
      "https://r.example.com/x?token=***&page=2",
    );
    expect(redactUrl("https://registry.npmjs.org/")).toBe("https://registry.npmjs.org/");
  });

  test("redacts userinfo in text that is not a URL", () => {
    expect(redactUrl("not a url //u:p@host/")).toBe("not a url //***@host/");
  });
});

test("withCredentialsAsHeader moves user:pass to a Basic header, unless an Authorization is given", () => {
  const moved = withCredentialsAsHeader("https://us%40er:p%3Ass@h.example/r/", { accept: "x" });
  expect(moved.target).toBe("https://h.example/r/");
  expect(moved.headers.authorization).toBe(`Basic ${Buffer.from("us@er:p:ss").toString("base64")}`);
  const kept = withCredentialsAsHeader("https://u:p@h.example/", { authorization: "Bearer t" });
  expect(kept).toEqual({ target: "https://h.example/", headers: { authorization: "Bearer t" } });
});

describe("describeFetchError", () => {
  const fetchFailed = (cause: unknown) => Object.assign(new TypeError("fetch failed"), { cause });
  test("names the cause of `fetch failed`", () => {
    expect(describeFetchError(fetchFailed({ code: "ECONNREFUSED", address: "127.0.0.1", port: 1 }))).toBe(
      "ECONNREFUSED 127.0.0.1:1",
    );
    expect(describeFetchError(fetchFailed({ code: "ENOTFOUND", hostname: "nope.invalid" }))).toBe(
      "DNS: ENOTFOUND nope.invalid",
    );
    expect(
      describeFetchError(fetchFailed({ code: "CERT_HAS_EXPIRED", message: "certificate has expired" })),
    ).toBe("TLS: CERT_HAS_EXPIRED (certificate has expired)");
    const aggregate = { errors: [{ code: "ECONNREFUSED", address: "::1", port: 80 }] };
    expect(describeFetchError(fetchFailed(aggregate))).toBe("ECONNREFUSED ::1:80");
  });

  test("says a timeout is one, with the knob", () => {
    const timeout = new DOMException("The operation was aborted due to timeout", "TimeoutError");
    expect(describeFetchError(timeout, 1500)).toBe(
      "no complete answer within 1.5 s (POLYGLOT_HTTP_TIMEOUT_MS sets the deadline)",
    );
  });
});

test("isJsonContentType accepts JSON media types only", () => {
  expect(isJsonContentType("application/json; charset=utf-8")).toBe(true);
  expect(isJsonContentType("application/vnd.npm.install-v1+json")).toBe(true);
  expect(isJsonContentType("text/html")).toBe(false);
  expect(isJsonContentType("")).toBe(false);
});

describe("httpRequest", () => {
  let close: (() => void) | undefined;
  afterEach(() => close?.());

  test("stops an endless body at the size cap without retrying", async () => {
    let requests = 0;
    const server = createServer((_req, res) => {
      requests += 1;
      res.writeHead(200, { "content-type": "application/json" });
      const chunk = Buffer.alloc(16 * 1024, "x");
      const pump = () => {
        while (!res.destroyed && res.write(chunk)) {}
        if (!res.destroyed) res.once("drain", pump);
      };
      pump();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    close = () => {
      server.closeAllConnections();
      server.close();
    };
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const error = await httpRequest(url, { maxBytes: 1024 * 1024 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(HttpFailure);
    expect((error as HttpFailure).reason).toBe("the answer is larger than 1 MiB");
    expect(requests).toBe(1);
  });

  test("never re-sends a request body (an ID token to mint with) to where a redirect points", async () => {
    const received: string[] = [];
    const elsewhere = createServer((req, res) => {
      let body = "";
      req.on("data", (chunk) => {
        body += chunk;
      });
      req.on("end", () => {
        received.push(body);
        res.writeHead(200, { "content-type": "application/json" });
        res.end('{"token":"pypi-minted"}');
      });
    });
    await new Promise<void>((resolve) => elsewhere.listen(0, "127.0.0.1", resolve));
    const target = `http://localhost:${(elsewhere.address() as AddressInfo).port}/collect`;
    const index = createServer((req, res) => {
      req.resume();
      res.writeHead(307, { location: target });
      res.end();
    });
    await new Promise<void>((resolve) => index.listen(0, "127.0.0.1", resolve));
    close = () => {
      for (const server of [index, elsewhere]) {
        server.closeAllConnections();
        server.close();
      }
    };
    const url = `http://127.0.0.1:${(index.address() as AddressInfo).port}/_/oidc/mint-token`;
    const answer = await httpRequest(url, {
      method: "POST",
      body: JSON.stringify({ token: "eyJ.id.token" }),
    });
    expect(received).toEqual([]);
    expect(answer.status).toBe(307);
  });
});
