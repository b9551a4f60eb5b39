// One change at a time (on an admin's list, on the user's own login): pressed again while
// one is under way, nothing is sent; a refusal is told in the API's words, a lost answer
// as the service being away.
import { useRef, useState } from "preact/hooks";
import type { Messages } from "../i18n/en";

export function useActing(words: Messages) {
  const [busy, setBusy] = useState(false);
  // Read by a second press before the first one's render: `busy` would still be false.
  const underWay = useRef(false);
  /** Sends a change; tells `tell` what refused it (null: nothing); the answer's data when
   * it was done (wrapped: some answers have none), `undefined` when not. */
  async function acting<T>(
    send: () => Promise<{ data?: T; error?: { message: string } }>,
    tell: (text: string | null) => void,
  ): Promise<{ data: T | undefined } | undefined> {
    if (underWay.current) return undefined;
    underWay.current = true;
    setBusy(true);
    try {
      const { data, error } = await send();
      tell(error ? error.message : null);
      return error ? undefined : { data };
    } catch {
      tell(words.unavailable);
      return undefined;
    } finally {
      underWay.current = false;
      setBusy(false);
    }
  }
  return { busy, acting };
}
