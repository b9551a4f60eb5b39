// A list read a page at a time (the inbox, the drive, the audit log): its first page read
// afresh whenever what it lists changes, and "Show more" appending the next page only to
// the list it continues — a page asked for before a change is dropped.
import { useEffect, useRef, useState } from "preact/hooks";

export type Page<T> = { items: T[]; next: string | null };

export function usePages<P extends Page<unknown>>(
  read: (cursor: string | null) => Promise<P>,
  changes: unknown[],
  onFirst?: (page: P) => void,
) {
  const [items, setItems] = useState<P["items"] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  // Which reading of the first page the list shows.
  const shown = useRef(0);

  useEffect(() => {
    let live = true;
    shown.current += 1;
    setItems(null);
    setNext(null);
    read(null)
      .then((page) => {
        if (!live) return;
        setItems(page.items);
        setNext(page.next);
        setProblem(null);
        onFirst?.(page);
      })
      .catch((failure: Error) => live && setProblem(failure.message));
    return () => {
      live = false;
    };
  }, changes);

  async function more() {
    if (busy) return;
    const asked = shown.current;
    setBusy(true);
    try {
      const page = await read(next);
      if (asked !== shown.current) return;
      setItems((present) => [...(present ?? []), ...page.items]);
      setNext(page.next);
    } catch (failure) {
      setProblem((failure as Error).message);
    } finally {
      setBusy(false);
    }
  }

  return { items, setItems, next, more, busy, problem, setProblem };
}
