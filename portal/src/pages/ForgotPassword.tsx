// A forgotten password: the account and user ID (or a Trial's e-mail address) asked for,
// and a link mailed to the user's address to set a new one. The answer is the same
// whether or not the user exists, so the page cannot be used to find users out.
import { useState } from "preact/hooks";
import { api } from "../api/client";
import type { Messages } from "../i18n/en";
import { useFocusOn } from "../ui/focus";
import { Outcome, PublicPage, useSubmit } from "../ui/PublicPage";
import { who, WhoFields } from "../ui/WhoFields";

export function ForgotPassword({ words }: { words: Messages }) {
  const [byEmail, setByEmail] = useState(false);
  const [sent, setSent] = useState(false);
  const { busy, problem, setProblem, submit } = useSubmit(words);
  const first = useFocusOn<HTMLInputElement>(byEmail);

  const ask = (event: Event) =>
    submit(event, async (form) => {
      const { error, response } = await api.POST("/v1/password-reset", { body: who(form, byEmail) });
      setSent(!error);
      if (error) setProblem(response.status === 429 ? words.throttled : error.message);
    });

  return (
    <PublicPage words={words} title={words.resetTitle} problem={problem}>
      {sent ? (
        <Outcome text={words.resetSent} />
      ) : (
        <form onSubmit={ask}>
          <WhoFields words={words} byEmail={byEmail} first={first} />
          <button type="submit" disabled={busy}>
            {words.sendResetLink}
          </button>
          <button type="button" class="quiet" onClick={() => setByEmail(!byEmail)}>
            {byEmail ? words.withAccount : words.withEmail}
          </button>
        </form>
      )}
    </PublicPage>
  );
}
