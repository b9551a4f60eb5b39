// Calculated channels: a group's channels computed from others (`[LR-1/CH1] * 2`), with
// their latest value and how far the backfill over stored history has come; created,
// edited and deleted here. A refused expression is shown with the place the parser
// stopped marked, and the cursor put there.
import { useEffect, useRef, useState } from "preact/hooks";
import { api, type Schemas } from "../api/client";
import { perGroup } from "../groups";
import { fill, type Language } from "../i18n";
import type { Messages } from "../i18n/en";
import { formatTime } from "../time";
import { formatValue } from "../values";
import { Problem } from "../ui/Problem";
import { ConfirmDelete } from "../ui/ConfirmDelete";
import { TableHead } from "../ui/TableHead";

type Channel = Schemas["CalculatedView"];
type Props = { words: Messages; language: Language; timeZone: string };
/** A refusal, and where in the expression (in characters) it lies, if it does. */
type Refusal = { message: string; position: number | null; expression: string };

/** While a backfill computes, the list is read again: first this soon, then each time
 * twice as late, up to a minute (a backfill that stalled is not asked after forever). */
const BACKFILL_POLL_MS = 2_000;
const BACKFILL_POLL_MOST_MS = 60_000;

export const Calculated = perGroup(GroupCalculated);

function GroupCalculated({ group, words, language, timeZone }: Props & { group: string }) {
  const [channels, setChannels] = useState<Channel[] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [editing, setEditing] = useState<Channel | null>(null);
  const [refusal, setRefusal] = useState<Refusal | null>(null);
  // The channel whose delete button asks to be pressed again, if any.
  const [doomed, setDoomed] = useState<string | null>(null);
  // Bumped to read the list again; `polls` counts the reads while a backfill computes.
  const [reading, setReading] = useState(0);
  const [polls, setPolls] = useState(0);
  const [busy, setBusy] = useState(false);
  const heading = useRef<HTMLHeadingElement>(null);
  const expression = useRef<HTMLTextAreaElement>(null);
  const form = useRef<HTMLFormElement>(null);
  const time = (millis: number) => formatTime(millis, language, timeZone);

  useEffect(() => {
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
    if (!computing) return setPolls(0);
    const wait = Math.min(BACKFILL_POLL_MOST_MS, BACKFILL_POLL_MS * 2 ** polls);
    const timer = window.setTimeout(() => {
      setPolls((n) => n + 1);
      setReading((n) => n + 1);
    }, wait);
    return () => window.clearTimeout(timer);
  }, [computing, channels]);

  // The editor's heading takes the focus when a channel is picked to edit: the editor is
  // below the list.
  useEffect(() => {
    if (editing) heading.current?.focus();
  }, [editing?.id]);

  // The cursor goes where the parser stopped.
  useEffect(() => {
    if (refusal?.position == null || !expression.current) return;
    const at = offsetOf(refusal.expression, refusal.position);
    expression.current.focus();
    expression.current.setSelectionRange(at, at);
  }, [refusal]);

  async function save(event: Event) {
    event.preventDefault();
    if (busy) return;
    const data = new FormData(event.currentTarget as HTMLFormElement);
    const body = { name: String(data.get("name")), expression: String(data.get("expression")) };
    setBusy(true);
    try {
      const answer = editing
        ? await api.PUT("/v1/groups/{group}/calculated/{id}", { params: { path: { group, id: editing.id } }, body })
        : await api.POST("/v1/groups/{group}/calculated", { params: { path: { group } }, body });
      if (answer.error) {
        return setRefusal({
          message: answer.error.message,
          position: answer.error.position ?? null,
          expression: body.expression,
        });
      }
      setRefusal(null);
      setEditing(null);
      form.current?.reset();
      setReading((n) => n + 1);
    } catch {
      setRefusal({ message: words.unavailable, position: null, expression: body.expression });
    } finally {
      setBusy(false);
    }
  }


  async function remove(id: string) {
    const { data } = await api.DELETE("/v1/groups/{group}/calculated/{id}", {
      params: { path: { group: group, id } },
    });
    setDoomed(null);
    if (!data) return setProblem(words.unavailable);
    setReading((n) => n + 1);
  }

  return (
    <>
      <Problem text={problem} />
      {channels === null && !problem && <p role="status">{words.loading}</p>}
      {channels?.length === 0 && <p>{words.noCalculated}</p>}
      {channels && channels.length > 0 && (
        <table class="calculated">
          <TableHead columns={[words.name, words.expression, words.latest, words.history]} actions={words.actions} />
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
                    <ConfirmDelete
                      words={words}
                      name={channel.name}
                      asked={doomed === channel.id}
                      onAsk={() => setDoomed(channel.id)}
                      onConfirm={() => remove(channel.id)}
                    />
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      {(
        <form class="editor" ref={form} onSubmit={save} key={editing?.id ?? "new"} aria-labelledby="editor-heading">
          <h2 id="editor-heading" ref={heading} tabIndex={-1}>
            {editing ? fill(words.editing, { name: editing.name }) : words.newCalculated}
          </h2>
          <label>
            {words.name}
            {/* The API's limit on a name is in bytes, not the characters a maxLength counts:
                it says so itself. */}
            <input name="name" required defaultValue={editing?.name ?? ""} />
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
              aria-invalid={refusal?.position != null ? true : undefined}
              aria-describedby={refusal?.position != null ? "expression-refused expression-help" : "expression-help"}
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
            <button type="submit" disabled={busy}>
              {words.save}
            </button>
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
