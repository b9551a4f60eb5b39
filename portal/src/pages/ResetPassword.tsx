// A new password set from a reset link (`/reset-password#token=…`, mailed, good for 30
// minutes and once): typed twice; the user's sessions end, their Web API tokens too if
// they ask. Then back to the login.
import { useState } from "preact/hooks";
import { api } from "../api/client";
import type { Messages } from "../i18n/en";
import { go } from "../navigation";
import { Problem } from "../ui/Problem";
import { useFocusOn } from "../ui/focus";

export function ResetPassword({ words, token }: { words: Messages; token: string | null }) {
  const [done, setDone] = useState(false);
  const [problem, setProblem] = useState<string | null>(token ? null : words.linkWithoutToken);
  const [busy, setBusy] = useState(false);
  const first = useFocusOn<HTMLInputElement>(token);

  async function set(event: Event) {
    event.preventDefault();
    if (!token) return;
    const form = new FormData(event.currentTarget as HTMLFormElement);
    const password = String(form.get("password") ?? "");
    if (password !== String(form.get("again") ?? "")) return setProblem(words.passwordsDiffer);
    setBusy(true);
    try {
      const { error } = await api.POST("/v1/password-reset/complete", {
        body: { token, password, revoke_api_tokens: form.get("revoke") === "on" },
      });
      setDone(!error);
      setProblem(error ? error.message : null);
    } catch {
      setProblem(words.unavailable);
    } finally {
      setBusy(false);
    }
  }

  return (
    <main class="login">
      <h1>{words.appName}</h1>
      <h2>{words.newPasswordTitle}</h2>
      {done ? (
        <p role="status">{words.passwordReset}</p>
      ) : (
        token && (
          <form onSubmit={set}>
            <label>
              {words.newPassword}
              <input ref={first} name="password" type="password" autocomplete="new-password" required />
            </label>
            <label>
              {words.newPasswordAgain}
              <input name="again" type="password" autocomplete="new-password" required />
            </label>
            <label class="pick">
              <input name="revoke" type="checkbox" />
              {words.revokeApiTokens}
            </label>
            <button type="submit" disabled={busy}>
              {words.setPassword}
            </button>
          </form>
        )
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
