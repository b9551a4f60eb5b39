// A new password set from a reset link (`/reset-password#token=…`, mailed, good for 30
// minutes and once): typed twice; the user's sessions end, their Web API tokens too if
// they ask. Then back to the login.
import { useEffect, useState } from "preact/hooks";
import { api } from "../api/client";
import type { Messages } from "../i18n/en";
import { useFocusOn } from "../ui/focus";
import { spendToken } from "../fragment";
import { Outcome, PublicPage, useSubmit } from "../ui/PublicPage";

export function ResetPassword({ words }: { words: Messages }) {
  const [token] = useState(spendToken);
  const [done, setDone] = useState(false);
  const { busy, problem, setProblem, submit } = useSubmit(words);
  const first = useFocusOn<HTMLInputElement>(token);
  useEffect(() => {
    if (!token) setProblem(words.linkWithoutToken);
  }, []);

  const set = (event: Event) =>
    submit(event, async (form) => {
      if (!token) return;
      const password = String(form.get("password") ?? "");
      if (password !== String(form.get("again") ?? "")) return setProblem(words.passwordsDiffer);
      const { error } = await api.POST("/v1/password-reset/complete", {
        body: { token, password, revoke_api_tokens: form.get("revoke") === "on" },
      });
      setDone(!error);
      if (error) setProblem(error.message);
    });

  return (
    <PublicPage words={words} title={words.newPasswordTitle} problem={problem}>
      {done ? (
        <Outcome text={words.passwordReset} />
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
    </PublicPage>
  );
}
