// One change at a time on an admin's list (users, teams): pressed again while one is
// under way, nothing is sent; a refusal is told in the API's words, a lost answer as the
// service being away.
import { useState } from "preact/hooks";
import type { Messages } from "../i18n/en";

export function useActing(words: Messages) {
  const [busy, setBusy] = useState(false);
  /** Sends a change; tells `tell` what refused it (null: nothing); whether it was done. */
  async function acting(
    send: () => Promise<{ error?: { message: string } }>,
    tell: (text: string | null) => void,
  ): Promise<boolean> {
    if (busy) return false;
    setBusy(true);
    try {
      const { error } = await send();
      tell(error ? error.message : null);
      return !error;
    } catch {
      tell(words.unavailable);
      return false;
    } finally {
      setBusy(false);
    }
  }
  return { busy, acting };
}
