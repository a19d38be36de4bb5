/**
 * Access control: an optional bearer token (required whenever the runner listens beyond the
 * loopback interface) and a same-host Origin check against cross-site pages.
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";

export const TOKEN_COOKIE = "edgrec_token";

/** True for 127.0.0.0/8, ::1 and "localhost". */
export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** 32 random bytes, URL-safe base64. */
export function generateToken(): string {
  return randomBytes(32).toString("base64url");
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The token a request carries: Authorization: Bearer, ?token=, or the editor's cookie. */
export function requestToken(req: IncomingMessage, url: URL): string | undefined {
  const auth = req.headers.authorization;
  if (auth?.startsWith("Bearer ")) return auth.slice(7).trim();
  const q = url.searchParams.get("token");
  if (q) return q;
  for (const part of (req.headers.cookie ?? "").split(";")) {
    const [k, ...v] = part.trim().split("=");
    if (k === TOKEN_COOKIE) return decodeURIComponent(v.join("="));
  }
  return undefined;
}

/** No token configured = open (loopback only); otherwise the request must carry it. */
export function authorized(req: IncomingMessage, url: URL, token: string | undefined): boolean {
  if (!token) return true;
  const given = requestToken(req, url);
  return given !== undefined && sameSecret(given, token);
}

/**
 * Browsers always send Origin on WebSocket upgrades and cross-site requests; it must name the
 * host the client connected to. Non-browser clients send none and are let through (the token
 * protects them when one is required).
 */
export function originAllowed(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

/**
 * Without a token, a loopback runner answers only requests addressed to a loopback name: a
 * page on another site that re-points its DNS name at 127.0.0.1 (DNS rebinding) sends its own
 * name in Host, and the Origin check alone would let it through.
 */
export function hostAllowed(req: IncomingMessage): boolean {
  const host = req.headers.host;
  if (!host) return false;
  try {
    return isLoopback(new URL(`http://${host}`).hostname.replace(/^\[|\]$/g, ""));
  } catch {
    return false;
  }
}
