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

/** The API's limit on a logo's size (`MAX_LOGO_BYTES`). */
const MAX_LOGO_BYTES = 64 * 1024;

type Props = { words: Messages; language: Language; onChanged: () => void };

export function LogoSection({ words, language, onChanged }: Props) {
  const [reading, setReading] = useState(0);
  const logo = useLogo(reading);
  const [told, setTold] = useState<{ refusal: string | null } | null>(null);
  const { busy, acting } = useActing(words);

  async function changed(send: () => Promise<{ data?: unknown; error?: { message: string } }>) {
    const done = await acting(send, (refusal) => setTold({ refusal }));
    if (!done) return;
    setReading((n) => n + 1);
    // The header shows the new one at once.
    onChanged();
  }

  async function upload(event: Event) {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const file = (new FormData(form).get("logo") as File | null) ?? null;
    if (!file || file.size === 0) return setTold({ refusal: words.logoPick });
    if (file.size > MAX_LOGO_BYTES) {
      return setTold({
        refusal: fill(words.logoTooLarge, { size: formatBytes(file.size, language) }),
      });
    }
    const data = await base64(file);
    await changed(() => api.PUT("/v1/account/logo", { body: { data } }));
    form.reset();
  }

  return (
    <section class="app" aria-labelledby="logo-heading">
      <h2 id="logo-heading">{words.logo}</h2>
      {logo ? (
        <p>
          <img class="logo-preview" src={logo} alt={words.logoCurrent} />
        </p>
      ) : (
        <p>{words.noLogo}</p>
      )}
      <form class="inline" onSubmit={upload}>
        <label>
          {words.logoFile}
          <input name="logo" type="file" accept="image/png,image/jpeg,image/webp" aria-describedby="logo-help" />
        </label>
        <button type="submit" disabled={busy}>
          {words.uploadLogo}
        </button>
        {logo && (
          <button
            type="button"
            class="quiet"
            disabled={busy}
            onClick={() => changed(() => api.DELETE("/v1/account/logo"))}
          >
            {words.removeLogo}
          </button>
        )}
      </form>
      <p class="hint" id="logo-help">
        {words.logoHelp}
      </p>
      {told && (
        <p role={told.refusal ? "alert" : "status"} class={told.refusal ? "problem" : "hint"}>
          {told.refusal ?? words.saved}
        </p>
      )}
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
