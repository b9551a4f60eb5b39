// A forgotten password: the account and user ID (or a Trial's e-mail address) asked for,
// and a link mailed to the user's address to set a new one. The answer is the same
// whether or not the user exists, so the page cannot be used to find users out.
import { useState } from "preact/hooks";
import { api } from "../api/client";
import type { Messages } from "../i18n/en";
import { go } from "../navigation";
import { Problem } from "../ui/Problem";
import { useFocusOn } from "../ui/focus";

export function ForgotPassword({ words }: { words: Messages }) {
  const [trial, setTrial] = useState(false);
  const [sent, setSent] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const first = useFocusOn<HTMLInputElement>(trial);

  async function ask(event: Event) {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    const field = (name: string) => String(form.get(name) ?? "").trim();
    const body = trial ? { email: field("email") } : { account: field("account"), user: field("user") };
    setBusy(true);
    try {
      const { error, response } = await api.POST("/v1/password-reset", { body });
      setSent(!error);
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
      <h2>{words.resetTitle}</h2>
      {sent ? (
        <p role="status">{words.resetSent}</p>
      ) : (
        <form onSubmit={ask}>
          {trial ? (
            <label>
              {words.emailAddress}
              <input ref={first} name="email" type="email" autocomplete="email" required />
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
          <button type="submit" disabled={busy}>
            {words.sendResetLink}
          </button>
          <button type="button" class="quiet" onClick={() => setTrial(!trial)}>
            {trial ? words.withAccount : words.withEmail}
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
