// The graph: uPlot on a canvas, one line per channel through the points the API gave
// (the M4 points of each pixel column, so peaks are drawn where they are) and, for
// downsampled channels, a band from each bucket's least to its greatest number; marks,
// if any, are vertical lines at their times (an alarm's backtest events). Dragging across
// it asks for that span (where the page can); the API then answers it in more detail.
import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import type { Language } from "../i18n";
import type { Aligned, Column } from "./aligned";

const HEIGHT = 360;
const DAY = 86_400_000;

/** The time axis's labels in the account's language and zone: times of day when the
 * ticks are less than a day apart, dates otherwise. */
function tickLabels(language: Language, timeZone: string) {
  const clock = new Intl.DateTimeFormat(language, { timeZone, hour: "2-digit", minute: "2-digit" });
  const calendar = new Intl.DateTimeFormat(language, { timeZone, month: "short", day: "numeric" });
  return (_: uPlot, ticks: number[], _axis: number, _space: number, apart: number) =>
    ticks.map((tick) => (apart < DAY ? clock : calendar).format(new Date(tick)));
}

/** The nth channel's colour: hues a golden angle apart stay distinct for 32 channels. */
export function colour(index: number, alpha = 1): string {
  return `hsl(${Math.round((index * 137.508) % 360)} 70% 38% / ${alpha})`;
}

/** A vertical line at `at`, in `colour`, dashed or not. */
export type Mark = { at: number; colour: string; dashed?: boolean };

type Props = {
  data: Aligned;
  marks?: Mark[];
  from: number;
  to: number;
  language: Language;
  timeZone: string;
  label: string;
  /** Left out, dragging does nothing. */
  onZoom?: (from: number, to: number) => void;
  /** Told the plot's width in CSS pixels: one bucket per pixel column is the detail to ask. */
  onWidth: (width: number) => void;
};

// One empty list for every chart without marks: a new one each render would redraw it.
const NO_MARKS: Mark[] = [];

export function SeriesChart({ data, marks = NO_MARKS, from, to, language, timeZone, label, onZoom, onWidth }: Props) {
  const box = useRef<HTMLDivElement>(null);
  // The latest handlers, read by the chart's hooks without making a new chart.
  const handlers = useRef({ onZoom, onWidth });
  handlers.current = { onZoom, onWidth };

  useEffect(() => {
    const target = box.current!;
    const series: uPlot.Series[] = [{}];
    const columns: Column[] = [];
    const bands: uPlot.Band[] = [];
    data.lines.forEach((line, index) => {
      series.push({ stroke: colour(index), width: 1.5, points: { show: false } });
      columns.push(line);
    });
    data.bands.forEach((band, index) => {
      if (!band) return;
      const hidden = { stroke: "transparent", points: { show: false } };
      series.push(hidden, hidden);
      columns.push(band.high, band.low);
      bands.push({ series: [series.length - 2, series.length - 1], fill: colour(index, 0.15) });
    });
    const chart = new uPlot(
      {
        width: target.clientWidth,
        height: HEIGHT,
        ms: 1,
        tzDate: (t) => uPlot.tzDate(new Date(t), timeZone),
        legend: { show: false },
        cursor: { drag: { x: onZoom !== undefined, y: false, setScale: false } },
        scales: { x: { time: true, range: () => [from, to] } },
        axes: [{ values: tickLabels(language, timeZone) }, {}],
        series,
        bands,
        hooks: {
          setSelect: [
            (u) => {
              const { left, width } = u.select;
              if (width < 2) return;
              const start = Math.round(u.posToVal(left, "x"));
              const end = Math.round(u.posToVal(left + width, "x"));
              u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
              handlers.current.onZoom?.(start, end);
            },
          ],
          draw: [
            (u) => {
              const { ctx } = u;
              const { top, height } = u.bbox;
              ctx.save();
              ctx.lineWidth = 2 * devicePixelRatio;
              for (const mark of marks) {
                const x = Math.round(u.valToPos(mark.at, "x", true));
                ctx.strokeStyle = mark.colour;
                ctx.setLineDash(mark.dashed ? [6 * devicePixelRatio, 4 * devicePixelRatio] : []);
                ctx.beginPath();
                ctx.moveTo(x, top);
                ctx.lineTo(x, top + height);
                ctx.stroke();
              }
              ctx.restore();
            },
          ],
        },
      },
      [data.times, ...columns],
      target,
    );
    handlers.current.onWidth(chart.bbox.width / devicePixelRatio);
    const resized = new ResizeObserver(() => {
      chart.setSize({ width: target.clientWidth, height: HEIGHT });
      handlers.current.onWidth(chart.bbox.width / devicePixelRatio);
    });
    resized.observe(target);
    return () => {
      resized.disconnect();
      chart.destroy();
    };
  }, [data, marks, from, to, language, timeZone]);

  return <div ref={box} class="chart" role="img" aria-label={label} />;
}
