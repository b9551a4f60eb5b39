// The user's second step at login (SPEC.md 9: none, a code by e-mail, or an authenticator
// app), turned on and off by the user themselves. Each way proves itself before it
// counts: a mailed code comes back, or the app's first code matches. Turning one off
// takes the password (e-mail) or a current code (app), so a session left open is not
// enough; an admin can turn it off for a user who lost their app (Users).
import { useState } from "preact/hooks";
import { api, type Schemas } from "../api/client";
import { fill } from "../i18n";
import type { Messages } from "../i18n/en";
import { useFocusOn } from "../ui/focus";
import { QrCode } from "../ui/QrCode";
import { useActing } from "../ui/useActing";

type Props = { words: Messages; me: Schemas["UserView"]; onChanged: () => void };

/** What is under way: a mailed code awaited, or an app's secret shown for its first code. */
type Pending = { by: "email" } | { by: "totp"; enrollment: Schemas["TotpEnrollment"] };

export function TwoStep({ words, me, onChanged }: Props) {
  const [pending, setPending] = useState<Pending | null>(null);
  const [refusal, setRefusal] = useState<string | null>(null);
  // What the last change did, said under the heading (which takes the focus: the form
  // that was pressed is gone).
  const [outcome, setOutcome] = useState<string | null>(null);
  const { busy, acting } = useActing(words);
  const heading = useFocusOn<HTMLHeadingElement>(outcome);
  const codeField = useFocusOn<HTMLInputElement>(pending);

  /** Sends a change; done, it says `said` and reads the user again. */
  async function change(send: () => Promise<{ error?: { message: string } }>, said: string) {
    if (!(await acting(send, setRefusal))) return;
    setPending(null);
    setOutcome(said);
    onChanged();
  }

  function formOf(event: Event) {
    event.preventDefault();
    return new FormData(event.currentTarget as HTMLFormElement);
  }

  async function mailCode() {
    setOutcome(null);
    if (await acting(() => api.POST("/v1/two-step/email"), setRefusal)) setPending({ by: "email" });
  }

  async function startApp(event: Event) {
    const password = String(formOf(event).get("password"));
    setOutcome(null);
    const answer = await acting(() => api.POST("/v1/two-step/totp", { body: { password } }), setRefusal);
    if (answer?.data) setPending({ by: "totp", enrollment: answer.data });
  }

  const confirm = (event: Event) => {
    const code = String(formOf(event).get("code")).trim();
    return pending?.by === "totp"
      ? change(() => api.POST("/v1/two-step/totp/confirm", { body: { code } }), words.twoStepOnTotp)
      : change(() => api.POST("/v1/two-step/email/confirm", { body: { code } }), words.twoStepOnEmail);
  };

  const turnOff = (event: Event) => {
    const form = formOf(event);
    return me.two_step === "totp"
      ? change(
          () => api.POST("/v1/two-step/totp/disable", { body: { code: String(form.get("code")).trim() } }),
          words.twoStepOff,
        )
      : change(
          () => api.POST("/v1/two-step/email/disable", { body: { password: String(form.get("password")) } }),
          words.twoStepOff,
        );
  };

  return (
    <section class="app two-step" aria-labelledby="two-step-heading">
      <h2 id="two-step-heading" ref={heading} tabIndex={-1}>
        {words.twoStep}
      </h2>
      {outcome && (
        <p role="status" class="hint">
          {outcome}
        </p>
      )}
      <p data-two-step={me.two_step}>
        {me.two_step === "email"
          ? fill(words.twoStepIsEmail, { email: me.email ?? "" })
          : me.two_step === "totp"
            ? words.twoStepIsTotp
            : words.twoStepIsNone}
      </p>

      {me.two_step === "none" && !pending && (
        <>
          <h3>{words.two_step_email}</h3>
          {me.email ? (
            <div class="buttons">
              <button type="button" disabled={busy} onClick={mailCode}>
                {fill(words.mailMeACode, { email: me.email })}
              </button>
            </div>
          ) : (
            <p class="hint">{words.twoStepNeedsEmail}</p>
          )}
          <h3>{words.two_step_totp}</h3>
          <form class="inline" onSubmit={startApp}>
            <label>
              {words.yourPassword}
              <input name="password" type="password" required autocomplete="current-password" />
            </label>
            <button type="submit" disabled={busy}>
              {words.setUpApp}
            </button>
          </form>
        </>
      )}

      {pending && (
        <form onSubmit={confirm}>
          {pending.by === "totp" ? (
            <>
              <p>{words.scanQr}</p>
              <QrCode text={pending.enrollment.uri} label={words.qrLabel} />
              <p>
                {words.orTypeSecret} <code class="secret">{grouped(pending.enrollment.secret)}</code>
              </p>
            </>
          ) : (
            <p>{words.codeHintEmail}</p>
          )}
          <label>
            {words.code}
            <input
              ref={codeField}
              name="code"
              required
              inputMode="numeric"
              pattern="[0-9]{6}"
              autocomplete="one-time-code"
            />
          </label>
          <div class="buttons">
            <button type="submit" disabled={busy}>
              {words.turnOn}
            </button>
            <button type="button" class="quiet" onClick={() => setPending(null)}>
              {words.cancel}
            </button>
          </div>
        </form>
      )}

      {me.two_step !== "none" && (
        <form class="inline" onSubmit={turnOff}>
          {me.two_step === "totp" ? (
            <label>
              {words.codeFromApp}
              <input name="code" required inputMode="numeric" pattern="[0-9]{6}" autocomplete="one-time-code" />
            </label>
          ) : (
            <label>
              {words.yourPassword}
              <input name="password" type="password" required autocomplete="current-password" />
            </label>
          )}
          <button type="submit" disabled={busy}>
            {words.turnOff}
          </button>
        </form>
      )}
      {refusal && (
        <p role="alert" class="problem">
          {refusal}
        </p>
      )}
    </section>
  );
}

/** A base32 secret in groups of four, as people type it from the screen. */
function grouped(secret: string): string {
  return secret.match(/.{1,4}/g)?.join(" ") ?? secret;
}
