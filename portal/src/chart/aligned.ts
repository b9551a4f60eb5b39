// The API's series as the chart draws them: one time axis for every channel (uPlot's
// aligned data), each channel's points where it has them, and, for downsampled
// channels, the least and greatest number of the bucket each point falls in (the band
// that keeps peaks in sight however far out the graph is).
import type { Schemas } from "../api/client";

export type Column = (number | null | undefined)[];

export type Aligned = {
  /** Every point's time, in milliseconds, ascending and once each. */
  times: number[];
  /**
   * Per channel, in the answer's order: its numbers on `times`. Where it has no point (a
   * time of another channel's) the value is undefined, which the line passes straight
   * over; where its point is a special value it is null, which breaks the line.
   */
  lines: Column[];
  /** Per channel: its bucket's least and greatest number on `times`, or null when the
   * channel was not downsampled (each point is then its own bucket). */
  bands: ({ low: Column; high: Column } | null)[];
};

/** The bucket a time falls in: whole ten minutes, hours or days from the epoch, or equal parts. */
function bucketOf(series: Schemas["Series"]): (t: number) => number {
  const width = series.bucket_width;
  if (width != null) return (t) => Math.floor(t / width);
  const span = series.to - series.from;
  return (t) => Math.floor(((t - series.from) * series.buckets) / span);
}

export function align(series: Schemas["Series"]): Aligned {
  const times = [...new Set(series.series.flatMap((channel) => channel.points.map(([t]) => t)))].sort(
    (a, b) => a - b,
  );
  const column = new Map(times.map((t, i) => [t, i]));
  const bucket = bucketOf(series);
  const lines: Aligned["lines"] = [];
  const bands: Aligned["bands"] = [];
  for (const channel of series.series) {
    const line: Column = new Array(times.length).fill(undefined);
    for (const [t, value] of channel.points) {
      // Special values (over range, burnout, error) have no height: a gap in the line;
      // the list shows them by name.
      line[column.get(t)!] = typeof value === "number" ? value : null;
    }
    lines.push(line);
    if (!channel.downsampled) {
      bands.push(null);
      continue;
    }
    const extremes = new Map<number, { low: number; high: number }>();
    for (const [t, value] of channel.points) {
      if (typeof value !== "number") continue;
      const key = bucket(t);
      const seen = extremes.get(key);
      if (!seen) extremes.set(key, { low: value, high: value });
      else {
        seen.low = Math.min(seen.low, value);
        seen.high = Math.max(seen.high, value);
      }
    }
    const low: Column = new Array(times.length).fill(undefined);
    const high: Column = new Array(times.length).fill(undefined);
    for (const [t, value] of channel.points) {
      if (typeof value !== "number") continue;
      const { low: least, high: greatest } = extremes.get(bucket(t))!;
      low[column.get(t)!] = least;
      high[column.get(t)!] = greatest;
    }
    bands.push({ low, high });
  }
  return { times, lines, bands };
}
