// Where a group's notifications go (editors of the group): users e-mailed (each must be
// able to see the group), a Slack and a WeCom webhook, the notifications' language, and
// whether apps connecting and leaving are sent too (the inbox has everything either
// way). Webhooks are secrets: the API shows them masked, and a masked one sent back
// keeps the address stored, so the form sends what it shows.
import { useEffect, useState } from "preact/hooks";
import { api, type Schemas } from "../api/client";
import { LANGUAGE_NAMES, LANGUAGES, type Language } from "../i18n";
import type { Messages } from "../i18n/en";
import { useActing } from "../ui/useActing";

type Props = { group: string; words: Messages };

export function Destinations({ group, words }: Props) {
  const [shown, setShown] = useState<Schemas["DestinationsView"] | null>(null);
  // Null while all is well; a group the user may not edit has no such section at all.
  const [problem, setProblem] = useState<string | null>(null);
  const [hidden, setHidden] = useState(false);
  const [refusal, setRefusal] = useState<string | null>(null);
  // Always in the page, its text changed: a live region added with its text may go unread.
  const [saved, setSaved] = useState("");
  const { busy, acting } = useActing(words);

  useEffect(() => {
    let live = true;
    api
      .GET("/v1/groups/{group}/destinations", { params: { path: { group } } })
      .then(({ data, error, response }) => {
        if (!live) return;
        setHidden(response.status === 403);
        setProblem(data || response.status === 403 ? null : (error?.message ?? words.unavailable));
        if (data) setShown(data);
      })
      .catch(() => live && setProblem(words.unavailable));
    return () => {
      live = false;
    };
  }, [group]);

  async function save(event: Event) {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    const text = (name: string) => String(form.get(name) ?? "").trim();
    const language = text("language");
    setSaved("");
    const answer = await acting(
      () =>
        api.PUT("/v1/groups/{group}/destinations", {
          params: { path: { group } },
          body: {
            mail: text("mail")
              .split(/[\s,]+/)
              .filter((user) => user !== ""),
            slack: text("slack") || null,
            wecom: text("wecom") || null,
            language: language === "" ? null : (language as Language),
            app_status: form.get("app_status") === "on",
          },
        }),
      setRefusal,
    );
    // The form stays as typed (the focus with it); what is stored is read next time.
    if (answer?.data) setSaved(words.saved);
  }

  if (hidden) return null;
  return (
    <section class="app" aria-labelledby="destinations-heading">
      <h2 id="destinations-heading">{words.destinations}</h2>
      {problem && (
        <p role="alert" class="problem">
          {problem}
        </p>
      )}
      {shown && (
        <form class="editor" onSubmit={save} key={group}>
          <label>
            {words.mailUsers}
            <input
              name="mail"
              autocomplete="off"
              spellcheck={false}
              aria-describedby="mail-users-help"
              defaultValue={shown.mail.join(", ")}
            />
          </label>
          <p class="hint" id="mail-users-help">
            {words.mailUsersHelp}
          </p>
          <label>
            {words.slackWebhook}
            <input name="slack" inputMode="url" autocomplete="off" spellcheck={false} defaultValue={shown.slack ?? ""} />
          </label>
          <label>
            {words.wecomWebhook}
            <input name="wecom" inputMode="url" autocomplete="off" spellcheck={false} defaultValue={shown.wecom ?? ""} />
          </label>
          <p class="hint">{words.webhooksHelp}</p>
          <label>
            {words.notificationLanguage}
            <select name="language">
              <option value="" selected={shown.language === null}>
                {words.accountLanguage}
              </option>
              {LANGUAGES.map((option) => (
                <option key={option} value={option} lang={option} selected={option === shown.language}>
                  {LANGUAGE_NAMES[option]}
                </option>
              ))}
            </select>
          </label>
          <label class="pick">
            <input name="app_status" type="checkbox" defaultChecked={shown.app_status} />
            {words.sendAppStatus}
          </label>
          {refusal && (
            <p role="alert" class="problem">
              {refusal}
            </p>
          )}
          <p role="status" class="hint">
            {saved}
          </p>
          <div class="buttons">
            <button type="submit" disabled={busy}>
              {words.save}
            </button>
          </div>
        </form>
      )}
    </section>
  );
}
