/**
 * `npm run bench -- NAME [args]` runs bench/NAME.ts, whose default export prints a table.
 * Benchmarks measure; they never assert timings (tests check correctness only).
 */
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const available = readdirSync(here)
  .filter((f) => f.endsWith(".ts") && f !== "index.ts" && !f.startsWith("_"))
  .map((f) => f.slice(0, -3))
  .sort();

const [name, ...rest] = process.argv.slice(2);
if (!name || !available.includes(name)) {
  console.error(`usage: npm run bench -- <${available.join("|")}> [args]`);
  process.exit(name ? 2 : 0);
}
const mod = (await import(join(here, `${name}.ts`))) as {
  default: (args: string[]) => Promise<void>;
};
await mod.default(rest);
