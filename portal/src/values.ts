// Values as shown: a channel's (numbers as sent, in full precision; special values by
// name), and sizes in bytes.
import type { Schemas } from "./api/client";
import type { Language } from "./i18n";
import type { Messages } from "./i18n/en";

export function formatValue(value: Schemas["Value"], words: Messages): string {
  switch (value) {
    case "+OVER":
      return words.plusOver;
    case "-OVER":
      return words.minusOver;
    case "BURNOUT":
      return words.burnout;
    case "ERROR":
      return words.error;
    default:
      return String(value);
  }
}

export function isSpecial(value: Schemas["Value"]): boolean {
  return typeof value === "string";
}

/** A size as people read it: B, KB, MB, GB, in the language's digits. */
export function formatBytes(size: number, language: Language): string {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let value = size;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${new Intl.NumberFormat(language, { maximumFractionDigits: unit === 0 ? 0 : 1 }).format(value)} ${units[unit]}`;
}
