// The user's own password changed: the current one asked again, the new one typed twice;
// the user's other sessions end (this one goes on), their Web API tokens too if ticked.
import { useState } from "preact/hooks";
import { api } from "../api/client";
import { fill } from "../i18n";
import type { Messages } from "../i18n/en";
import { useActing } from "../ui/useActing";

export function ChangePassword({ words }: { words: Messages }) {
  const [told, setTold] = useState<{ refusal: string } | { changed: string } | null>(null);
  const { busy, acting } = useActing(words);

  async function change(event: Event) {
    event.preventDefault();
    const formElement = event.currentTarget as HTMLFormElement;
    const form = new FormData(formElement);
    const fresh = String(form.get("new"));
    if (fresh !== String(form.get("again"))) return setTold({ refusal: words.passwordsDiffer });
    const answer = await acting(
      () =>
        api.PUT("/v1/me/password", {
          body: { current: String(form.get("current")), new: fresh, revoke_api_tokens: form.get("revoke") === "on" },
        }),
      (refusal) => refusal && setTold({ refusal }),
    );
    if (!answer?.data) return;
    formElement.reset();
    const revoked = answer.data.api_tokens_revoked;
    setTold({
      changed: revoked > 0 ? `${words.passwordChanged} ${fill(words.tokensRevoked, { n: revoked })}` : words.passwordChanged,
    });
  }

  return (
    <form class="editor" onSubmit={change} aria-labelledby="password-heading">
      <h2 id="password-heading">{words.password}</h2>
      <label>
        {words.currentPassword}
        <input name="current" type="password" required autocomplete="current-password" />
      </label>
      <label>
        {words.newPassword}
        <input name="new" type="password" required autocomplete="new-password" />
      </label>
      <label>
        {words.newPasswordAgain}
        <input name="again" type="password" required autocomplete="new-password" />
      </label>
      <label class="pick">
        <input name="revoke" type="checkbox" />
        {words.revokeApiTokens}
      </label>
      {told && (
        <p role={"refusal" in told ? "alert" : "status"} class={"refusal" in told ? "problem" : "hint"}>
          {"refusal" in told ? told.refusal : told.changed}
        </p>
      )}
      <div class="buttons">
        <button type="submit" disabled={busy}>
          {words.changePassword}
        </button>
      </div>
    </form>
  );
}
