// File alarms (SPEC.md 6): a group's rules on its uploads — from an app (and one of its
// instruments), a file-name pattern, a file kind; every part named must hold, a rule
// naming none matches every upload — listed, made and deleted (editors). A matching
// upload lands in the inbox and goes where the group's notifications go.
import { useEffect, useState } from "preact/hooks";
import { api, type Schemas } from "../api/client";
import { fill } from "../i18n";
import type { Messages } from "../i18n/en";
import { ConfirmDelete } from "../ui/ConfirmDelete";
import { AppOptions } from "../ui/AppOptions";
import { Problem } from "../ui/Problem";
import { useActing } from "../ui/useActing";

type Rule = Schemas["FileAlarmView"];
type Props = { group: string; words: Messages };

export function FileAlarms({ group, words }: Props) {
  const [rules, setRules] = useState<Rule[] | null>(null);
  const [apps, setApps] = useState<Schemas["AppView"][]>([]);
  const [problem, setProblem] = useState<string | null>(null);
  const [refusal, setRefusal] = useState<string | null>(null);
  const [doomed, setDoomed] = useState<string | null>(null);
  const [reading, setReading] = useState(0);
  // Always in the page, its text changed: a live region added with its text may go unread.
  const [made, setMade] = useState("");
  const { busy, acting } = useActing(words);

  useEffect(() => {
    let live = true;
    const path = { params: { path: { group } } };
    Promise.all([api.GET("/v1/groups/{group}/file-alarms", path), api.GET("/v1/groups/{group}/apps", path)])
      .then(([ruleList, appList]) => {
        if (!live) return;
        setProblem(ruleList.data ? null : (ruleList.error?.message ?? words.unavailable));
        if (ruleList.data) setRules(ruleList.data.file_alarms);
        if (appList.data) setApps(appList.data.apps);
      })
      .catch(() => live && setProblem(words.unavailable));
    return () => {
      live = false;
    };
  }, [group, reading]);

  async function make(event: Event) {
    event.preventDefault();
    const formElement = event.currentTarget as HTMLFormElement;
    const form = new FormData(formElement);
    const text = (name: string) => String(form.get(name) ?? "").trim() || null;
    setMade("");
    const done = await acting(
      () =>
        api.POST("/v1/groups/{group}/file-alarms", {
          params: { path: { group } },
          body: {
            name: String(form.get("name") ?? "").trim(),
            app: text("app"),
            instrument: text("instrument"),
            glob: text("glob"),
            kind: text("kind"),
          },
        }),
      setRefusal,
    );
    if (!done) return;
    // Emptied for the next rule, the focus left where it was.
    formElement.reset();
    setMade(fill(words.fileAlarmMade, { name: String(form.get("name") ?? "").trim() }));
    setReading((n) => n + 1);
  }

  async function remove(rule: Rule) {
    setDoomed(null);
    const done = await acting(
      () => api.DELETE("/v1/groups/{group}/file-alarms/{rule}", { params: { path: { group, rule: rule.id } } }),
      setProblem,
    );
    if (done) setReading((n) => n + 1);
  }

  /** What a rule matches, in words. */
  const matches = (rule: Rule) =>
    [
      rule.app && fill(words.fromApp, { app: rule.app }),
      rule.instrument && fill(words.fromInstrument, { instrument: rule.instrument }),
      rule.glob && fill(words.namedLike, { glob: rule.glob }),
      rule.kind && fill(words.ofKind, { kind: rule.kind }),
    ]
      .filter(Boolean)
      .join(" · ") || words.everyUpload;

  return (
    <section class="app" aria-labelledby="file-alarms-heading">
      <h2 id="file-alarms-heading">{words.fileAlarms}</h2>
      <p class="hint">{words.fileAlarmsHelp}</p>
      <Problem text={problem} />
      {rules?.length === 0 && <p>{words.noFileAlarms}</p>}
      {rules && rules.length > 0 && (
        <ul class="file-alarms">
          {rules.map((rule) => (
            <li key={rule.id} data-file-alarm={rule.id}>
              <div>
                <strong>{rule.name}</strong>
                <p class="hint">{matches(rule)}</p>
              </div>
              <div class="buttons">
                <ConfirmDelete
                  words={words}
                  name={rule.name}
                  asked={doomed === rule.id}
                  onAsk={() => setDoomed(rule.id)}
                  onConfirm={() => remove(rule)}
                />
              </div>
            </li>
          ))}
        </ul>
      )}
      <form class="editor" onSubmit={make} aria-labelledby="new-file-alarm-heading">
        <h3 id="new-file-alarm-heading">{words.newFileAlarm}</h3>
        <label>
          {words.name}
          <input name="name" required autocomplete="off" />
        </label>
        <label>
          {words.fromWhichApp}
          <select name="app">
            <option value="">{words.anyApp}</option>
            <AppOptions apps={apps} />
          </select>
        </label>
        <label>
          {words.instrumentSerialOptional}
          <input name="instrument" autocomplete="off" spellcheck={false} />
        </label>
        <label>
          {words.fileNamePattern}
          <input name="glob" autocomplete="off" spellcheck={false} aria-describedby="glob-help" />
        </label>
        <p class="hint" id="glob-help">
          {words.fileNamePatternHelp}
        </p>
        <label>
          {words.fileKind}
          <input name="kind" autocomplete="off" spellcheck={false} aria-describedby="kind-help" />
        </label>
        <p class="hint" id="kind-help">
          {words.fileKindHelp}
        </p>
        <Problem text={refusal} />
        <p role="status" class="hint">
          {made}
        </p>
        <div class="buttons">
          <button type="submit" disabled={busy}>
            {words.makeFileAlarm}
          </button>
        </div>
      </form>
    </section>
  );
}
