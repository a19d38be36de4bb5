/**
 * Shared pieces of the browser suites: a real `edgrec serve` child process on a free port, and
 * Debian's Chromium driven by playwright-core (never a downloaded browser).
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { type Browser, chromium } from "playwright-core";

export const ROOT = resolve(import.meta.dirname, "../..");
export const CHROMIUM = "/usr/bin/chromium";

/** `false` when Chromium is installed, else the reason the suite is skipped. */
export function chromiumSkip(what: string): false | string {
  return existsSync(CHROMIUM)
    ? false
    : `${CHROMIUM} is missing: install it with apt-get install -y chromium to run ${what}`;
}

/**
 * Builds the editor bundle the server serves. The test launcher builds once up front and says
 * so, because two suites building into dist/ at the same time would race.
 */
export function buildEditor(): void {
  if (process.env.EDGREC_EDITOR_BUILT === "1") return;
  execFileSync(process.execPath, ["scripts/build.mjs"], { cwd: ROOT, stdio: "pipe" });
}

/** Starts `edgrec serve --port 0 ...args` and resolves with its URL from the banner line. */
export function startServe(
  args: string[],
  timeoutMs = 30_000,
): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ["bin/edgrec.js", "serve", "--port", "0", ...args], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  return new Promise((res, rej) => {
    const timer = setTimeout(
      () => rej(new Error(`edgrec serve did not start:\n${out}${err}`)),
      timeoutMs,
    );
    child.stderr?.on("data", (d) => {
      err += d;
    });
    child.stdout?.on("data", (d) => {
      out += d;
      const m = /listening on (http:\/\/[^\s/]+)\//.exec(out);
      if (m) {
        clearTimeout(timer);
        res({ url: m[1], child });
      }
    });
    child.on("exit", (code) => rej(new Error(`edgrec serve exited with ${code}:\n${out}${err}`)));
  });
}

export async function stopServe(child: ChildProcess | undefined): Promise<void> {
  if (child && child.exitCode === null) {
    child.kill("SIGTERM");
    await new Promise((r) => child.once("exit", r));
  }
}

/** Headless Chromium with the flags this closed network needs (no background connections). */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}
