// The user's second step at login (SPEC.md 9: none, a code by e-mail, or an authenticator
// app), turned on and off by the user themselves. Each way proves itself before it
// counts: a mailed code comes back, or the app's first code matches. Turning one off
// takes a new mailed code and the password (e-mail) or a current code (app), so a session
// left open is not enough; an admin turns it off for a user who lost their app (Users).
import { useState } from "preact/hooks";
import { api, type Schemas } from "../api/client";
import { fill } from "../i18n";
import type { Messages } from "../i18n/en";
import { useFocusOn } from "../ui/focus";
import { QrCode } from "../ui/QrCode";
import { useActing } from "../ui/useActing";

type Props = { words: Messages; me: Schemas["UserView"]; onChanged: () => void };

/** What is under way: a mailed code awaited (to turn the e-mail step on or off), or an
 * app's secret shown for its first code. */
type Pending = { by: "email" } | { by: "totp"; enrollment: Schemas["TotpEnrollment"] };

export function TwoStep({ words, me, onChanged }: Props) {
  const [pending, setPending] = useState<Pending | null>(null);
  const [refusal, setRefusal] = useState<string | null>(null);
  // What the last change did; it takes the focus (the form that was pressed is gone), so
  // it is read out too.
  const [outcome, setOutcome] = useState<string | null>(null);
  // Bumped when a form goes away unused (Cancel): the focus goes back to the heading.
  const [cancels, setCancels] = useState(0);
  const { busy, acting } = useActing(words);
  const told = useFocusOn<HTMLParagraphElement>(outcome);
  const heading = useFocusOn<HTMLHeadingElement>(cancels || null);
  const codeField = useFocusOn<HTMLInputElement>(pending);
  const on = me.two_step !== "none";
  // A refusal is about the password when it says so, else about the code.
  const passwordRefused = refusal?.startsWith("the password is wrong") ?? false;
  const refusedHere = { "aria-invalid": true, "aria-describedby": "two-step-refusal" } as const;

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

  function cancel() {
    setPending(null);
    setRefusal(null);
    setCancels((n) => n + 1);
  }

  const confirm = (event: Event) => {
    const code = String(formOf(event).get("code")).trim();
    return pending?.by === "totp"
      ? change(() => api.POST("/v1/two-step/totp/confirm", { body: { code } }), words.twoStepOnTotp)
      : change(() => api.POST("/v1/two-step/email/confirm", { body: { code } }), words.twoStepOnEmail);
  };

  const turnOff = (event: Event) => {
    const form = formOf(event);
    const code = String(form.get("code")).trim();
    return me.two_step === "totp"
      ? change(() => api.POST("/v1/two-step/totp/disable", { body: { code } }), words.twoStepOff)
      : change(
          () =>
            api.POST("/v1/two-step/email/disable", { body: { code, password: String(form.get("password")) } }),
          words.twoStepOff,
        );
  };

  const passwordInput = (
    <label>
      {words.yourPassword}
      <input
        name="password"
        type="password"
        required
        autocomplete="current-password"
        {...(passwordRefused ? refusedHere : {})}
      />
    </label>
  );

  const codeInput = (label: string, focused: boolean) => (
    <label>
      {label}
      <input
        ref={focused ? codeField : undefined}
        name="code"
        required
        inputMode="numeric"
        pattern="[0-9]{6}"
        autocomplete="one-time-code"
        {...(refusal && !passwordRefused ? refusedHere : {})}
      />
    </label>
  );

  const sendOrCancel = (send: string) => (
    <div class="buttons">
      <button type="submit" disabled={busy}>
        {send}
      </button>
      <button type="button" class="quiet" onClick={cancel}>
        {words.cancel}
      </button>
    </div>
  );

  return (
    <section class="app two-step" aria-labelledby="two-step-heading">
      <h2 id="two-step-heading" ref={heading} tabIndex={-1}>
        {words.twoStep}
      </h2>
      {outcome && (
        <p role="status" class="hint" tabIndex={-1} ref={told}>
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

      {!on && !pending && (
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
            {passwordInput}
            <button type="submit" disabled={busy}>
              {words.setUpApp}
            </button>
          </form>
        </>
      )}

      {!on && pending && (
        <form onSubmit={confirm}>
          {pending.by === "totp" ? (
            <>
              <p>{words.scanQr}</p>
              <QrCode text={pending.enrollment.uri} label={words.qrLabel} />
              <p>
                {words.orTypeSecret} <SecretKey secret={pending.enrollment.secret} />
              </p>
            </>
          ) : (
            <p>{words.codeHintEmail}</p>
          )}
          {codeInput(words.code, true)}
          {sendOrCancel(words.turnOn)}
        </form>
      )}

      {me.two_step === "email" &&
        (pending ? (
          <form onSubmit={turnOff}>
            <p>{words.codeHintEmail}</p>
            {codeInput(words.code, true)}
            {passwordInput}
            {sendOrCancel(words.turnOff)}
          </form>
        ) : (
          <div class="buttons">
            <button type="button" disabled={busy} onClick={mailCode}>
              {fill(words.mailCodeToTurnOff, { email: me.email ?? "" })}
            </button>
          </div>
        ))}

      {me.two_step === "totp" && (
        <>
          <form class="inline" onSubmit={turnOff}>
            {codeInput(words.codeFromApp, false)}
            <button type="submit" disabled={busy}>
              {words.turnOff}
            </button>
          </form>
          <p class="hint">{words.lostApp}</p>
        </>
      )}
      {refusal && (
        <p role="alert" class="problem" id="two-step-refusal">
          {refusal}
        </p>
      )}
    </section>
  );
}

/** A base32 secret in groups of four, as people type it from the screen; the groups are
 * spaced by style alone, so a copy of it is the secret itself. */
function SecretKey({ secret }: { secret: string }) {
  return (
    <code class="secret">
      {(secret.match(/.{1,4}/g) ?? [secret]).map((group, index) => (
        <span key={index}>{group}</span>
      ))}
    </code>
  );
}
