// A 93-day Trial: signed up for with an e-mail address and a password, confirmed by the
// link mailed to it (`/trial#token=…`), which logs the new user straight in.
import { useEffect, useState } from "preact/hooks";
import { api, session } from "../api/client";
import { fill } from "../i18n";
import type { Messages } from "../i18n/en";
import { go } from "../navigation";
import { Problem } from "../ui/Problem";
import { useFocusOn } from "../ui/focus";

type Props = { words: Messages; token: string | null; onLoggedIn: () => void };

export function Trial({ words, token, onLoggedIn }: Props) {
  const [sentTo, setSentTo] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(token !== null);
  const first = useFocusOn<HTMLInputElement>(token === null || null);

  // A confirmation link: confirmed at once, and the session it answers started.
  useEffect(() => {
    if (!token) return;
    api
      .POST("/v1/trial/confirm", { body: { token } })
      .then(({ data, error }) => {
        if (!data) return setProblem(error?.message ?? words.unavailable);
        session.start(data.token);
        onLoggedIn();
      })
      .catch(() => setProblem(words.unavailable))
      .finally(() => setBusy(false));
  }, []);

  async function signUp(event: Event) {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    const email = String(form.get("email") ?? "").trim();
    setBusy(true);
    try {
      const { error, response } = await api.POST("/v1/trial", {
        body: { email, password: String(form.get("password") ?? "") },
      });
      setSentTo(error ? null : email);
      setProblem(error ? (response.status === 429 ? words.throttled : error.message) : null);
    } catch {
      setProblem(words.unavailable);
    } finally {
      setBusy(false);
    }
  }

  return (
    <main class="login">
      <h1>{words.appName}</h1>
      <h2>{words.trialTitle}</h2>
      {token ? (
        busy && <p role="status">{words.trialConfirming}</p>
      ) : sentTo ? (
        <p role="status">{fill(words.trialSent, { email: sentTo })}</p>
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
      <Problem text={problem} />
      <p>
        <a href="/login" onClick={(event) => (event.preventDefault(), go("/login"))}>
          {words.backToLogin}
        </a>
      </p>
    </main>
  );
}
