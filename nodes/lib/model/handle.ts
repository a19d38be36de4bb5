/** The value that flows through Model ports: a loaded network plus its manifest. */
import { initBackend } from "../unet/backend.ts";
import type { ModelManifest } from "../unet/checkpoint.ts";
import type { UNet } from "../unet/model.ts";

export interface ModelHandle {
  kind: "edgrec-unet";
  manifest: ModelManifest;
  model: UNet;
  /** Folder the model was saved to or loaded from, when it lives on disk. */
  dir?: string;
}

let backend: Promise<{ name: string; reason: string }> | undefined;
let requested: string | undefined;

/**
 * Activates the tfjs backend once per process. A second, different explicit request is
 * refused: tensors of the first backend would be stranded.
 */
export function ensureBackend(
  name: string,
  log?: (m: string) => void,
): Promise<{ name: string; reason: string }> {
  if (backend && requested !== name && name !== "auto" && requested !== "auto") {
    return backend.then((b) => {
      if (b.name !== name && !(name === "tensorflow-gpu" && b.name === "tensorflow")) {
        throw new Error(
          `backend "${name}" requested, but this runner already uses "${b.name}"; restart it with --backend ${name}`,
        );
      }
      return b;
    });
  }
  if (!backend) {
    requested = name;
    backend = initBackend(name as Parameters<typeof initBackend>[0], log);
    backend.catch(() => {
      backend = undefined;
    });
  }
  return backend;
}
