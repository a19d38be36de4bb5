/** Parameter schemas shared by several nodes, so their ranges and texts stay the same. */
import { z } from "zod";
import { DEFAULT_PIXEL_LIMIT } from "./data/decode.ts";

export const pixelLimitParam = z
  .number()
  .int()
  .min(1)
  .max(1e9)
  .default(DEFAULT_PIXEL_LIMIT)
  .describe("Refuse images with more pixels than this before decoding them");

/** The square working size every image is resized to. */
export function workingSizeParam(defaultSize: number, description: string) {
  return z
    .number()
    .int()
    .min(16)
    .max(1024)
    .default(defaultSize)
    .describe(description)
    .meta({ unit: "px", scale: "log" });
}

/** Name of a subfolder of the run's out folder. */
export function outFolderParam(defaultName: string) {
  return z
    .string()
    .regex(/^[A-Za-z0-9_.-]+$/, "a plain folder name")
    .default(defaultName)
    .describe("Subfolder of the run's out folder");
}
