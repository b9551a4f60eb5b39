// Deleting takes two presses: "Delete", then "Delete <name> for good" in its place. The
// second button takes the focus as it appears, so a keyboard user's focus is not lost
// with the first.
import { fill } from "../i18n";
import type { Messages } from "../i18n/en";
import { useFocusOn } from "./focus";

type Props = {
  words: Messages;
  /** What is deleted, as the user knows it. */
  name: string;
  /** Whether the first press was made (and the second is awaited). */
  asked: boolean;
  onAsk: () => void;
  onConfirm: () => void;
  disabled?: boolean;
};

export function ConfirmDelete({ words, name, asked, onAsk, onConfirm, disabled }: Props) {
  const confirm = useFocusOn<HTMLButtonElement>(asked || null);
  return asked ? (
    <button ref={confirm} type="button" class="danger" disabled={disabled} onClick={onConfirm}>
      {fill(words.confirmDelete, { name })}
    </button>
  ) : (
    <button
      type="button"
      class="quiet"
      disabled={disabled}
      aria-label={fill(words.deleteNamed, { name })}
      onClick={onAsk}
    >
      {words.delete}
    </button>
  );
}
