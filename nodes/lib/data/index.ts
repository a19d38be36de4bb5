/** Public API of the data library: image IO, resizing, dataset layouts and the demo set. */

export type { BmpHeader, BmpPixels } from "./bmp.ts";
export { decodeBmp, isBmp, readBmpHeader } from "./bmp.ts";
export type { DecodedImage, DecodeOptions, Size } from "./decode.ts";
export { DEFAULT_PIXEL_LIMIT, decodeImage, decodeMask, encodePng } from "./decode.ts";
export type { DemoOptions } from "./demo.ts";
export { DEMO_CATEGORY, DEMO_COUNTS, demoSampleSpec, ensureDemoData } from "./demo.ts";
export type { DefectSpec, DemoDefectKind, PartParams } from "./demo-render.ts";
export {
  DEMO_DEFECTS,
  defectContains,
  drawDefect,
  drawPartParams,
  partFromSeed,
  renderPart,
} from "./demo-render.ts";
export type {
  DatasetIndex,
  Label,
  LayoutKind,
  SampleRef,
  ScanOptions,
  Split,
} from "./layouts.ts";
export { countSamples, detectLayout, isImageFile, scanDataset } from "./layouts.ts";
export type { U8Image } from "./raster.ts";
export { assertRaster, exactU8Of, floatToU8, u8ToFloat } from "./raster.ts";
export type { ResizeMode } from "./resize.ts";
export { resizeFloat, resizeImage, resizeU8 } from "./resize.ts";
