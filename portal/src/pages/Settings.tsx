// The account (admins only): its name, contract e-mail, time zone and language (the
// portal's and the notifications'), its plan and the storage it uses, the license (see
// Plan); the IP allow-list (Pro); and Web API tokens (Pro) — issued with the password
// asked again, the secret shown once, revoked at once.
import { useEffect, useRef, useState } from "preact/hooks";
import { api, type Schemas } from "../api/client";
import { fill, LANGUAGES, type Language } from "../i18n";
import type { Messages } from "../i18n/en";
import { formatTime } from "../time";
import { Problem } from "../ui/Problem";
import { PlanSection } from "./Plan";
import { formatBytes } from "../values";

type Props = { words: Messages; language: Language; timeZone: string; onAccountChanged: () => void };

/** Each language named in itself, as a person looking for theirs reads it. */
const LANGUAGE_NAMES: Record<Language, string> = {
  "zh-CN": "简体中文",
  ja: "日本語",
  en: "English",
  es: "Español",
  fr: "Français",
  de: "Deutsch",
  it: "Italiano",
};

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
              <dd>{time(account.license_expires)}</dd>
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
      <PlanSection
        words={words}
        language={language}
        timeZone={timeZone}
        onChanged={() => setReading((n) => n + 1)}
      />

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
            {(Object.keys(LANGUAGES) as Language[]).map((option) => (
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

      <ApiTokens words={words} time={time} />
    </>
  );
}

function ApiTokens({ words, time }: { words: Messages; time: (millis: number) => string }) {
  const [tokens, setTokens] = useState<Schemas["ApiTokenView"][] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [issued, setIssued] = useState<Schemas["IssuedApiToken"] | null>(null);
  const [reading, setReading] = useState(0);
  const [busy, setBusy] = useState(false);
  const secret = useRef<HTMLDivElement>(null);
  // The secret's box takes the focus when it appears (not a live region: a screen reader
  // would read the secret out unasked).
  useEffect(() => {
    if (issued) secret.current?.focus();
  }, [issued]);

  useEffect(() => {
    api
      .GET("/v1/api-tokens")
      .then(({ data, error }) => {
        setProblem(data ? null : (error?.message ?? words.unavailable));
        if (data) setTokens(data.api_tokens);
      })
      .catch(() => setProblem(words.unavailable));
  }, [reading]);

  async function issue(event: Event) {
    event.preventDefault();
    const formElement = event.currentTarget as HTMLFormElement;
    const form = new FormData(formElement);
    const days = String(form.get("days")).trim();
    // Two presses would issue two live tokens, the first one's secret never shown.
    if (busy) return;
    setBusy(true);
    try {
      const { data, error } = await api.POST("/v1/api-tokens", {
        body: {
          name: String(form.get("name")).trim(),
          password: String(form.get("password")),
          expires_in_days: days === "" ? null : Number(days),
        },
      });
      if (!data) return setProblem(error?.message ?? words.unavailable);
      setIssued(data);
      formElement.reset();
      setReading((n) => n + 1);
    } catch {
      setProblem(words.unavailable);
    } finally {
      setBusy(false);
    }
  }

  async function revoke(id: string) {
    try {
      const { data, error } = await api.DELETE("/v1/api-tokens/{token}", { params: { path: { token: id } } });
      setProblem(data ? null : (error?.message ?? words.unavailable));
      if (issued?.id === id) setIssued(null);
      setReading((n) => n + 1);
    } catch {
      setProblem(words.unavailable);
    }
  }

  return (
    <section class="app" aria-labelledby="tokens-heading">
      <h2 id="tokens-heading">{words.apiTokens}</h2>
      <Problem text={problem} />
      {issued && (
        <div class="issued" ref={secret} tabIndex={-1} aria-label={words.tokenIssued}>
          <p>{words.tokenShownOnce}</p>
          <code>{issued.token}</code>{" "}
          <button type="button" class="quiet" onClick={() => setIssued(null)}>
            {words.done}
          </button>
        </div>
      )}
      {tokens?.length === 0 && <p>{words.noTokens}</p>}
      {tokens && tokens.length > 0 && (
        <ul class="grants">
          {tokens.map((token) => (
            <li key={token.id}>
              {`${token.name} (${token.user}) · ${
                token.expires == null ? words.neverExpires : fill(words.expires, { time: time(token.expires) })
              } `}
              <button type="button" class="quiet" onClick={() => revoke(token.id)}>
                {fill(words.revokeNamed, { name: token.name })}
              </button>
            </li>
          ))}
        </ul>
      )}
      <form class="inline" onSubmit={issue}>
        <label>
          {words.name}
          <input name="name" required autocomplete="off" />
        </label>
        <label>
          {words.expiresInDays}
          <input name="days" type="number" min={1} max={3650} />
        </label>
        <label>
          {words.yourPassword}
          <input name="password" type="password" required autocomplete="current-password" />
        </label>
        <button type="submit" disabled={busy}>
          {words.issueToken}
        </button>
      </form>
    </section>
  );
}
