// The account (admins only): its name, contract e-mail, time zone and language (the
// portal's and the notifications'), its plan and the storage it uses, the license (see
// Plan), its logo (see Logo), the alternate login ID and the IP allow-list (Pro). Web
// API tokens are on each user's own login page (YourLogin).
import { useEffect, useState } from "preact/hooks";
import { api, type Schemas } from "../api/client";
import { fill, LANGUAGE_NAMES, LANGUAGES, type Language } from "../i18n";
import type { Messages } from "../i18n/en";
import { formatTime } from "../time";
import { Problem } from "../ui/Problem";
import { LogoSection } from "./Logo";
import { licenseDay, PlanSection } from "./Plan";
import { formatBytes } from "../values";

type Props = { words: Messages; language: Language; timeZone: string; onAccountChanged: () => void };

export function Settings({ words, language, timeZone, onAccountChanged }: Props) {
  const [account, setAccount] = useState<Schemas["AccountDetail"] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  // What the API said of a section's last change: its refusal, or null when it was saved
  // (said at render time, in the language the change may just have switched to).
  const [told, setTold] = useState<{ section: string; refusal: string | null } | null>(null);
  const [reading, setReading] = useState(0);
  const time = (millis: number) => formatTime(millis, language, timeZone);

  useEffect(() => {
    api
      .GET("/v1/account")
      .then(({ data, error }) => (data ? setAccount(data) : setProblem(error?.message ?? words.unavailable)))
      .catch(() => setProblem(words.unavailable));
  }, [reading]);

  /** Sends a section's change; what the API says goes under that section. */
  async function sending(section: string, send: () => Promise<{ error?: { message: string } }>) {
    try {
      const { error } = await send();
      setTold({ section, refusal: error ? error.message : null });
      if (!error) setReading((n) => n + 1);
      return !error;
    } catch {
      setTold({ section, refusal: words.unavailable });
      return false;
    }
  }

  const note = (section: string) =>
    told?.section === section && (
      <p role={told.refusal ? "alert" : "status"} class={told.refusal ? "problem" : "hint"}>
        {told.refusal ?? words.saved}
      </p>
    );

  async function saveSettings(event: Event) {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    const email = String(form.get("contract_email")).trim();
    const saved = await sending("settings", () =>
      api.PUT("/v1/account", {
        body: {
          name: String(form.get("name")).trim(),
          contract_email: email === "" ? null : email,
          time_zone: String(form.get("time_zone")),
          language: String(form.get("language")),
        },
      }),
    );
    // The portal speaks the new language and shows the new zone at once.
    if (saved) onAccountChanged();
  }

  async function saveAlias(event: Event) {
    event.preventDefault();
    const alias = String(new FormData(event.currentTarget as HTMLFormElement).get("alias") ?? "").trim();
    await sending("alias", () => api.PUT("/v1/account/login-alias", { body: { alias: alias === "" ? null : alias } }));
  }

  async function saveAllowList(event: Event) {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    const allowList = String(form.get("allow_list"))
      .split(/\s+/)
      .filter((line) => line !== "");
    await sending("allow-list", () =>
      api.PUT("/v1/account/allow-list", {
        body: { allow_list: allowList, admin_password: String(form.get("admin_password")) },
      }),
    );
  }

  if (problem) return <Problem text={problem} />;
  if (!account) return <p role="status">{words.loading}</p>;
  const zones = Intl.supportedValuesOf("timeZone");
  return (
    <>
      <section class="app" aria-labelledby="plan-heading">
        <h2 id="plan-heading">{words.planAndStorage}</h2>
        <dl class="facts">
          <dt>{words.plan}</dt>
          <dd data-plan={account.plan}>{words[`plan_${account.plan}`]}</dd>
          {account.license_expires != null && (
            <>
              <dt>{words.licenseExpires}</dt>
              <dd>{licenseDay(account.license_expires, language, words)}</dd>
            </>
          )}
          {account.trial_ends != null && (
            <>
              <dt>{words.trialEnds}</dt>
              <dd>{time(account.trial_ends)}</dd>
            </>
          )}
          <dt>{words.storageUsed}</dt>
          <dd>
            <meter min={0} max={account.storage.capacity} value={account.storage.used} aria-hidden="true" />{" "}
            {fill(words.storageOf, {
              used: formatBytes(account.storage.used, language),
              capacity: formatBytes(account.storage.capacity, language),
            })}
          </dd>
        </dl>
      </section>
      <PlanSection words={words} language={language} onChanged={() => setReading((n) => n + 1)} />

      <form class="editor" onSubmit={saveSettings} aria-labelledby="settings-heading" key={`settings-${reading}`}>
        <h2 id="settings-heading">{words.accountSettings}</h2>
        <label>
          {words.name}
          <input name="name" required defaultValue={account.name} />
        </label>
        <label>
          {words.contractEmail}
          <input name="contract_email" type="email" defaultValue={account.contract_email ?? ""} />
        </label>
        <label>
          {words.timeZone}
          <select name="time_zone">
            {(zones.includes(account.time_zone) ? zones : [account.time_zone, ...zones]).map((zone) => (
              <option key={zone} value={zone} selected={zone === account.time_zone}>
                {zone}
              </option>
            ))}
          </select>
        </label>
        <label>
          {words.language}
          <select name="language">
            {LANGUAGES.map((option) => (
              <option key={option} value={option} lang={option} selected={option === account.language}>
                {LANGUAGE_NAMES[option]}
              </option>
            ))}
          </select>
        </label>
        {note("settings")}
        <div class="buttons">
          <button type="submit">{words.save}</button>
        </div>
      </form>

      <LogoSection
        words={words}
        language={language}
        allowed={account.plan !== "trial"}
        onChanged={onAccountChanged}
      />

      <form class="editor" onSubmit={saveAlias} aria-labelledby="alias-heading" key={`alias-${reading}`}>
        <h2 id="alias-heading">{words.loginAlias}</h2>
        <label>
          {words.loginAliasField}
          <input
            name="alias"
            autocomplete="off"
            spellcheck={false}
            aria-describedby="alias-help"
            defaultValue={account.login_alias ?? ""}
          />
        </label>
        <p class="hint" id="alias-help">
          {words.loginAliasHelp}
        </p>
        {note("alias")}
        <div class="buttons">
          <button type="submit">{words.save}</button>
        </div>
      </form>

      <form class="editor" onSubmit={saveAllowList} aria-labelledby="allow-heading" key={`allow-${reading}`}>
        <h2 id="allow-heading">{words.allowList}</h2>
        <label>
          {words.allowListAddresses}
          <textarea
            name="allow_list"
            rows={4}
            spellcheck={false}
            aria-describedby="allow-help"
            defaultValue={account.allow_list.join("\n")}
          />
        </label>
        <p class="hint" id="allow-help">
          {words.allowListHelp}
        </p>
        <label>
          {words.yourPassword}
          <input name="admin_password" type="password" required autocomplete="current-password" />
        </label>
        {note("allow-list")}
        <div class="buttons">
          <button type="submit">{words.save}</button>
        </div>
      </form>

    </>
  );
}
