// A 93-day Trial: signed up for with an e-mail address and a password, confirmed by the
// link mailed to it (`/trial#token=…`), which logs the new user straight in.
import { useEffect, useState } from "preact/hooks";
import { api, session } from "../api/client";
import { fill } from "../i18n";
import type { Messages } from "../i18n/en";
import { useFocusOn } from "../ui/focus";
import { spendToken } from "../fragment";
import { Outcome, PublicPage, useSubmit } from "../ui/PublicPage";

type Props = { words: Messages; onLoggedIn: () => void };

export function Trial({ words, onLoggedIn }: Props) {
  const [token] = useState(spendToken);
  const [sentTo, setSentTo] = useState<string | null>(null);
  const [confirming, setConfirming] = useState(token !== null);
  // A tab with a session of its own asks before the Trial's session takes its place: a
  // link someone else sent must not slip the user into another account.
  const [asked, setAsked] = useState(session.token() === null);
  const { busy, problem, setProblem, submit } = useSubmit(words);
  const first = useFocusOn<HTMLInputElement>(token === null || null);

  // A confirmation link: confirmed (once asked), and the session it answers started.
  useEffect(() => {
    if (!token || !asked) return;
    api
      .POST("/v1/trial/confirm", { body: { token } })
      .then(({ data, error }) => {
        if (!data) return setProblem(error?.message ?? words.unavailable);
        session.start(data.token);
        onLoggedIn();
      })
      .catch(() => setProblem(words.unavailable))
      .finally(() => setConfirming(false));
  }, [asked]);

  const signUp = (event: Event) =>
    submit(event, async (form) => {
      const email = String(form.get("email") ?? "").trim();
      const { error, response } = await api.POST("/v1/trial", {
        body: { email, password: String(form.get("password") ?? "") },
      });
      if (error) return setProblem(response.status === 429 ? words.throttled : error.message);
      setSentTo(email);
    });

  return (
    <PublicPage words={words} title={words.trialTitle} problem={problem}>
      {token && !asked ? (
        <button type="button" onClick={() => setAsked(true)}>
          {words.trialReplacesSession}
        </button>
      ) : token ? (
        confirming && <p role="status">{words.trialConfirming}</p>
      ) : sentTo ? (
        <Outcome text={fill(words.trialSent, { email: sentTo })} />
      ) : (
        <form onSubmit={signUp}>
          <p class="hint">{words.trialHint}</p>
          <label>
            {words.emailAddress}
            <input ref={first} name="email" type="email" autocomplete="email" required />
          </label>
          <label>
            {words.password}
            <input name="password" type="password" autocomplete="new-password" required />
          </label>
          <button type="submit" disabled={busy}>
            {words.startTrial}
          </button>
        </form>
      )}
    </PublicPage>
  );
}
