#!/usr/bin/env node
// Entry point of the `edgrec` command. TypeScript sources run through tsx, so plugins written
// in TypeScript load the same way as the built-in nodes.
import { register } from "tsx/esm/api";

register();
const { main } = await import("../apps/runner/src/cli.ts");
process.exitCode = await main(process.argv.slice(2));
