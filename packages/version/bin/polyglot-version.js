#!/usr/bin/env node
import nodeModule from "node:module";
import { cliEntry, requireNode } from "@polyglot-changesets/core/require-node";

requireNode("polyglot-version");
// As the changesets CLI does: V8 caches the compiled code between runs.
nodeModule.enableCompileCache?.();
await import(cliEntry(import.meta.url));
