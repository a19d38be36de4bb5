/**
 * Structured errors. Every error a user can see carries a stable code, a message naming the
 * input, what was expected, and a hint saying what to do. The CLI maps the category to an
 * exit code; the server sends the same fields over the wire (never a stack trace).
 */
export type ErrorCategory = "usage" | "graph" | "data" | "runtime" | "cancelled";

export interface ErrorInfo {
  code: string;
  message: string;
  hint?: string;
  nodeId?: string;
  port?: string;
  param?: string;
  path?: string;
  details?: unknown;
}

export class EdgrecError extends Error {
  readonly code: string;
  readonly category: ErrorCategory;
  readonly hint?: string;
  readonly info: ErrorInfo;

  constructor(category: ErrorCategory, info: ErrorInfo, options?: { cause?: unknown }) {
    super(info.message, options);
    this.name = "EdgrecError";
    this.code = info.code;
    this.category = category;
    this.hint = info.hint;
    this.info = info;
  }

  toJSON(): ErrorInfo & { category: ErrorCategory } {
    return { category: this.category, ...this.info };
  }
}

/** Bad data: unreadable images, missing masks, empty datasets, sizes that do not fit. */
export function dataError(code: string, message: string, hint?: string, path?: string) {
  return new EdgrecError("data", { code, message, hint, path });
}

/** A failure while running a node that is not the user's data. */
export function runtimeError(code: string, message: string, hint?: string) {
  return new EdgrecError("runtime", { code, message, hint });
}

export function cancelledError(what = "run"): EdgrecError {
  return new EdgrecError("cancelled", { code: "E_CANCELLED", message: `${what} was cancelled` });
}

/** Converts anything thrown into the wire form; unknown errors keep only their message. */
export function toErrorInfo(err: unknown): ErrorInfo & { category: ErrorCategory } {
  if (err instanceof EdgrecError) return err.toJSON();
  const message = err instanceof Error ? err.message : String(err);
  return { category: "runtime", code: "E_INTERNAL", message };
}
