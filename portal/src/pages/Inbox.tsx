// The inbox: a group's notifications, newest first (alarms raised, cleared or reading a
// special value; apps connecting and leaving; uploads a file alarm matched), each
// marked read on its own or all at once, all of them or the unread only, a page at a time.
import { useState } from "preact/hooks";
import { api, type Schemas } from "../api/client";
import { perGroup } from "../groups";
import { fill, type Language } from "../i18n";
import type { Messages } from "../i18n/en";
import { formatTime } from "../time";
import { formatValue } from "../values";
import { Problem } from "../ui/Problem";
import { usePages } from "../ui/usePages";

type Notification = Schemas["NotificationView"];
type Filter = "all" | "unread";
type Props = { words: Messages; language: Language; timeZone: string; onRead: () => void };

export const Inbox = perGroup(GroupInbox);

function GroupInbox({ group, words, language, timeZone, onRead }: Props & { group: string }) {
  const [filter, setFilter] = useState<Filter>("all");
  // Bumped to read the first page again (after marking all read).
  const [reading, setReading] = useState(0);
  const time = (millis: number) => formatTime(millis, language, timeZone);
  const { items, setItems, next, more, busy, problem, setProblem } = usePages(async (cursor) => {
    const { data, error } = await api.GET("/v1/groups/{group}/inbox", {
      params: { path: { group }, query: { filter, ...(cursor ? { cursor } : {}) } },
    });
    if (!data) throw new Error(error?.message ?? words.unavailable);
    return { items: data.notifications, next: data.next };
  }, [group, filter, reading]);

  async function markRead(id: string) {
    const { data, error } = await api.POST("/v1/groups/{group}/inbox/{notification}/read", {
      params: { path: { group, notification: id } },
    });
    if (!data) return setProblem(error?.message ?? words.unavailable);
    setItems((shown) => shown?.map((item) => (item.id === id ? { ...item, read: true } : item)) ?? null);
    onRead();
  }

  async function markAllRead() {
    const { data, error } = await api.POST("/v1/groups/{group}/inbox/read", { params: { path: { group } } });
    if (!data) return setProblem(error?.message ?? words.unavailable);
    setReading((n) => n + 1);
    onRead();
  }

  const unread = items?.filter((item) => !item.read).length ?? 0;

  return (
    <>
      <Problem text={problem} />
      <div class="toolbar">
        <div class="tabs" role="group" aria-label={words.show}>
          {(["all", "unread"] as const).map((option) => (
            <button
              key={option}
              type="button"
              class="quiet"
              aria-pressed={filter === option}
              onClick={() => setFilter(option)}
            >
              {option === "all" ? words.all : words.unreadOnly}
            </button>
          ))}
        </div>
        <button type="button" onClick={markAllRead} disabled={items?.length === 0}>
          {words.markAllRead}
        </button>
      </div>
      {items === null && !problem && <p role="status">{words.loading}</p>}
      {items?.length === 0 && <p>{filter === "unread" ? words.nothingUnread : words.nothingYet}</p>}
      {items && items.length > 0 && (
        <ul class="inbox" aria-label={fill(words.unreadShown, { n: unread })}>
          {items.map((item) => (
            <li key={item.id} class={item.read ? "read" : "unread"} data-read={String(item.read)}>
              <Told item={item} words={words} time={time} />
              {!item.read && (
                <button type="button" class="quiet" onClick={() => markRead(item.id)}>
                  {words.markRead}
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      {next && (
        <button type="button" class="quiet" onClick={more} disabled={busy}>
          {words.more}
        </button>
      )}
    </>
  );
}

/** What one notification tells, in the user's words. */
function Told({ item, words, time }: { item: Notification; words: Messages; time: (millis: number) => string }) {
  if ("alarm_name" in item) {
    const event = item.event;
    const headline =
      event.kind === "raised"
        ? fill(words.alarmRaised, { alarm: item.alarm_name })
        : event.kind === "cleared"
          ? fill(words.alarmCleared, { alarm: item.alarm_name })
          : fill(words.alarmSpecial, {
              alarm: item.alarm_name,
              channel: item.channels[event.condition] ?? "",
              value: formatValue(event.value, words),
            });
    return (
      <div class="told">
        <strong>{headline}</strong> <time>{time(event.at)}</time>
        <ul class="readings">
          {item.channels.map((channel, index) => (
            <li key={index}>
              {channel}: {item.values[index] == null ? "—" : formatValue(item.values[index]!, words)}
            </li>
          ))}
        </ul>
      </div>
    );
  }
  if ("app_name" in item) {
    return (
      <div class="told">
        <strong>{fill(item.connected ? words.appConnected : words.appDisconnected, { app: item.app_name })}</strong>{" "}
        <time>{time(item.at)}</time>
      </div>
    );
  }
  return (
    <div class="told">
      <strong>{fill(words.fileMatched, { rule: item.rule_name, file: item.name, folder: item.folder || "/" })}</strong>{" "}
      <time>{time(item.uploaded)}</time>
    </div>
  );
}
