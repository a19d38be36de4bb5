/**
 * Connected-component labelling of binary masks with 8-connectivity (scipy.ndimage.label with
 * a 3×3 ones structure): labels 1..count in raster order of each component's first pixel.
 */

export interface Components {
  /** 0 = background, 1..count = component id, row-major. */
  readonly labels: Int32Array;
  readonly count: number;
  /** sizes[k] = pixel count of component k (sizes[0] = background pixels). */
  readonly sizes: Uint32Array;
}

/**
 * Labels the 8-connected components of `fg` (non-zero = foreground).
 * @param fg row-major foreground flags, length width·height.
 */
export function labelComponents8(fg: Uint8Array, width: number, height: number): Components {
  if (fg.length !== width * height) {
    throw new Error(`labelComponents8: mask has ${fg.length} values, expected ${width}x${height}`);
  }
  const labels = new Int32Array(fg.length);
  const stack = new Int32Array(fg.length);
  const sizes: number[] = [0];
  let count = 0;
  for (let start = 0; start < fg.length; start++) {
    if (!fg[start] || labels[start]) continue;
    count++;
    let size = 0;
    let top = 0;
    stack[top++] = start;
    labels[start] = count;
    while (top > 0) {
      const p = stack[--top];
      size++;
      const y = (p / width) | 0;
      const x = p - y * width;
      for (let dy = -1; dy <= 1; dy++) {
        const yy = y + dy;
        if (yy < 0 || yy >= height) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx;
          if (xx < 0 || xx >= width) continue;
          const q = yy * width + xx;
          if (fg[q] && !labels[q]) {
            labels[q] = count;
            stack[top++] = q;
          }
        }
      }
    }
    sizes.push(size);
  }
  let background = 0;
  for (let i = 0; i < fg.length; i++) if (!fg[i]) background++;
  sizes[0] = background;
  return { labels, count, sizes: Uint32Array.from(sizes) };
}
