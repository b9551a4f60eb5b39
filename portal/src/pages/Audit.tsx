// The audit log (admins only): who did what from where, newest first — logins and failed
// logins (repeated failures folded into one entry with their count), logouts, and every
// change an admin made — a page at a time, narrowed to one user or one action.
import { useState } from "preact/hooks";
import { api } from "../api/client";
import { fill, type Language } from "../i18n";
import type { Messages } from "../i18n/en";
import { formatTime } from "../time";
import { Problem } from "../ui/Problem";
import { usePages } from "../ui/usePages";
import { TableHead } from "../ui/TableHead";

type Filter = { user: string; kind: string };
type Props = { words: Messages; language: Language; timeZone: string };

export function Audit({ words, language, timeZone }: Props) {
  const [filter, setFilter] = useState<Filter>({ user: "", kind: "" });
  const time = (millis: number) => formatTime(millis, language, timeZone);
  const { items: events, next, more, busy, problem } = usePages(async (cursor) => {
    const query = {
      ...(filter.user ? { user: filter.user } : {}),
      ...(filter.kind ? { kind: filter.kind } : {}),
      ...(cursor ? { cursor } : {}),
    };
    const { data, error } = await api.GET("/v1/audit", { params: { query } });
    if (!data) throw new Error(error?.message ?? words.unavailable);
    return { items: data.events, next: data.next };
  }, [filter]);

  function narrow(event: SubmitEvent) {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    setFilter({ user: String(form.get("user") ?? "").trim(), kind: String(form.get("kind") ?? "").trim() });
  }

  return (
    <>
      <form class="free-range" onSubmit={narrow} aria-label={words.narrowAudit}>
        <label>
          {words.user}
          <input name="user" defaultValue={filter.user} />
        </label>
        <label>
          {words.action}
          <input name="kind" defaultValue={filter.kind} aria-describedby="kind-hint" />
        </label>
        <button type="submit">{words.show}</button>
        <small id="kind-hint" class="hint">
          {words.actionHint}
        </small>
      </form>
      <Problem text={problem} />
      {events === null && !problem && <p role="status">{words.loading}</p>}
      {events?.length === 0 && <p>{words.noEvents}</p>}
      {events && events.length > 0 && (
        <table class="files">
          <caption class="visually-hidden">{words.auditTitle}</caption>
          <TableHead columns={[words.time, words.action, words.user, words.address, words.detail]} />
          <tbody>
            {events.map((event, index) => (
              <tr key={`${event.at}-${index}`} data-action={event.action}>
                <td>
                  {time(event.at)}
                  {event.count > 1 && event.last != null && (
                    <small> {fill(words.foldedTimes, { n: event.count, last: time(event.last) })}</small>
                  )}
                </td>
                <th scope="row">{event.action}</th>
                <td>{event.user ?? "—"}</td>
                <td>{event.address ?? "—"}</td>
                <td>{event.detail}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {next && (
        <button type="button" class="quiet" onClick={more} disabled={busy}>
          {words.more}
        </button>
      )}
    </>
  );
}
