// The monitor: every group the user may see, its apps (connected or not, last seen),
// their instruments and each channel's latest value, read again every minute.
import { useEffect, useState } from "preact/hooks";
import { api, type Schemas } from "../api/client";
import type { Language } from "../i18n";
import type { Messages } from "../i18n/en";
import { formatTime } from "../time";
import { formatValue, isSpecial } from "../values";
import { Problem } from "../ui/Problem";

const REFRESH_EVERY_MS = 60_000;

type Props = { words: Messages; language: Language; timeZone: string };

export function Monitor({ words, language, timeZone }: Props) {
  const [groups, setGroups] = useState<Schemas["GroupLatest"][] | null>(null);
  const [failed, setFailed] = useState(false);
  const time = (millis: number) => formatTime(millis, language, timeZone);

  useEffect(() => {
    let live = true;
    async function read() {
      const { data } = await api.GET("/v1/groups");
      if (!data) return setFailed(true);
      const latest = await Promise.all(
        data.groups.map((group) =>
          api.GET("/v1/groups/{group}/latest", { params: { path: { group: group.id } } }),
        ),
      );
      if (!live) return;
      setFailed(latest.some((answer) => !answer.data));
      setGroups(latest.flatMap((answer) => (answer.data ? [answer.data] : [])));
    }
    read().catch(() => live && setFailed(true));
    const timer = window.setInterval(() => read().catch(() => live && setFailed(true)), REFRESH_EVERY_MS);
    return () => {
      live = false;
      window.clearInterval(timer);
    };
  }, []);

  return (
    <>
      <Problem text={failed ? words.unavailable : null} />
      {groups === null && !failed && <p role="status">{words.loading}</p>}
      {groups?.length === 0 && <p>{words.noGroups}</p>}
      {groups?.map((group) => (
        <section key={group.group} aria-labelledby={`group-${group.group}`}>
          <h2 id={`group-${group.group}`}>
            {group.name} <small>{words.updated} {time(group.now)}</small>
          </h2>
          {group.apps.length === 0 && <p>{words.noApps}</p>}
          {group.apps.map((app) => (
            <article key={app.app} class="app" data-app={app.app}>
              <h3>
                {app.name}{" "}
                <span class={app.connected ? "status on" : "status off"}>
                  {!app.enabled ? words.disabled : app.connected ? words.connected : words.disconnected}
                </span>
              </h3>
              <p class="seen">
                {words.lastSeen}: {app.last_seen == null ? words.never : time(app.last_seen)}
              </p>
              {app.instruments.map((instrument) => (
                <table key={instrument.instrument} data-instrument={instrument.instrument}>
                  <caption>{instrument.instrument}</caption>
                  <thead>
                    <tr>
                      <th scope="col">{words.channel}</th>
                      <th scope="col">{words.value}</th>
                      <th scope="col">{words.time}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {instrument.channels.length === 0 && (
                      <tr>
                        <td colSpan={3}>{words.noValues}</td>
                      </tr>
                    )}
                    {instrument.channels.map((channel) => (
                      <tr key={channel.channel} data-channel={channel.channel}>
                        <th scope="row">{channel.channel}</th>
                        <td class={isSpecial(channel.value) ? "value special" : "value"}>
                          {formatValue(channel.value, words)}
                        </td>
                        <td>{time(channel.t)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              ))}
            </article>
          ))}
        </section>
      ))}
    </>
  );
}
