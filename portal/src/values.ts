// A channel's value as shown: numbers as sent (full precision), special values by name.
import type { Messages } from "./i18n/en";
import type { Schemas } from "./api/client";

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
