// Log in: account, user and password (a Trial's e-mail address and password), then the
// second step's code when the user has one; the ways to a forgotten password and to a
// Trial from here.
import { useEffect, useRef, useState } from "preact/hooks";
import { api, session } from "../api/client";
import type { Messages } from "../i18n/en";
import { go } from "../navigation";
import { PublicPage, useSubmit } from "../ui/PublicPage";
import { who, WhoFields } from "../ui/WhoFields";

type Step = { kind: "password" } | { kind: "code"; challenge: string; by: string };

export function Login({ words, onLoggedIn }: { words: Messages; onLoggedIn: () => void }) {
  const [step, setStep] = useState<Step>({ kind: "password" });
  const [byEmail, setByEmail] = useState(false);
  const { busy, problem, setProblem, submit } = useSubmit(words);
  // The first field of each step takes the focus (`autofocus` works once a document,
  // and this page is shown again without a reload after a logout).
  const first = useRef<HTMLInputElement>(null);
  useEffect(() => first.current?.focus(), [step.kind, byEmail]);

  // A wrong account, user, password or code is told alike (the API's rule); a refusal
  // for another reason (a Trial past its days, an address off the allow-list) in the
  // API's words.
  const refused = (status: number, wrong: string, message?: string) =>
    setProblem(
      status === 429 ? words.throttled : status >= 500 ? words.unavailable : status === 403 && message ? message : wrong,
    );

  const logIn = (event: Event) =>
    submit(event, async (form) => {
      const body = { ...who(form, byEmail), password: String(form.get("password")) };
      const { data, error, response } = await api.POST("/v1/login", { body });
      if (!data) return refused(response.status, words.loginFailed, error?.message);
      if ("token" in data) {
        session.start(data.token);
        onLoggedIn();
      } else {
        setStep({ kind: "code", challenge: data.challenge, by: data.two_step });
      }
    });

  const verify = (event: Event, challenge: string) =>
    submit(event, async (form) => {
      const { data, error, response } = await api.POST("/v1/login/two-step", {
        body: { challenge, code: String(form.get("code")) },
      });
      if (!data) return refused(response.status, words.codeFailed, error?.message);
      session.start(data.token);
      onLoggedIn();
    });

  const ways = (
    <ul class="ways">
      <li>
        <button type="button" class="quiet" onClick={() => setByEmail(!byEmail)}>
          {byEmail ? words.withAccount : words.withEmail}
        </button>
      </li>
      <li>
        <a href="/forgot-password" onClick={(event) => (event.preventDefault(), go("/forgot-password"))}>
          {words.forgotPassword}
        </a>
      </li>
      <li>
        <a href="/trial" onClick={(event) => (event.preventDefault(), go("/trial"))}>
          {words.startTrialLink}
        </a>
      </li>
    </ul>
  );

  return (
    <PublicPage
      words={words}
      title={words.loginTitle}
      problem={problem}
      back={false}
      after={step.kind === "password" && ways}
    >
      {step.kind === "password" ? (
        <form onSubmit={logIn}>
          <WhoFields words={words} byEmail={byEmail} first={first} />
          <label>
            {words.password}
            <input name="password" type="password" autocomplete="current-password" required />
          </label>
          <button type="submit" disabled={busy}>
            {words.logIn}
          </button>
        </form>
      ) : (
        <form onSubmit={(event) => verify(event, step.challenge)}>
          <p>{step.by === "email" ? words.codeHintEmail : words.codeHintTotp}</p>
          <label>
            {words.code}
            <input
              ref={first}
              name="code"
              inputMode="numeric"
              autocomplete="one-time-code"
              pattern="[0-9]{6}"
              required
            />
          </label>
          <button type="submit" disabled={busy}>
            {words.verify}
          </button>
        </form>
      )}
    </PublicPage>
  );
}
