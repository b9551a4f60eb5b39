// Times as the account reads them: in its time zone and language.
import type { Language } from "./i18n";

export function formatTime(millis: number, language: Language, timeZone: string): string {
  return new Intl.DateTimeFormat(language, {
    timeZone,
    dateStyle: "short",
    timeStyle: "medium",
  }).format(new Date(millis));
}
