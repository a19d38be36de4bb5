/** Wire errors: structured (code, message, hint), never a stack trace. */
import { toErrorInfo } from "../../../../nodes/sdk/errors.ts";
import type { WireError } from "../protocol/messages.ts";

/** A problem with a message itself (not its content): bad JSON, unknown type, rate limit. */
export function protocolError(code: string, message: string, hint?: string, details?: unknown) {
  return {
    category: "protocol",
    code,
    message,
    ...(hint ? { hint } : {}),
    ...(details !== undefined ? { details } : {}),
  } satisfies WireError;
}

/** Anything thrown, as a wire error (unknown errors keep only their message). */
export function wireError(err: unknown): WireError {
  return toErrorInfo(err) as WireError;
}
