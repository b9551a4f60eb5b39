// The time-series viewer: up to 32 channels of a group, picked from its tree of apps,
// instruments and calculated channels, over a preset or free range; the graph asks the
// API again for each span dragged across it, and the list shows the same points as
// numbers (special values by name).
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { api, type Schemas } from "../api/client";
import { readSeries } from "../api/series";
import { align } from "../chart/aligned";
import { colour, SeriesChart } from "../chart/SeriesChart";
import { fill, type Language } from "../i18n";
import type { Messages } from "../i18n/en";
import { perGroup } from "../groups";
import { ExportZip } from "./ExportZip";
import { formatTime, fromWallClock, toWallClock } from "../time";
import { formatValue, isSpecial } from "../values";
import { Problem } from "../ui/Problem";

/** The API's own limit on channels per request (`MAX_CHANNELS` in the series use case). */
const MOST_CHANNELS = 32;
/** The API's limits on buckets per request (`MAX_BUCKETS` there). */
const FEWEST_BUCKETS = 1;
const MOST_BUCKETS = 5000;
/** The graph's axes take about this much of the plot's width. */
const AXES_WIDTH = 60;
/** Ticking several channels in a row asks once, after the last. */
const SETTLE_MS = 250;
/** A drag narrower than this is a click, not a range. */
const NARROWEST_ZOOM_MS = 1_000;
/** The list shows at most this many rows (the graph shows them all). */
const MOST_ROWS = 2_000;

const HOUR = 3_600_000;
const PRESETS = [
  { id: "hour", span: HOUR },
  { id: "day", span: 24 * HOUR },
  { id: "week", span: 7 * 24 * HOUR },
  { id: "month", span: 30 * 24 * HOUR },
  { id: "year", span: 365 * 24 * HOUR },
] as const;

type Range = { from: number; to: number };
type Props = { words: Messages; language: Language; timeZone: string };

function endingNow(span: number): Range {
  const to = Date.now();
  return { from: to - span, to };
}

export const Viewer = perGroup(GroupViewer);

function GroupViewer({ group, words, language, timeZone }: Props & { group: string }) {
  const [tree, setTree] = useState<Schemas["GroupLatest"] | null>(null);
  const [chosen, setChosen] = useState<string[]>([]);
  const [range, setRange] = useState<Range>(() => endingNow(HOUR));
  // The ranges zoomed out of, newest last: "Back" returns to them.
  const [earlier, setEarlier] = useState<Range[]>([]);
  // One bucket per pixel column of the plot: unknown until the page is laid out.
  const [buckets, setBuckets] = useState<number | null>(null);
  const [answer, setAnswer] = useState<Schemas["Series"] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [rangeProblem, setRangeProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [view, setView] = useState<"graph" | "list">("graph");
  // The free range's fields, as typed; set again whenever the range changes.
  const [typedFrom, setTypedFrom] = useState("");
  const [typedTo, setTypedTo] = useState("");
  const plot = useRef<HTMLElement>(null);
  const time = (millis: number) => formatTime(millis, language, timeZone);

  useEffect(() => {
    plotWidthChanged((plot.current?.clientWidth ?? 0) - AXES_WIDTH);
  }, []);

  useEffect(() => {
    setTypedFrom(toWallClock(range.from, timeZone));
    setTypedTo(toWallClock(range.to, timeZone));
  }, [range, timeZone]);

  useEffect(() => {
    let live = true;
    api
      .GET("/v1/groups/{group}/latest", { params: { path: { group } } })
      .then(({ data }) => live && (data ? setTree(data) : setProblem(words.unavailable)))
      .catch(() => live && setProblem(words.unavailable));
    return () => {
      live = false;
    };
  }, []);

  useEffect(() => {
    if (chosen.length === 0 || buckets === null) {
      setAnswer(null);
      return;
    }
    // A newer question cancels the request of the older one, on the wire too.
    const abort = new AbortController();
    const timer = window.setTimeout(() => {
      setBusy(true);
      readSeries(group, { channel: chosen, ...range, buckets }, abort.signal)
        .then((read) => {
          if (abort.signal.aborted) return;
          setProblem("series" in read ? null : (read.problem ?? words.unavailable));
          setAnswer("series" in read ? read.series : null);
        })
        .catch(() => {
          if (abort.signal.aborted) return;
          setProblem(words.unavailable);
          // An answer for another range must not stand under this one.
          setAnswer(null);
        })
        .finally(() => !abort.signal.aborted && setBusy(false));
    }, SETTLE_MS);
    return () => {
      window.clearTimeout(timer);
      abort.abort();
      setBusy(false);
    };
  }, [chosen, range, buckets]);

  const aligned = useMemo(() => (answer ? align(answer) : null), [answer]);

  function choose(channel: string, on: boolean) {
    setChosen((current) =>
      on ? (current.length < MOST_CHANNELS ? [...current, channel] : current) : current.filter((c) => c !== channel),
    );
  }

  function show(next: Range) {
    setEarlier((stack) => [...stack, range]);
    setRange(next);
  }

  function back() {
    const previous = earlier[earlier.length - 1];
    if (!previous) return;
    setEarlier(earlier.slice(0, -1));
    setRange(previous);
  }

  function zoom(from: number, to: number) {
    if (to - from >= NARROWEST_ZOOM_MS) show({ from, to });
  }

  function plotWidthChanged(width: number) {
    const wanted = Math.min(MOST_BUCKETS, Math.max(FEWEST_BUCKETS, Math.round(width)));
    // A few pixels of resizing is not worth another request: within a fifth, the
    // buckets stay as they are.
    setBuckets((current) => (current === null || Math.abs(wanted - current) > current / 5 ? wanted : current));
  }

  function freeRange(event: Event) {
    event.preventDefault();
    const from = fromWallClock(typedFrom, timeZone);
    const to = fromWallClock(typedTo, timeZone);
    if (from === null || to === null || to <= from) return setRangeProblem(words.rangeInvalid);
    setRangeProblem(null);
    show({ from, to });
  }

  const channelName = (ref: string) =>
    tree?.calculated.find((calculated) => calculated.channel === ref)?.name ?? ref;

  return (
    <div class="viewer">
      <aside class="tree" aria-labelledby="tree-heading">
        <h2 id="tree-heading">{words.channels}</h2>
        {tree === null && !problem && <p role="status">{words.loading}</p>}
        <p class="hint" id="chosen-count">
          {fill(words.chosenCount, { n: chosen.length, most: MOST_CHANNELS })}
        </p>
        {tree?.apps.map((app) =>
          app.instruments.map((instrument) => (
            <fieldset key={`${app.app}/${instrument.instrument}`} data-instrument={instrument.instrument}>
              <legend>
                {app.name} / {instrument.instrument}
              </legend>
              {instrument.channels.map((channel) => {
                const ref = `${app.app}/${instrument.instrument}/${channel.channel}`;
                return (
                  <Pick
                    key={ref}
                    label={channel.channel}
                    on={chosen.includes(ref)}
                    full={chosen.length >= MOST_CHANNELS}
                    onChange={(on) => choose(ref, on)}
                  />
                );
              })}
            </fieldset>
          )),
        )}
        {tree && tree.calculated.length > 0 && (
          <fieldset>
            <legend>{words.calculatedChannels}</legend>
            {tree.calculated.map((calculated) => (
              <Pick
                key={calculated.channel}
                label={calculated.name}
                on={chosen.includes(calculated.channel)}
                full={chosen.length >= MOST_CHANNELS}
                onChange={(on) => choose(calculated.channel, on)}
              />
            ))}
          </fieldset>
        )}
      </aside>

      <section class="plot" ref={plot} aria-labelledby="range-heading">
        <h2 id="range-heading" class="visually-hidden">
          {words.range}
        </h2>
        <div class="presets" role="group" aria-label={words.presets}>
          {PRESETS.map((preset) => (
            <button key={preset.id} type="button" class="quiet" onClick={() => show(endingNow(preset.span))}>
              {words[`last_${preset.id}`]}
            </button>
          ))}
          <button type="button" class="quiet" onClick={back} disabled={earlier.length === 0}>
            {words.back}
          </button>
        </div>
        <form class="free-range" onSubmit={freeRange}>
          <label>
            {words.from}
            <input
              name="from"
              type="datetime-local"
              value={typedFrom}
              onInput={(event) => setTypedFrom(event.currentTarget.value)}
              required
            />
          </label>
          <label>
            {words.to}
            <input
              name="to"
              type="datetime-local"
              value={typedTo}
              onInput={(event) => setTypedTo(event.currentTarget.value)}
              required
            />
          </label>
          <button type="submit">{words.showRange}</button>
        </form>
        <Problem text={rangeProblem} />
        <p class="shown" aria-live="polite">
          {time(range.from)} – {time(range.to)}
          {busy && <span> {words.loading}</span>}
        </p>
        <Problem text={problem} />
        {answer?.truncated_at != null && (
          <p class="problem">{fill(words.truncated, { time: time(answer.truncated_at) })}</p>
        )}
        {chosen.length === 0 && <p>{words.chooseChannels}</p>}
        <ExportZip group={group} channels={chosen} from={range.from} to={range.to} timeZone={timeZone} words={words} />
        {answer && aligned && (
          <>
            <div class="tabs" role="group" aria-label={words.view}>
              <button type="button" class="quiet" aria-pressed={view === "graph"} onClick={() => setView("graph")}>
                {words.graph}
              </button>
              <button type="button" class="quiet" aria-pressed={view === "list"} onClick={() => setView("list")}>
                {words.list}
              </button>
            </div>
            <ul class="legend">
              {answer.series.map((channel, index) => (
                <li key={channel.channel} data-channel={channel.channel}>
                  <span class="swatch" style={{ background: colour(index) }} aria-hidden="true" />
                  {channelName(channel.channel)} <small>{fill(words.points, { n: channel.points.length })}</small>
                </li>
              ))}
            </ul>
            {view === "graph" ? (
              <SeriesChart
                data={aligned}
                from={answer.from}
                to={answer.to}
                language={language}
                timeZone={timeZone}
                label={fill(words.graphOf, { n: answer.series.length })}
                onZoom={zoom}
                onWidth={plotWidthChanged}
              />
            ) : (
              <List answer={answer} words={words} time={time} name={channelName} />
            )}
          </>
        )}
      </section>
    </div>
  );
}

type PickProps = { label: string; on: boolean; full: boolean; onChange: (on: boolean) => void };

function Pick({ label, on, full, onChange }: PickProps) {
  return (
    <label class="pick">
      <input
        type="checkbox"
        checked={on}
        disabled={full && !on}
        aria-describedby="chosen-count"
        onChange={(event) => onChange(event.currentTarget.checked)}
      />
      {label}
    </label>
  );
}

type ListProps = {
  answer: Schemas["Series"];
  words: Messages;
  time: (millis: number) => string;
  name: (channel: string) => string;
};

/** The points as a table: a row per time, a column per channel, blank where it has none. */
function List({ answer, words, time, name }: ListProps) {
  const rows = useMemo(() => {
    const byTime = new Map<number, Map<string, Schemas["Value"]>>();
    for (const channel of answer.series) {
      for (const [t, value] of channel.points) {
        if (!byTime.has(t)) byTime.set(t, new Map());
        byTime.get(t)!.set(channel.channel, value);
      }
    }
    return [...byTime.entries()].sort(([a], [b]) => a - b);
  }, [answer]);
  const shown = rows.slice(0, MOST_ROWS);
  return (
    // Scrolled by the keyboard too: it takes the focus.
    <div class="list" tabIndex={0} role="region" aria-label={words.listCaption}>
      <table>
        <caption>{words.listCaption}</caption>
        <thead>
          <tr>
            <th scope="col">{words.time}</th>
            {answer.series.map((channel) => (
              <th scope="col" key={channel.channel}>
                {name(channel.channel)}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {shown.map(([t, values]) => (
            <tr key={t}>
              <th scope="row">{time(t)}</th>
              {answer.series.map((channel) => {
                const value = values.get(channel.channel);
                return (
                  <td key={channel.channel} class={value !== undefined && isSpecial(value) ? "value special" : "value"}>
                    {value === undefined ? "" : formatValue(value, words)}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
      {rows.length > shown.length && (
        <p class="hint">{fill(words.listCapped, { shown: shown.length, all: rows.length })}</p>
      )}
    </div>
  );
}
