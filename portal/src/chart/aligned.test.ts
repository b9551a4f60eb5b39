import { describe, expect, test } from "vitest";
import type { Schemas } from "../api/client";
import { align } from "./aligned";

type Point = [number, Schemas["Value"]];

function answer(
  series: { channel: string; downsampled: boolean; points: Point[] }[],
  shape: { from: number; to: number; buckets: number; bucket_width: number | null },
): Schemas["Series"] {
  return { group: "plant", truncated_at: null, series, ...shape };
}

describe("the chart's data from a series answer", () => {
  test("channels share one time axis, each undefined (passed over) where it has no point", () => {
    const aligned = align(
      answer(
        [
          { channel: "a", downsampled: false, points: [[10, 1], [30, 3]] },
          { channel: "b", downsampled: false, points: [[20, 2], [30, 4]] },
        ],
        { from: 0, to: 100, buckets: 10, bucket_width: null },
      ),
    );
    expect(aligned.times).toEqual([10, 20, 30]);
    expect(aligned.lines).toEqual([
      [1, undefined, 3],
      [undefined, 2, 4],
    ]);
    expect(aligned.bands).toEqual([null, null]);
  });

  test("a special value has no height: null, a gap in the line", () => {
    const aligned = align(
      answer([{ channel: "a", downsampled: false, points: [[1, 5], [2, "+OVER"], [3, "BURNOUT"]] }], {
        from: 0,
        to: 10,
        buckets: 10,
        bucket_width: null,
      }),
    );
    expect(aligned.lines).toEqual([[5, null, null]]);
  });

  test("a downsampled channel's band spans each equal bucket's least and greatest number", () => {
    // Two buckets of 50 ms: [0, 50) and [50, 100).
    const aligned = align(
      answer(
        [{ channel: "a", downsampled: true, points: [[0, 2], [10, 9], [20, "ERROR"], [40, -1], [60, 4], [90, 6]] }],
        { from: 0, to: 100, buckets: 2, bucket_width: null },
      ),
    );
    expect(aligned.times).toEqual([0, 10, 20, 40, 60, 90]);
    expect(aligned.bands).toEqual([
      { low: [-1, -1, undefined, -1, 4, 4], high: [9, 9, undefined, 9, 6, 6] },
    ]);
  });

  test("buckets of whole hours are cut from the epoch, not from the range's start", () => {
    const hour = 3_600_000;
    const from = 10 * hour + 1_800_000;
    const aligned = align(
      answer(
        [{ channel: "a", downsampled: true, points: [[from, 1], [11 * hour - 1, 3], [11 * hour, 7], [11 * hour + 5, 5]] }],
        { from, to: 12 * hour, buckets: 2, bucket_width: hour },
      ),
    );
    expect(aligned.bands[0]).toEqual({ low: [1, 1, 5, 5], high: [3, 3, 7, 7] });
  });
});
