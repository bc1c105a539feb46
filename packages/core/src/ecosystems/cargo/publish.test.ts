import { describe, expect, it } from "vitest";
import { cargoPublishArgs, crateLayers, isAlreadyPublishedMessage, isPublishableTo } from "./publish.js";

const crate = (name: string, needs: string[] = []) => ({ name, needs });

describe("the cargo publish side", () => {
  it("layers crates after what they need, keeping the input order within a layer; a cycle is an error", () => {
    expect(crateLayers([crate("c", ["a", "b"]), crate("a"), crate("b", ["a"]), crate("d")])).toEqual([
      ["a", "d"],
      ["b"],
      ["c"],
    ]);
    expect(crateLayers([])).toEqual([]);
    expect(() => crateLayers([crate("a", ["b"]), crate("b", ["a"])])).toThrow(
      /a, b depend on each other in a cycle/,
    );
  });

  it("reads `publish` as cargo metadata reports it", () => {
    expect(isPublishableTo(null, "crates-io")).toBe(true);
    expect(isPublishableTo([], "crates-io")).toBe(false);
    expect(isPublishableTo(["my-reg"], "crates-io")).toBe(false);
    expect(isPublishableTo(["my-reg"], "my-reg")).toBe(true);
  });

  it("always names the registry, and passes only the flags asked for", () => {
    expect(cargoPublishArgs("x0x", "crates-io", [])).toEqual([
      "publish",
      "-p",
      "x0x",
      "--registry",
      "crates-io",
    ]);
    expect(cargoPublishArgs("x0x", "my-reg", ["--no-verify"])).toEqual([
      "publish",
      "-p",
      "x0x",
      "--registry",
      "my-reg",
      "--no-verify",
    ]);
  });

  it("knows cargo's and the registry's ways of saying the version is there already", () => {
    expect(isAlreadyPublishedMessage("error: crate x0x@0.5.0 already exists on crates.io index")).toBe(true);
    expect(
      isAlreadyPublishedMessage("the remote server responded with an error: crate x0x@0.5.0 already exists"),
    ).toBe(true);
    expect(isAlreadyPublishedMessage("crate version `0.5.0` is already uploaded")).toBe(true);
    expect(isAlreadyPublishedMessage("error: failed to publish: 503 Service Unavailable")).toBe(false);
  });
});
