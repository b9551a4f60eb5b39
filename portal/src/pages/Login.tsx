// Log in: account, user and password (a Trial's e-mail address and password), then the
// second step's code when the user has one; the ways to a forgotten password and to a
// Trial from here.
import { useEffect, useRef, useState } from "preact/hooks";
import { api, session } from "../api/client";
import { go } from "../navigation";
import type { Messages } from "../i18n/en";
import { Problem } from "../ui/Problem";

type Step = { kind: "password" } | { kind: "code"; challenge: string; by: string };
type Way = "account" | "email";

export function Login({ words, onLoggedIn }: { words: Messages; onLoggedIn: () => void }) {
  const [step, setStep] = useState<Step>({ kind: "password" });
  const [way, setWay] = useState<Way>("account");
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  // The first field of each step takes the focus (`autofocus` works once a document,
  // and this page is shown again without a reload after a logout).
  const first = useRef<HTMLInputElement>(null);
  useEffect(() => first.current?.focus(), [step.kind, way]);

  const refused = (status: number, wrong: string) =>
    setProblem(status === 429 ? words.throttled : status >= 500 ? words.unavailable : wrong);

  /** Sends a form's step: busy meanwhile, and an unreachable service told as such. */
  async function submitting(event: Event, send: (form: FormData) => Promise<void>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    setBusy(true);
    setProblem(null);
    try {
      await send(form);
    } catch {
      setProblem(words.unavailable);
    } finally {
      setBusy(false);
    }
  }

  const logIn = (event: Event) =>
    submitting(event, async (form) => {
      const password = String(form.get("password"));
      const body =
        way === "email"
          ? { email: String(form.get("email")).trim(), password }
          : { account: String(form.get("account")), user: String(form.get("user")), password };
      const { data, response } = await api.POST("/v1/login", { body });
      if (!data) return refused(response.status, words.loginFailed);
      if ("token" in data) {
        session.start(data.token);
        onLoggedIn();
      } else {
        setStep({ kind: "code", challenge: data.challenge, by: data.two_step });
      }
    });

  const verify = (event: Event, challenge: string) =>
    submitting(event, async (form) => {
      const { data, response } = await api.POST("/v1/login/two-step", {
        body: { challenge, code: String(form.get("code")) },
      });
      if (!data) return refused(response.status, words.codeFailed);
      session.start(data.token);
      onLoggedIn();
    });

  return (
    <main class="login">
      <h1>{words.appName}</h1>
      <h2>{words.loginTitle}</h2>
      {step.kind === "password" ? (
        <form onSubmit={logIn}>
          {way === "email" ? (
            <label>
              {words.emailAddress}
              <input ref={first} name="email" type="email" autocomplete="username" required />
            </label>
          ) : (
            <>
              <label>
                {words.account}
                <input ref={first} name="account" autocomplete="organization" required />
              </label>
              <label>
                {words.user}
                <input name="user" autocomplete="username" required />
              </label>
            </>
          )}
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
      <Problem text={problem} />
      {step.kind === "password" && (
        <ul class="ways">
          <li>
            <button type="button" class="quiet" onClick={() => setWay(way === "email" ? "account" : "email")}>
              {way === "email" ? words.withAccount : words.withEmail}
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
      )}
    </main>
  );
}
