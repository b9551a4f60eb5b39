// A page of the ways in (log in, forgotten password, reset, Trial): the name above, the
// page's title, what went wrong below, and the way back to the login; and how such a
// page sends its form — busy meanwhile, an unreachable service told as such.
import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import type { Messages } from "../i18n/en";
import { go } from "../navigation";
import { useFocusOn } from "./focus";
import { Problem } from "./Problem";

type Props = {
  words: Messages;
  title: string;
  problem: string | null;
  /** The way back to the login, on every page but the login's. */
  back?: boolean;
  /** What follows the page's form and its problem (the login's other ways in). */
  after?: ComponentChildren;
  children: ComponentChildren;
};

export function PublicPage({ words, title, problem, back = true, after, children }: Props) {
  return (
    <main class="login">
      <h1>{words.appName}</h1>
      <h2>{title}</h2>
      {children}
      <Problem text={problem} />
      {after}
      {back && (
        <p>
          <a href="/login" onClick={(event) => (event.preventDefault(), go("/login"))}>
            {words.backToLogin}
          </a>
        </p>
      )}
    </main>
  );
}

/** What a page's form did, told, and the focus put on it (its button has gone). */
export function Outcome({ text }: { text: string }) {
  const told = useFocusOn<HTMLParagraphElement>(text);
  return (
    <p role="status" tabIndex={-1} ref={told}>
      {text}
    </p>
  );
}

export function useSubmit(words: Messages) {
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  /** Sends a form's contents with `send`, which tells its own refusals by `setProblem`. */
  async function submit(event: Event, send: (form: FormData) => Promise<void>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    setBusy(true);
    setProblem(null);
    try {
      await send(form);
    } catch {
      setProblem(words.unavailable);
    } finally {
      setBusy(false);
    }
  }
  return { busy, problem, setProblem, submit };
}
