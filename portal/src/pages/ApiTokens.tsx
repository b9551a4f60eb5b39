// Web API tokens (Pro): a user's long-lived secrets for programs, on the user's own
// login page. Issued with the password asked again, the secret shown once, revoked at
// once; an admin sees and revokes every user's.
import { useEffect, useRef, useState } from "preact/hooks";
import { api, type Schemas } from "../api/client";
import { fill } from "../i18n";
import type { Messages } from "../i18n/en";
import { Problem } from "../ui/Problem";
import { useActing } from "../ui/useActing";
import { useFocusOn } from "../ui/focus";

export function ApiTokens({ words, time }: { words: Messages; time: (millis: number) => string }) {
  const [tokens, setTokens] = useState<Schemas["ApiTokenView"][] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [issued, setIssued] = useState<Schemas["IssuedApiToken"] | null>(null);
  const [reading, setReading] = useState(0);
  const { busy, acting } = useActing(words);
  const secret = useRef<HTMLDivElement>(null);
  // The secret's box takes the focus when it appears (not a live region: a screen reader
  // would read the secret out unasked).
  useEffect(() => {
    if (issued) secret.current?.focus();
  }, [issued]);

  // A revoked token's button goes with it: the focus goes to the section's heading.
  const [revocations, setRevocations] = useState(0);
  const heading = useFocusOn<HTMLHeadingElement>(revocations || null);

  useEffect(() => {
    let live = true;
    api
      .GET("/v1/api-tokens")
      .then(({ data, error }) => {
        if (!live) return;
        setProblem(data ? null : (error?.message ?? words.unavailable));
        if (data) setTokens(data.api_tokens);
      })
      .catch(() => live && setProblem(words.unavailable));
    return () => {
      live = false;
    };
  }, [reading]);

  async function issue(event: Event) {
    event.preventDefault();
    const formElement = event.currentTarget as HTMLFormElement;
    const form = new FormData(formElement);
    const days = String(form.get("days")).trim();
    // Two presses would issue two live tokens, the first one's secret never shown: one
    // at a time.
    const answer = await acting(
      () =>
        api.POST("/v1/api-tokens", {
          body: {
            name: String(form.get("name")).trim(),
            password: String(form.get("password")),
            expires_in_days: days === "" ? null : Number(days),
          },
        }),
      setProblem,
    );
    if (!answer?.data) return;
    setIssued(answer.data);
    formElement.reset();
    setReading((n) => n + 1);
  }

  async function revoke(id: string) {
    const done = await acting(
      () => api.DELETE("/v1/api-tokens/{token}", { params: { path: { token: id } } }),
      setProblem,
    );
    if (!done) return;
    if (issued?.id === id) setIssued(null);
    setReading((n) => n + 1);
    setRevocations((n) => n + 1);
  }

  return (
    <section class="app" aria-labelledby="tokens-heading">
      <h2 id="tokens-heading" ref={heading} tabIndex={-1}>
        {words.apiTokens}
      </h2>
      <p class="hint">{words.tokensHelp}</p>
      <Problem text={problem} />
      {issued && (
        <div class="issued" ref={secret} tabIndex={-1} aria-label={words.tokenIssued}>
          <p>{words.tokenShownOnce}</p>
          <code>{issued.token}</code>{" "}
          <button type="button" class="quiet" onClick={() => setIssued(null)}>
            {words.done}
          </button>
        </div>
      )}
      {tokens?.length === 0 && <p>{words.noTokens}</p>}
      {tokens && tokens.length > 0 && (
        <ul class="grants">
          {tokens.map((token) => (
            <li key={token.id}>
              {`${token.name} (${token.user}) · ${
                token.expires == null ? words.neverExpires : fill(words.expires, { time: time(token.expires) })
              } `}
              <button type="button" class="quiet" onClick={() => revoke(token.id)}>
                {fill(words.revokeNamed, { name: token.name })}
              </button>
            </li>
          ))}
        </ul>
      )}
      <form class="inline" onSubmit={issue}>
        <label>
          {words.name}
          <input name="name" required autocomplete="off" />
        </label>
        <label>
          {words.expiresInDays}
          <input name="days" type="number" min={1} max={3650} />
        </label>
        <label>
          {words.yourPassword}
          <input name="password" type="password" required autocomplete="current-password" />
        </label>
        <button type="submit" disabled={busy}>
          {words.issueToken}
        </button>
      </form>
    </section>
  );
}
