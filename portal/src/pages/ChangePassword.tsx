// The user's own password changed: the current one asked again, the new one typed twice;
// the user's other sessions end (this one goes on), their Web API tokens too if ticked.
import { useState } from "preact/hooks";
import { api } from "../api/client";
import { fill } from "../i18n";
import type { Messages } from "../i18n/en";
import { useActing } from "../ui/useActing";

export function ChangePassword({ words }: { words: Messages }) {
  const [refusal, setRefusal] = useState<{ text: string; differ: boolean } | null>(null);
  // Always in the page, its text changed: a live region added with its text may go unread.
  const [changed, setChanged] = useState("");
  const { busy, acting } = useActing(words);

  async function change(event: Event) {
    event.preventDefault();
    const formElement = event.currentTarget as HTMLFormElement;
    const form = new FormData(formElement);
    const fresh = String(form.get("new"));
    setChanged("");
    if (fresh !== String(form.get("again"))) return setRefusal({ text: words.passwordsDiffer, differ: true });
    const answer = await acting(
      () =>
        api.PUT("/v1/me/password", {
          body: { current: String(form.get("current")), new: fresh, revoke_api_tokens: form.get("revoke") === "on" },
        }),
      (text) => setRefusal(text ? { text, differ: false } : null),
    );
    if (!answer?.data) return;
    formElement.reset();
    const revoked = answer.data.api_tokens_revoked;
    setChanged(revoked > 0 ? `${words.passwordChanged} ${fill(words.tokensRevoked, { n: revoked })}` : words.passwordChanged);
  }

  return (
    <form class="editor" onSubmit={change} aria-labelledby="password-heading">
      <h2 id="password-heading">{words.password}</h2>
      <label>
        {words.currentPassword}
        <input
          name="current"
          type="password"
          required
          autocomplete="current-password"
          aria-invalid={refusal && !refusal.differ ? true : undefined}
          aria-describedby={refusal && !refusal.differ ? "password-refusal" : undefined}
        />
      </label>
      <label>
        {words.newPassword}
        <input name="new" type="password" required autocomplete="new-password" />
      </label>
      <label>
        {words.newPasswordAgain}
        <input
          name="again"
          type="password"
          required
          autocomplete="new-password"
          aria-invalid={refusal?.differ ? true : undefined}
          aria-describedby={refusal?.differ ? "password-refusal" : undefined}
        />
      </label>
      <label class="pick">
        <input name="revoke" type="checkbox" />
        {words.revokeApiTokens}
      </label>
      {refusal && (
        <p role="alert" class="problem" id="password-refusal">
          {refusal.text}
        </p>
      )}
      <p role="status" class="hint">
        {changed}
      </p>
      <div class="buttons">
        <button type="submit" disabled={busy}>
          {words.changePassword}
        </button>
      </div>
    </form>
  );
}
