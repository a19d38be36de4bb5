/** What every part of the server shares: the runtime, the runs, the library and limits. */
import type { Logger } from "pino";
import type { Runtime } from "../runtime.ts";
import type { GraphLibrary } from "./library.ts";
import type { SharedScales } from "./preview.ts";
import type { RunManager } from "./runs.ts";

export interface ServerLimits {
  /** Client messages per connection: burst size and refill per second. */
  messageBurst: number;
  messagesPerSecond: number;
  /** Preview frames per node per client: burst size and refill per second. */
  previewBurst: number;
  previewsPerSecond: number;
  /** Previews are dropped for a client whose unsent bytes exceed this. */
  previewBufferBytes: number;
  /** A client whose unsent bytes exceed this is disconnected (it can reconnect and replay). */
  maxBufferBytes: number;
  /** Largest HTTP body accepted by /api/inspect (other endpoints use MAX_MESSAGE_BYTES). */
  maxInspectBytes: number;
}

export const DEFAULT_LIMITS: ServerLimits = {
  messageBurst: 100,
  messagesPerSecond: 50,
  previewBurst: 4,
  previewsPerSecond: 4,
  previewBufferBytes: 1 * 2 ** 20,
  maxBufferBytes: 16 * 2 ** 20,
  maxInspectBytes: 64 * 2 ** 20,
};

export interface ServerContext {
  runtime: Runtime;
  runs: RunManager;
  library: GraphLibrary;
  scales: SharedScales;
  log: Logger;
  limits: ServerLimits;
  /** Node types that receive images posted to /api/inspect. */
  inspectSourceTypes: string[];
  /** Folder handed to nodes as `outDir`. */
  outDir: string;
  runnerVersion: string;
}
