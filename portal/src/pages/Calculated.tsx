// Calculated channels: a group's channels computed from others (`[LR-1/CH1] * 2`), with
// their latest value and how far the backfill over stored history has come; created,
// edited and deleted here. A refused expression is shown with the place the parser
// stopped marked, and the cursor put there.
import { useEffect, useRef, useState } from "preact/hooks";
import { api, type Schemas } from "../api/client";
import { GroupPicker, useGroups } from "../groups";
import { fill, type Language } from "../i18n";
import type { Messages } from "../i18n/en";
import { formatTime } from "../time";
import { formatValue } from "../values";

type Channel = Schemas["CalculatedView"];
type Props = { words: Messages; language: Language; timeZone: string };
/** A refusal, and where in the expression (in characters) it lies, if it does. */
type Refusal = { message: string; position: number | null; expression: string };

/** While a backfill computes, the list is read again this often. */
const BACKFILL_POLL_MS = 2_000;

export function Calculated({ words, language, timeZone }: Props) {
  const groups = useGroups();
  const group = groups.group;
  const [channels, setChannels] = useState<Channel[] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [editing, setEditing] = useState<Channel | null>(null);
  const [refusal, setRefusal] = useState<Refusal | null>(null);
  const [doomed, setDoomed] = useState<string | null>(null);
  const [reading, setReading] = useState(0);
  const expression = useRef<HTMLTextAreaElement>(null);
  const form = useRef<HTMLFormElement>(null);
  const time = (millis: number) => formatTime(millis, language, timeZone);

  useEffect(() => {
    if (group === null) return;
    let live = true;
    api
      .GET("/v1/groups/{group}/calculated", { params: { path: { group } } })
      .then(({ data }) => {
        if (!live) return;
        setProblem(data ? null : words.unavailable);
        if (data) setChannels(data.calculated);
      })
      .catch(() => live && setProblem(words.unavailable));
    return () => {
      live = false;
    };
  }, [group, reading]);

  // A backfill in progress is watched until it is done.
  const computing = channels?.some((channel) => !channel.backfill.done) ?? false;
  useEffect(() => {
    if (!computing) return;
    const timer = window.setTimeout(() => setReading((n) => n + 1), BACKFILL_POLL_MS);
    return () => window.clearTimeout(timer);
  }, [computing, channels]);

  // The cursor goes where the parser stopped.
  useEffect(() => {
    if (refusal?.position == null || !expression.current) return;
    const at = offsetOf(refusal.expression, refusal.position);
    expression.current.focus();
    expression.current.setSelectionRange(at, at);
  }, [refusal]);

  async function save(event: Event) {
    event.preventDefault();
    const data = new FormData(event.currentTarget as HTMLFormElement);
    const body = { name: String(data.get("name")), expression: String(data.get("expression")) };
    const answer = editing
      ? await api.PUT("/v1/groups/{group}/calculated/{id}", {
          params: { path: { group: group!, id: editing.id } },
          body,
        })
      : await api.POST("/v1/groups/{group}/calculated", { params: { path: { group: group! } }, body });
    if (answer.error) {
      return setRefusal({
        message: answer.error.message,
        position: answer.error.position ?? null,
        expression: body.expression,
      });
    }
    if (!answer.data) return setProblem(words.unavailable);
    setRefusal(null);
    setEditing(null);
    form.current?.reset();
    setReading((n) => n + 1);
  }

  async function remove(id: string) {
    const { data } = await api.DELETE("/v1/groups/{group}/calculated/{id}", {
      params: { path: { group: group!, id } },
    });
    setDoomed(null);
    if (!data) return setProblem(words.unavailable);
    setReading((n) => n + 1);
  }

  return (
    <>
      <GroupPicker words={words} groups={groups} />
      {(groups.failed || problem) && (
        <p role="alert" class="problem">
          {problem ?? words.unavailable}
        </p>
      )}
      {group !== null && channels === null && !problem && <p role="status">{words.loading}</p>}
      {channels?.length === 0 && <p>{words.noCalculated}</p>}
      {channels && channels.length > 0 && (
        <table class="calculated">
          <thead>
            <tr>
              <th scope="col">{words.name}</th>
              <th scope="col">{words.expression}</th>
              <th scope="col">{words.latest}</th>
              <th scope="col">{words.history}</th>
              <th scope="col">
                <span class="visually-hidden">{words.actions}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {channels.map((channel) => (
              <tr key={channel.id} data-channel={channel.channel}>
                <th scope="row">{channel.name}</th>
                <td>
                  <code>{channel.canonical}</code>
                  {channel.stopped && <p class="problem">{fill(words.stopped, { why: channel.stopped })}</p>}
                </td>
                <td>
                  {channel.latest ? `${formatValue(channel.latest.value, words)} (${time(channel.latest.t)})` : "—"}
                </td>
                <td class="backfill">
                  {channel.backfill.done
                    ? fill(words.backfillDone, { n: channel.backfill.computed })
                    : fill(words.backfillRunning, { n: channel.backfill.computed })}
                </td>
                <td class="actions">
                  <div>
                    <button
                      type="button"
                      class="quiet"
                      aria-label={fill(words.editNamed, { name: channel.name })}
                      onClick={() => {
                        setEditing(channel);
                        setRefusal(null);
                      }}
                    >
                      {words.edit}
                    </button>
                    {doomed === channel.id ? (
                      <button type="button" class="danger" onClick={() => remove(channel.id)}>
                        {fill(words.confirmDelete, { name: channel.name })}
                      </button>
                    ) : (
                      <button
                        type="button"
                        class="quiet"
                        aria-label={fill(words.deleteNamed, { name: channel.name })}
                        onClick={() => setDoomed(channel.id)}
                      >
                        {words.delete}
                      </button>
                    )}
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      {group !== null && (
        <form class="editor" ref={form} onSubmit={save} key={editing?.id ?? "new"} aria-labelledby="editor-heading">
          <h2 id="editor-heading">{editing ? fill(words.editing, { name: editing.name }) : words.newCalculated}</h2>
          <label>
            {words.name}
            <input name="name" required maxLength={64} defaultValue={editing?.name ?? ""} />
          </label>
          <label>
            {words.expression}
            <textarea
              ref={expression}
              name="expression"
              required
              rows={3}
              spellcheck={false}
              defaultValue={editing?.expression ?? ""}
              aria-invalid={refusal ? true : undefined}
              aria-describedby={refusal ? "expression-refused expression-help" : "expression-help"}
            />
          </label>
          <p class="hint" id="expression-help">
            {words.expressionHelp}
          </p>
          {refusal && (
            <div id="expression-refused" role="alert" class="refusal">
              <p class="problem">{refusal.message}</p>
              {refusal.position !== null && <Where expression={refusal.expression} position={refusal.position} />}
            </div>
          )}
          <div class="buttons">
            <button type="submit">{words.save}</button>
            {editing && (
              <button
                type="button"
                class="quiet"
                onClick={() => {
                  setEditing(null);
                  setRefusal(null);
                }}
              >
                {words.cancel}
              </button>
            )}
          </div>
        </form>
      )}
    </>
  );
}

/** The expression with the character at `position` marked (past its end: a caret). */
function Where({ expression, position }: { expression: string; position: number }) {
  // The API counts characters, not the UTF-16 units a JavaScript string indexes.
  const characters = Array.from(expression);
  const before = characters.slice(0, position).join("");
  const at = characters[position] ?? " ";
  const after = characters.slice(position + 1).join("");
  return (
    <pre class="where" aria-hidden="true">
      {before}
      <mark>{at}</mark>
      {after}
    </pre>
  );
}

/** Where the `position`th character starts, in the UTF-16 units the textarea counts. */
function offsetOf(expression: string, position: number): number {
  return Array.from(expression).slice(0, position).join("").length;
}
