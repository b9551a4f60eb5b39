// The account's logo (admins; every plan but Trial): shown at the left of every page's
// header, for everyone in the account. A PNG, JPEG or WebP image of at most 64 KiB, its
// type read by the API from the bytes; a larger one is refused here before it is sent.
import { useState } from "preact/hooks";
import { api } from "../api/client";
import { fill } from "../i18n";
import type { Language } from "../i18n";
import type { Messages } from "../i18n/en";
import { formatBytes } from "../values";
import { useActing } from "../ui/useActing";
import { useLogo } from "../logo";
import { useFocusOn } from "../ui/focus";

/** The API's limit on a logo's size (`MAX_LOGO_BYTES`). */
const MAX_LOGO_BYTES = 64 * 1024;

type Props = {
  words: Messages;
  language: Language;
  /** Whether the plan has an own logo (Trial has not: the form is not offered). */
  allowed: boolean;
  onChanged: () => void;
};

export function LogoSection({ words, language, allowed, onChanged }: Props) {
  const [reading, setReading] = useState(0);
  const logo = useLogo(reading);
  const [refusal, setRefusal] = useState<string | null>(null);
  // Always in the page, its text changed: a live region added with its text may go unread.
  const [done, setDone] = useState("");
  const { busy, acting } = useActing(words);
  // The remove button goes with the logo: the focus goes to the section's heading.
  const [removals, setRemovals] = useState(0);
  const heading = useFocusOn<HTMLHeadingElement>(removals || null);
  const max = formatBytes(MAX_LOGO_BYTES, language);

  /** Sends a change; done, says `said`, reads the logo again and tells the header. */
  async function changed(send: () => Promise<{ data?: unknown; error?: { message: string } }>, said: string) {
    setDone("");
    if (!(await acting(send, setRefusal))) return false;
    setDone(said);
    setReading((n) => n + 1);
    onChanged();
    return true;
  }

  async function remove() {
    if (await changed(() => api.DELETE("/v1/account/logo"), words.logoRemoved)) setRemovals((n) => n + 1);
  }

  async function upload(event: Event) {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const file = (new FormData(form).get("logo") as File | null) ?? null;
    setDone("");
    if (!file || file.size === 0) return setRefusal(words.logoPick);
    if (file.size > MAX_LOGO_BYTES) {
      return setRefusal(fill(words.logoTooLarge, { size: formatBytes(file.size, language), max }));
    }
    const data = await base64(file).catch(() => null);
    if (data === null) return setRefusal(words.logoUnreadable);
    // A refused file stays chosen, to be seen for what it is.
    if (await changed(() => api.PUT("/v1/account/logo", { body: { data } }), words.saved)) form.reset();
  }

  return (
    <section class="app" aria-labelledby="logo-heading">
      <h2 id="logo-heading" ref={heading} tabIndex={-1}>
        {words.logo}
      </h2>
      {logo ? (
        <p>
          <img class="logo-preview" src={logo} alt={words.logoCurrent} />
        </p>
      ) : (
        <p>{words.noLogo}</p>
      )}
      {allowed ? (
        <form class="inline" onSubmit={upload}>
          <label>
            {words.logoFile}
            <input
              name="logo"
              type="file"
              accept="image/png,image/jpeg,image/webp"
              aria-invalid={refusal ? true : undefined}
              aria-describedby={refusal ? "logo-refusal logo-help" : "logo-help"}
            />
          </label>
          <button type="submit" disabled={busy}>
            {words.uploadLogo}
          </button>
          {logo && (
            <button type="button" class="quiet" disabled={busy} onClick={remove}>
              {words.removeLogo}
            </button>
          )}
        </form>
      ) : (
        <p class="hint">{words.logoNotInTrial}</p>
      )}
      {allowed && (
        <p class="hint" id="logo-help">
          {fill(words.logoHelp, { max })}
        </p>
      )}
      {refusal && (
        <p role="alert" class="problem" id="logo-refusal">
          {refusal}
        </p>
      )}
      <p role="status" class="hint">
        {done}
      </p>
    </section>
  );
}

/** A file's bytes in base64, as the API takes an image. */
function base64(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    // A data URL is `data:<type>;base64,<bytes>`: the part after the comma.
    reader.onload = () => resolve(String(reader.result).slice(String(reader.result).indexOf(",") + 1));
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
}
