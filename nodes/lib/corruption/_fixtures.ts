/** Test helper: loads a golden JSON file from test/fixtures/golden (never from ../shared). */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const goldenDir = join(dirname(fileURLToPath(import.meta.url)), "../../../test/fixtures/golden");

export function loadGolden<T>(name: string): T {
  return JSON.parse(readFileSync(join(goldenDir, name), "utf8")) as T;
}
