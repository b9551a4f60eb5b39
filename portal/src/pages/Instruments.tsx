// Instruments: a group's apps and the instruments each holds, and one instrument's
// settings — the name people see, a note (where it stands, what it measures) and the
// channels it stores, chosen within the plan's limit (a channel left out keeps its
// history and frees its slot).
import { useEffect, useState } from "preact/hooks";
import { api, type Schemas } from "../api/client";
import { perGroup } from "../groups";
import { fill, type Language } from "../i18n";
import type { Messages } from "../i18n/en";
import { formatTime } from "../time";
import { formatValue } from "../values";
import { Problem } from "../ui/Problem";
import { TableHead } from "../ui/TableHead";

/** `role`: only admins change an instrument's settings (the API refuses the rest). */
type Props = { words: Messages; language: Language; timeZone: string; role: Schemas["Role"] | null };
type Chosen = { app: string; serial: string };

/** The API's limit on a note's length. */
const LONGEST_NOTE = 1000;

export const Instruments = perGroup(GroupInstruments);

function GroupInstruments({ group, words, language, timeZone, role }: Props & { group: string }) {
  const [apps, setApps] = useState<Schemas["AppDetail"][] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [chosen, setChosen] = useState<Chosen | null>(null);
  const [reading, setReading] = useState(0);
  const time = (millis: number) => formatTime(millis, language, timeZone);

  useEffect(() => {
    let live = true;
    (async () => {
      const { data } = await api.GET("/v1/groups/{group}/apps", { params: { path: { group } } });
      if (!data) throw new Error();
      const details = await Promise.all(
        data.apps.map((app) =>
          api.GET("/v1/groups/{group}/apps/{app}", { params: { path: { group, app: app.app } } }),
        ),
      );
      if (!live) return;
      setProblem(details.every((detail) => detail.data) ? null : words.unavailable);
      setApps(details.flatMap((detail) => (detail.data ? [detail.data] : [])));
    })().catch(() => live && setProblem(words.unavailable));
    return () => {
      live = false;
    };
  }, [group, reading]);

  return (
    <>
      <Problem text={problem} />
      {apps === null && !problem && <p role="status">{words.loading}</p>}
      {apps?.length === 0 && <p>{words.noApps}</p>}
      {apps?.map((app) => (
        <section key={app.app} class="app" aria-labelledby={`app-${app.app}`}>
          <h2 id={`app-${app.app}`}>
            {app.name} <small>{app.app}</small>
          </h2>
          {app.instruments.length === 0 && <p>{words.noInstruments}</p>}
          {app.instruments.length > 0 && (
            <table class="instruments">
              <TableHead columns={[words.name, words.serial, words.lastSeen]} actions={words.actions} />
              <tbody>
                {app.instruments.map((instrument) => (
                  <tr key={instrument.instrument} data-instrument={instrument.instrument}>
                    <th scope="row">{instrument.name}</th>
                    <td>{instrument.instrument}</td>
                    <td>{instrument.last_seen == null ? words.never : time(instrument.last_seen)}</td>
                    <td>
                      {role === "admin" && (
                        <button
                          type="button"
                          class="quiet"
                          aria-label={fill(words.settingsOf, { name: instrument.name })}
                          onClick={() => setChosen({ app: app.app, serial: instrument.instrument })}
                        >
                          {words.settings}
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      ))}
      {chosen && (
        <InstrumentSettings
          key={`${chosen.app}/${chosen.serial}`}
          group={group}
          chosen={chosen}
          words={words}
          time={time}
          onDone={(saved) => {
            setChosen(null);
            if (saved) setReading((n) => n + 1);
          }}
        />
      )}
    </>
  );
}

type InstrumentSettingsProps = {
  group: string;
  chosen: Chosen;
  words: Messages;
  time: (millis: number) => string;
  onDone: (saved: boolean) => void;
};

function InstrumentSettings({ group, chosen, words, time, onDone }: InstrumentSettingsProps) {
  const [instrument, setInstrument] = useState<Schemas["InstrumentView"] | null>(null);
  const [refusal, setRefusal] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const path = { group, app: chosen.app, serial: chosen.serial };

  useEffect(() => {
    api
      .GET("/v1/groups/{group}/apps/{app}/instruments/{serial}", { params: { path } })
      .then(({ data, error }) => (data ? setInstrument(data) : setRefusal(error?.message ?? words.unavailable)))
      .catch(() => setRefusal(words.unavailable));
  }, []);

  async function save(event: Event) {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    const name = String(form.get("name")).trim();
    const note = String(form.get("note")).trim();
    const acquire = form.getAll("acquire").map(String);
    const acquired = instrument!.channels.filter((channel) => channel.acquired).map((channel) => channel.channel);
    // The stored channels are sent only when changed here: a rename must not deselect a
    // channel that first reported while the form was open, nor trip a plan's new limit.
    const same = acquire.length === acquired.length && acquire.every((channel) => acquired.includes(channel));
    setBusy(true);
    try {
      const { data, error } = await api.PUT("/v1/groups/{group}/apps/{app}/instruments/{serial}", {
        params: { path },
        body: {
          // Blank goes back to the serial, and a blank note is no note.
          name: name === "" ? null : name,
          note: note === "" ? null : note,
          ...(same ? {} : { acquire }),
        },
      });
      if (!data) return setRefusal(error?.message ?? words.unavailable);
      onDone(true);
    } catch {
      setRefusal(words.unavailable);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form class="editor" onSubmit={save} aria-labelledby="settings-heading">
      <h2 id="settings-heading">{fill(words.settingsOf, { name: instrument?.name ?? chosen.serial })}</h2>
      {!instrument && !refusal && <p role="status">{words.loading}</p>}
      {instrument && (
        <>
          <label>
            {words.name}
            <input
              name="name"
              aria-describedby="name-hint"
              defaultValue={instrument.name === instrument.instrument ? "" : instrument.name}
            />
          </label>
          <p class="hint" id="name-hint">
            {fill(words.nameHint, { serial: instrument.instrument })}
          </p>
          <label>
            {words.note}
            <textarea name="note" rows={3} maxLength={LONGEST_NOTE} defaultValue={instrument.note ?? ""} />
          </label>
          <fieldset>
            <legend>{words.acquiredChannels}</legend>
            {instrument.channels.map((channel) => (
              <label class="pick" key={channel.channel}>
                <input type="checkbox" name="acquire" value={channel.channel} defaultChecked={channel.acquired} />
                {channel.channel}
                {channel.latest && (
                  <small>
                    {" "}
                    {formatValue(channel.latest.value, words)} ({time(channel.latest.t)})
                  </small>
                )}
              </label>
            ))}
          </fieldset>
        </>
      )}
      <Problem text={refusal} />
      <div class="buttons">
        <button type="submit" disabled={!instrument || busy}>
          {words.save}
        </button>
        <button type="button" class="quiet" onClick={() => onDone(false)}>
          {words.cancel}
        </button>
      </div>
    </form>
  );
}
