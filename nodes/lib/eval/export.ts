/**
 * Export helpers for score maps: float32 TIFF files and heat-map overlays.
 */

export { HEAT_COLORMAP, heatmapOverlay, type OverlayOptions, type Rgb8Image } from "./heatmap.ts";
export { decodeFloatTiff, encodeFloatTiff } from "./tiff.ts";
