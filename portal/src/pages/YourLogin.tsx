// The user's own login, for every role: who they are here (user, role, the e-mail address
// codes and reset links go to — an admin changes it), their password, their second step
// at login, and their Web API tokens (Pro).
import { useEffect, useState } from "preact/hooks";
import { api, type Schemas } from "../api/client";
import type { PageProps } from "../routes";
import { formatTime } from "../time";
import { Problem } from "../ui/Problem";
import { ApiTokens } from "./ApiTokens";
import { ChangePassword } from "./ChangePassword";
import { TwoStep } from "./TwoStep";

export function YourLogin({ words, language, timeZone }: PageProps) {
  const [me, setMe] = useState<Schemas["UserView"] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [reading, setReading] = useState(0);

  useEffect(() => {
    let live = true;
    api
      .GET("/v1/me")
      .then(({ data, error }) => {
        if (!live) return;
        setProblem(data ? null : (error?.message ?? words.unavailable));
        if (data) setMe(data);
      })
      .catch(() => live && setProblem(words.unavailable));
    return () => {
      live = false;
    };
  }, [reading]);

  // A failed reading again (after a change) leaves the page as it was, with the problem.
  if (!me) return problem ? <Problem text={problem} /> : <p role="status">{words.loading}</p>;
  return (
    <>
      <Problem text={problem} />
      <section class="app" aria-labelledby="who-heading">
        <h2 id="who-heading">{words.whoYouAre}</h2>
        <dl class="facts">
          <dt>{words.user}</dt>
          <dd>{me.user}</dd>
          <dt>{words.role}</dt>
          <dd>{words[`role_${me.role}`]}</dd>
          <dt>{words.email}</dt>
          <dd>{me.email ?? words.noEmail}</dd>
        </dl>
        <p class="hint">{words.emailByAdmin}</p>
      </section>
      <ChangePassword words={words} />
      <TwoStep words={words} me={me} onChanged={() => setReading((n) => n + 1)} />
      <ApiTokens words={words} time={(millis) => formatTime(millis, language, timeZone)} />
    </>
  );
}
