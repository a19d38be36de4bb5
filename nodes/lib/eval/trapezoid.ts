/**
 * Trapezoidal area under a curve up to an x limit, with the last segment closed by linear
 * interpolation (the `trapezoid` helper of the MVTec evaluation scripts).
 */

/**
 * Area under y(x) for x ≤ xMax. Points with a non-finite x or y are dropped first.
 * @param x non-decreasing abscissae; @param y ordinates, same length.
 * @param xMax integration limit; when it falls between two samples, the area up to it is
 *   added with y linearly interpolated at xMax. Omit to integrate the whole curve.
 * @throws when xMax lies outside the sampled range.
 */
export function trapezoidArea(x: ArrayLike<number>, y: ArrayLike<number>, xMax?: number): number {
  if (x.length !== y.length)
    throw new Error(`trapezoidArea: x has ${x.length} points but y has ${y.length}`);
  const xs: number[] = [];
  const ys: number[] = [];
  for (let i = 0; i < x.length; i++) {
    if (Number.isFinite(x[i]) && Number.isFinite(y[i])) {
      xs.push(x[i]);
      ys.push(y[i]);
    }
  }
  let end = xs.length;
  let correction = 0;
  if (xMax !== undefined) {
    // bisect_right: first index whose x exceeds xMax
    let lo = 0;
    let hi = xs.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (xMax < xs[mid]) hi = mid;
      else lo = mid + 1;
    }
    const ins = lo;
    if (!xs.includes(xMax)) {
      if (!(ins > 0 && ins < xs.length)) {
        throw new Error(
          `trapezoidArea: xMax ${xMax} is outside the curve's x range [${xs[0]}, ${xs[xs.length - 1]}]`,
        );
      }
      const yInterp =
        ys[ins - 1] + ((ys[ins] - ys[ins - 1]) * (xMax - xs[ins - 1])) / (xs[ins] - xs[ins - 1]);
      correction = 0.5 * (yInterp + ys[ins - 1]) * (xMax - xs[ins - 1]);
    }
    end = ins; // x is sorted, so the points with x ≤ xMax are a prefix
  }
  let area = 0;
  for (let i = 1; i < end; i++) area += 0.5 * (ys[i] + ys[i - 1]) * (xs[i] - xs[i - 1]);
  return area + correction;
}
