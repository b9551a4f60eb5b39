// Data alarms: a group's alarms (enabled or not, edited, deleted) and the editor for
// every kind of rule — one or two conditions (above, at or above, at or below, below,
// outside a band with or without its edges; a separate clearing limit for hysteresis),
// joined by and/or, raising only within hours of the day, held for a while before
// raising, notifying the clearing and special values or not. Before saving, the rule is
// backtested over stored records and what it would have done is drawn on the graph. A
// test notification of an alarm goes where its real ones would (see Destinations). The
// group's file alarms follow (see FileAlarms).
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { api, type Schemas } from "../api/client";
import { readSeries } from "../api/series";
import { COMPARES, draftOf, isBand, missingNumber, newCondition, newDraft, ruleOf } from "../alarms/draft";
import type { ConditionDraft, Draft, LimitDraft } from "../alarms/draft";
import { align } from "../chart/aligned";
import { colour, type Mark, SeriesChart } from "../chart/SeriesChart";
import { perGroup } from "../groups";
import { fill, type Language } from "../i18n";
import type { Messages } from "../i18n/en";
import { formatTime } from "../time";
import { formatValue } from "../values";
import { Problem } from "../ui/Problem";
import { ConfirmDelete } from "../ui/ConfirmDelete";
import { Destinations } from "./Destinations";
import { FileAlarms } from "./FileAlarms";

type Alarm = Schemas["AlarmView"];
type Props = { words: Messages; language: Language; timeZone: string };
type Option = { channel: string; label: string };
/** A backtest's answer, and its channels' series to draw it on (or why they are missing). */
type Backtested = { backtest: Schemas["Backtest"]; series: Schemas["Series"] | null; problem: string | null };

const HOUR = 3_600_000;
const BACKTEST_SPANS = [
  { id: "last_hour", span: HOUR },
  { id: "last_day", span: 24 * HOUR },
  { id: "last_week", span: 7 * 24 * HOUR },
] as const;
const MOST_CONDITIONS = 2;
/** The graph's detail for a backtest: enough columns for a page-wide plot. */
const BACKTEST_BUCKETS = 1000;
// Black and grey, dashed when cleared: apart from the channels' hues by more than colour.
const RAISED = "hsl(0 0% 10%)";
const CLEARED = "hsl(0 0% 45%)";

export const Alarms = perGroup(GroupAlarms);

function GroupAlarms({ group, words, language, timeZone }: Props & { group: string }) {
  const [alarms, setAlarms] = useState<Alarm[] | null>(null);
  const [options, setOptions] = useState<Option[]>([]);
  const [problem, setProblem] = useState<string | null>(null);
  const [editing, setEditing] = useState<Alarm | null>(null);
  const [draft, setDraft] = useState<Draft | null>(null);
  const [refusal, setRefusal] = useState<string | null>(null);
  const [span, setSpan] = useState<number>(HOUR);
  const [tried, setTried] = useState<Backtested | null>(null);
  const [busy, setBusy] = useState(false);
  // The alarm a test notification was just queued for (told beside it), if any.
  const [tested, setTested] = useState<string | null>(null);
  // The alarm whose delete button asks to be pressed again, if any.
  const [doomed, setDoomed] = useState<string | null>(null);
  // Bumped to read the list again.
  const [reading, setReading] = useState(0);
  // Each backtest's number: an answer to an older one (the draft changed meanwhile) is dropped.
  const run = useRef(0);
  const heading = useRef<HTMLHeadingElement>(null);
  const time = (millis: number) => formatTime(millis, language, timeZone);

  useEffect(() => {
    let live = true;
    Promise.all([
      api.GET("/v1/groups/{group}/alarms", { params: { path: { group } } }),
      api.GET("/v1/groups/{group}/latest", { params: { path: { group } } }),
    ])
      .then(([list, tree]) => {
        if (!live) return;
        if (!list.data || !tree.data) return setProblem(words.unavailable);
        setProblem(null);
        setAlarms(list.data.alarms);
        const channels = tree.data.apps.flatMap((app) =>
          app.instruments.flatMap((instrument) =>
            instrument.channels.map((channel) => {
              const ref = `${app.app}/${instrument.instrument}/${channel.channel}`;
              return { channel: ref, label: ref };
            }),
          ),
        );
        const calculated = tree.data.calculated.map((c) => ({ channel: c.channel, label: c.name }));
        setOptions([...channels, ...calculated]);
      })
      .catch(() => live && setProblem(words.unavailable));
    return () => {
      live = false;
    };
  }, [group, reading]);

  function start(alarm: Alarm | null) {
    setEditing(alarm);
    setDraft(alarm ? draftOf(alarm) : newDraft(options[0]?.channel ?? ""));
    setRefusal(null);
    forget();
  }

  function close() {
    setDraft(null);
    setEditing(null);
    forget();
  }

  /** What was tried no longer describes the rule, nor does a backtest on its way. */
  function forget() {
    run.current += 1;
    setTried(null);
  }

  // The editor's heading takes the focus when it opens: it opens below the list.
  useEffect(() => {
    if (draft) heading.current?.focus();
  }, [draft !== null, editing?.id]);

  const change = (next: Partial<Draft>) => {
    setDraft((current) => (current ? { ...current, ...next } : current));
    forget();
  };
  const changeCondition = (index: number, next: Partial<ConditionDraft>) =>
    change({ conditions: draft!.conditions.map((c, i) => (i === index ? { ...c, ...next } : c)) });

  /** Names the first number missing from the draft, as the form shows the field. */
  function lacking(drafted: Draft): string | null {
    const missing = missingNumber(drafted);
    if (!missing) return null;
    if (missing.field === "hold") return fill(words.needsNumber, { field: words.holdSeconds });
    const field = missing.field === "value" ? words.threshold : missing.field === "low" ? words.low : words.high;
    const limit = missing.clearing ? words.staysRaisedWhile : words.raisesWhen;
    return fill(words.needsNumber, {
      field: `${fill(words.conditionN, { n: missing.condition + 1 })}, ${limit}: ${field}`,
    });
  }

  async function backtest() {
    if (!draft) return;
    const missing = lacking(draft);
    if (missing) return setRefusal(missing);
    const to = Date.now();
    const from = to - span;
    const mine = ++run.current;
    setBusy(true);
    setRefusal(null);
    try {
      const { data, error } = await api.POST("/v1/groups/{group}/alarms/backtest", {
        params: { path: { group } },
        body: { rule: ruleOf(draft), from, to },
      });
      if (mine !== run.current) return;
      if (!data) return setRefusal(error?.message ?? words.unavailable);
      const channels = [...new Set(draft.conditions.map((condition) => condition.channel))];
      const read = await readSeries(group, { channel: channels, from, to, buckets: BACKTEST_BUCKETS });
      if (mine !== run.current) return;
      setTried({ backtest: data, series: "series" in read ? read.series : null, problem: "problem" in read ? read.problem : null });
    } catch {
      setRefusal(words.unavailable);
    } finally {
      setBusy(false);
    }
  }

  async function save(event: Event) {
    event.preventDefault();
    if (!draft) return;
    const missing = lacking(draft);
    if (missing) return setRefusal(missing);
    if (busy) return;
    setBusy(true);
    try {
      const answer = editing
        ? await api.PUT("/v1/groups/{group}/alarms/{alarm}", {
            params: { path: { group, alarm: editing.id } },
            body: { name: draft.name, rule: ruleOf(draft), version: editing.version },
          })
        : await api.POST("/v1/groups/{group}/alarms", {
            params: { path: { group } },
            body: { name: draft.name, rule: ruleOf(draft) },
          });
      if (!answer.data) return setRefusal(answer.error?.message ?? words.unavailable);
      close();
      setReading((n) => n + 1);
    } catch {
      setRefusal(words.unavailable);
    } finally {
      setBusy(false);
    }
  }

  async function setEnabled(alarm: Alarm, enabled: boolean) {
    if (busy) return;
    setBusy(true);
    try {
      const { data, error } = await api.PUT("/v1/groups/{group}/alarms/{alarm}", {
        params: { path: { group, alarm: alarm.id } },
        body: { enabled, version: alarm.version },
      });
      setProblem(data ? null : (error?.message ?? words.unavailable));
      if (!data) return;
      setAlarms((shown) => shown?.map((other) => (other.id === data.id ? data : other)) ?? null);
      // The editor of that alarm saves on top of this change, not against it.
      setEditing((open) => (open?.id === data.id ? data : open));
    } catch {
      setProblem(words.unavailable);
    } finally {
      setBusy(false);
    }
  }

  /** Queues a test notification of `alarm` to the group's destinations, as a real one goes. */
  async function sendTest(alarm: Alarm) {
    if (busy) return;
    setBusy(true);
    setTested(null);
    try {
      const { data, error } = await api.POST("/v1/groups/{group}/alarms/{alarm}/test", {
        params: { path: { group, alarm: alarm.id } },
      });
      setProblem(data ? null : (error?.message ?? words.unavailable));
      if (data) setTested(alarm.id);
    } catch {
      setProblem(words.unavailable);
    } finally {
      setBusy(false);
    }
  }

  async function remove(alarm: Alarm) {
    setDoomed(null);
    try {
      const { data, error } = await api.DELETE("/v1/groups/{group}/alarms/{alarm}", {
        params: { path: { group, alarm: alarm.id } },
      });
      setProblem(data ? null : (error?.message ?? words.unavailable));
      if (data) setAlarms((shown) => shown?.filter((other) => other.id !== alarm.id) ?? null);
      if (editing?.id === alarm.id) close();
    } catch {
      setProblem(words.unavailable);
    }
  }

  const label = (channel: string) => options.find((option) => option.channel === channel)?.label ?? channel;

  return (
    <>
      <Problem text={problem} />
      {alarms === null && !problem && <p role="status">{words.loading}</p>}
      {alarms?.length === 0 && <p>{words.noAlarms}</p>}
      {alarms && alarms.length > 0 && (
        <ul class="alarms">
          {alarms.map((alarm) => (
            <li key={alarm.id} data-alarm={alarm.id}>
              <div>
                <strong>{alarm.name}</strong> {!alarm.enabled && <span class="status off">{words.disabled}</span>}
                <p class="hint">{summary(alarm.rule, words, label)}</p>
                {tested === alarm.id && (
                  <p role="status" class="hint">
                    {words.testQueued}
                  </p>
                )}
              </div>
              <div class="buttons">
                <button type="button" class="quiet" disabled={busy} onClick={() => setEnabled(alarm, !alarm.enabled)}>
                  {fill(alarm.enabled ? words.disableNamed : words.enableNamed, { name: alarm.name })}
                </button>
                <button type="button" class="quiet" disabled={busy} onClick={() => sendTest(alarm)}>
                  {fill(words.sendTestNamed, { name: alarm.name })}
                </button>
                <button
                  type="button"
                  class="quiet"
                  aria-label={fill(words.editNamed, { name: alarm.name })}
                  onClick={() => start(alarm)}
                >
                  {words.edit}
                </button>
                <ConfirmDelete
                  words={words}
                  name={alarm.name}
                  asked={doomed === alarm.id}
                  onAsk={() => setDoomed(alarm.id)}
                  onConfirm={() => remove(alarm)}
                />
              </div>
            </li>
          ))}
        </ul>
      )}
      {!draft && (
        <button type="button" onClick={() => start(null)} disabled={options.length === 0}>
          {words.newAlarm}
        </button>
      )}

      {draft && (
        // The form's own checks name what is missing in the page's words (noValidate: not
        // the browser's bubbles, which Backtest would not show).
        <form class="editor alarm-editor" onSubmit={save} noValidate aria-labelledby="alarm-editor-heading">
          <h2 id="alarm-editor-heading" ref={heading} tabIndex={-1}>{editing ? fill(words.editing, { name: editing.name }) : words.newAlarm}</h2>
          <label>
            {words.name}
            <input
              name="name"
              required
              value={draft.name}
              onInput={(event) => change({ name: event.currentTarget.value })}
            />
          </label>
          {draft.conditions.map((condition, index) => (
            <fieldset key={index} class="condition">
              <legend>{fill(words.conditionN, { n: index + 1 })}</legend>
              <label>
                {words.channel}
                <select
                  value={condition.channel}
                  onChange={(event) => changeCondition(index, { channel: event.currentTarget.value })}
                >
                  {withChannel(options, condition.channel).map((option) => (
                    <option key={option.channel} value={option.channel}>
                      {option.label}
                    </option>
                  ))}
                </select>
              </label>
              <LimitFields
                words={words}
                legend={words.raisesWhen}
                limit={condition.raise}
                onChange={(raise) => changeCondition(index, { raise })}
              />
              <label class="pick">
                <input
                  type="checkbox"
                  checked={condition.hysteresis}
                  onChange={(event) => changeCondition(index, { hysteresis: event.currentTarget.checked })}
                />
                {words.hysteresis}
              </label>
              {condition.hysteresis && (
                <LimitFields
                  words={words}
                  legend={words.staysRaisedWhile}
                  limit={{ ...condition.clear, compare: condition.raise.compare }}
                  comparesAsRaise
                  onChange={(clear) => changeCondition(index, { clear })}
                />
              )}
              {draft.conditions.length > 1 && (
                <button
                  type="button"
                  class="quiet"
                  onClick={() => change({ conditions: draft.conditions.filter((_, i) => i !== index) })}
                >
                  {fill(words.removeCondition, { n: index + 1 })}
                </button>
              )}
            </fieldset>
          ))}
          {draft.conditions.length < MOST_CONDITIONS && (
            <button
              type="button"
              class="quiet"
              onClick={() => change({ conditions: [...draft.conditions, newCondition(options[0]?.channel ?? "")] })}
            >
              {words.addCondition}
            </button>
          )}
          {draft.conditions.length > 1 && (
            <label>
              {words.join}
              <select
                value={draft.join}
                onChange={(event) => change({ join: event.currentTarget.value as Schemas["Join"] })}
              >
                <option value="and">{words.joinAnd}</option>
                <option value="or">{words.joinOr}</option>
              </select>
            </label>
          )}
          <fieldset class="when">
            <legend>{words.when}</legend>
            <label class="pick">
              <input
                type="checkbox"
                checked={draft.windowed}
                onChange={(event) => change({ windowed: event.currentTarget.checked })}
              />
              {words.onlyBetween}
            </label>
            {draft.windowed && (
              <div class="inline">
                <label>
                  {words.from}
                  <input
                    type="time"
                    required
                    value={draft.windowFrom}
                    onInput={(event) => change({ windowFrom: event.currentTarget.value })}
                  />
                </label>
                <label>
                  {words.to}
                  <input
                    type="time"
                    required
                    value={draft.windowTo}
                    onInput={(event) => change({ windowTo: event.currentTarget.value })}
                  />
                </label>
              </div>
            )}
            <label>
              {words.holdSeconds}
              <input
                type="number"
                min={0}
                max={86400}
                step="any"
                required
                value={draft.holdSeconds}
                onInput={(event) => change({ holdSeconds: event.currentTarget.value })}
              />
            </label>
            <label class="pick">
              <input
                type="checkbox"
                checked={draft.recovery}
                onChange={(event) => change({ recovery: event.currentTarget.checked })}
              />
              {words.notifyClearing}
            </label>
            <label class="pick">
              <input
                type="checkbox"
                checked={draft.specialValues}
                onChange={(event) => change({ specialValues: event.currentTarget.checked })}
              />
              {words.notifySpecial}
            </label>
          </fieldset>
          <Problem text={refusal} />
          <div class="buttons">
            <label>
              {words.backtestOver}
              <select
                value={span}
                onChange={(event) => {
                  setSpan(Number(event.currentTarget.value));
                  forget();
                }}
              >
                {BACKTEST_SPANS.map((option) => (
                  <option key={option.id} value={option.span}>
                    {words[option.id]}
                  </option>
                ))}
              </select>
            </label>
            <button type="button" class="quiet" onClick={backtest} disabled={busy}>
              {words.backtest}
            </button>
            <button type="submit" disabled={busy}>
              {words.save}
            </button>
            <button type="button" class="quiet" onClick={close}>
              {words.cancel}
            </button>
          </div>
          {tried && (
            <BacktestView tried={tried} words={words} time={time} language={language} timeZone={timeZone} label={label} />
          )}
        </form>
      )}
      <FileAlarms group={group} words={words} />
      <Destinations group={group} words={words} />
    </>
  );
}

type LimitProps = {
  words: Messages;
  legend: string;
  limit: LimitDraft;
  /** A clearing limit compares as its raising one does (the API takes no other): no choice. */
  comparesAsRaise?: boolean;
  onChange: (limit: LimitDraft) => void;
};

function LimitFields({ words, legend, limit, comparesAsRaise, onChange }: LimitProps) {
  const number = (key: "value" | "low" | "high", name: string) => (
    <label>
      {name}
      <input
        type="number"
        step="any"
        value={limit[key]}
        onInput={(event) => onChange({ ...limit, [key]: event.currentTarget.value })}
      />
    </label>
  );
  // Its own fieldset: with a clearing limit, a condition has two thresholds, each named
  // by its legend for a screen reader.
  return (
    <fieldset class="limit">
      <legend>{legend}</legend>
      {comparesAsRaise ? (
        <span class="compare">{words[`compare_${limit.compare}`]}</span>
      ) : (
        <label>
          {words.comparison}
          <select
            value={limit.compare}
            onChange={(event) => onChange({ ...limit, compare: event.currentTarget.value as LimitDraft["compare"] })}
          >
            {COMPARES.map((compare) => (
              <option key={compare} value={compare}>
                {words[`compare_${compare}`]}
              </option>
            ))}
          </select>
        </label>
      )}
      {isBand(limit.compare) ? (
        <>
          {number("low", words.low)}
          {number("high", words.high)}
        </>
      ) : (
        number("value", words.threshold)
      )}
    </fieldset>
  );
}

/** The options, with `channel` among them even when `latest` did not list it (a quiet
 * channel an alarm still watches): the select must show what the rule says. */
function withChannel(options: Option[], channel: string): Option[] {
  return channel === "" || options.some((option) => option.channel === channel)
    ? options
    : [{ channel, label: channel }, ...options];
}

type BacktestProps = {
  tried: Backtested;
  words: Messages;
  time: (millis: number) => string;
  language: Language;
  timeZone: string;
  label: (channel: string) => string;
};

/** What the rule would have done: counted, drawn over its channels, listed. */
function BacktestView({ tried, words, time, language, timeZone, label }: BacktestProps) {
  const { backtest, series, problem } = tried;
  const aligned = useMemo(() => (series ? align(series) : null), [series]);
  const marks = useMemo<Mark[]>(
    () =>
      backtest.events
        .filter((event) => event.kind !== "special_value")
        .map((event) => ({ at: event.at, colour: event.kind === "raised" ? RAISED : CLEARED, dashed: event.kind === "cleared" })),
    [backtest],
  );
  const count = (kind: string) => backtest.events.filter((event) => event.kind === kind).length;
  return (
    <section class="backtest" aria-labelledby="backtest-heading">
      <h3 id="backtest-heading">{words.backtestResult}</h3>
      <p class="tally">
        {fill(words.backtestTally, { records: backtest.records, raised: count("raised"), cleared: count("cleared") })}
      </p>
      {problem && <p class="problem">{problem}</p>}
      {series && aligned && (
        <>
          <ul class="legend">
            {series.series.map((channel, index) => (
              <li key={channel.channel}>
                <span class="swatch" style={{ background: colour(index) }} aria-hidden="true" />
                {label(channel.channel)}
              </li>
            ))}
            <li>
              <span class="swatch" style={{ background: RAISED }} aria-hidden="true" />
              {words.raised}
            </li>
            <li>
              <span class="swatch" style={{ background: CLEARED }} aria-hidden="true" />
              {words.cleared}
            </li>
          </ul>
          <SeriesChart
            data={aligned}
            marks={marks}
            from={series.from}
            to={series.to}
            language={language}
            timeZone={timeZone}
            label={fill(words.backtestGraph, { n: marks.length })}
            onWidth={() => undefined}
          />
        </>
      )}
      {backtest.events.length > 0 && (
        <table class="events">
          <caption>{words.backtestEvents}</caption>
          <thead>
            <tr>
              <th scope="col">{words.time}</th>
              <th scope="col">{words.event}</th>
              <th scope="col">{words.notifies}</th>
            </tr>
          </thead>
          <tbody>
            {backtest.events.map((event, index) => (
              <tr key={index} data-kind={event.kind}>
                <td>{time(event.at)}</td>
                <td>
                  {event.kind === "raised"
                    ? words.raised
                    : event.kind === "cleared"
                      ? words.cleared
                      : formatValue(event.value, words)}
                </td>
                <td>{event.notifies ? words.yes : words.no}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** A rule in one line: `gw-a/LR-1/CH1 above 30 and …`. */
function summary(rule: Schemas["Rule"], words: Messages, label: (channel: string) => string): string {
  const limitText = (limit: Schemas["Limit"]) =>
    "value" in limit
      ? `${words[`compare_${limit.compare}`]} ${limit.value}`
      : `${words[`compare_${limit.compare}`]} ${limit.low} – ${limit.high}`;
  const conditions = rule.conditions.map((condition) => `${label(condition.channel)} ${limitText(condition.raise)}`);
  return conditions.join(rule.join === "and" ? ` ${words.joinAnd} ` : ` ${words.joinOr} `);
}
