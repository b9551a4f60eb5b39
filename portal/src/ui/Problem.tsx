// What went wrong, told at once to screen readers (an alert), or nothing when all is well.
export function Problem({ text }: { text: string | null | undefined }) {
  if (!text) return null;
  return (
    <p role="alert" class="problem">
      {text}
    </p>
  );
}
