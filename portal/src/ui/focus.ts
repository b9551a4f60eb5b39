// Focus for what appears in answer to a press (an editor, a form), so that a keyboard or
// screen reader user is taken to it, not left on a button that went away.
import { useEffect, useRef } from "preact/hooks";

/** A ref whose element takes the focus whenever `key` changes to something (not null). */
export function useFocusOn<T extends HTMLElement>(key: unknown) {
  const element = useRef<T>(null);
  useEffect(() => {
    if (key !== null && key !== undefined) element.current?.focus();
  }, [key]);
  return element;
}
