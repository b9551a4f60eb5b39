// The user's own password changed: the current one asked again, the new one typed twice;
// the user's other sessions end (this one goes on), their Web API tokens too if ticked.
import { useState } from "preact/hooks";
import { api } from "../api/client";
import { fill } from "../i18n";
import type { Messages } from "../i18n/en";
import { useActing } from "../ui/useActing";

export function ChangePassword({ words }: { words: Messages }) {
  // What was refused, and the field it is about (null: none in particular, say a throttle).
  const [refusal, setRefusal] = useState<{ text: string; field: "current" | "new" | "again" | null } | null>(null);
  // Always in the page, its text changed: a live region added with its text may go unread.
  const [changed, setChanged] = useState("");
  const { busy, acting } = useActing(words);

  async function change(event: Event) {
    event.preventDefault();
    const formElement = event.currentTarget as HTMLFormElement;
    const form = new FormData(formElement);
    const fresh = String(form.get("new"));
    setChanged("");
    if (fresh !== String(form.get("again"))) return setRefusal({ text: words.passwordsDiffer, field: "again" });
    const answer = await acting(
      () =>
        api.PUT("/v1/me/password", {
          body: { current: String(form.get("current")), new: fresh, revoke_api_tokens: form.get("revoke") === "on" },
        }),
      (text) => setRefusal(text ? { text, field: fieldOf(text) } : null),
    );
    if (!answer?.data) return;
    formElement.reset();
    const revoked = answer.data.api_tokens_revoked;
    setChanged(revoked > 0 ? `${words.passwordChanged} ${fill(words.tokensRevoked, { n: revoked })}` : words.passwordChanged);
  }

  /** The attributes that tie the refusal to `field`, when it is about that one. */
  const marked = (field: "current" | "new" | "again") =>
    refusal?.field === field ? { "aria-invalid": true, "aria-describedby": "password-refusal" } : {};

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
          {...marked("current")}
        />
      </label>
      <label>
        {words.newPassword}
        <input name="new" type="password" required autocomplete="new-password" {...marked("new")} />
      </label>
      <label>
        {words.newPasswordAgain}
        <input
          name="again"
          type="password"
          required
          autocomplete="new-password"
          {...marked("again")}
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

/** The field an API refusal of a password change is about: the current password when it
 * was wrong; the new one when the policy refused it; none for the rest (a throttle). */
function fieldOf(refusal: string): "current" | "new" | null {
  if (refusal.startsWith("the password is wrong")) return "current";
  return refusal.startsWith("the password needs") ? "new" : null;
}
