export * from "./errors.ts";
export * from "./image.ts";
export * from "./node.ts";
export * from "./ports.ts";
export * from "./rng.ts";
