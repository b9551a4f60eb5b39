// The portal's languages (the account's setting; before login, the browser's) and the
// words of the one in use.
import { de } from "./de";
import { en, type Messages } from "./en";
import { es } from "./es";
import { fr } from "./fr";
import { it } from "./it";
import { ja } from "./ja";
import { zhCN } from "./zh-CN";

export const LANGUAGES = { "zh-CN": zhCN, ja, en, es, fr, de, it } as const;
export type Language = keyof typeof LANGUAGES;

/** Each language named in itself, as a person looking for theirs reads it. */
export const LANGUAGE_NAMES: Record<Language, string> = {
  "zh-CN": "简体中文",
  ja: "日本語",
  en: "English",
  es: "Español",
  fr: "Français",
  de: "Deutsch",
  it: "Italiano",
};

function isLanguage(tag: string): tag is Language {
  return Object.hasOwn(LANGUAGES, tag);
}

/** The browser's first language the portal speaks, by full tag then by its first part. */
export function browserLanguage(preferred: readonly string[] = navigator.languages): Language {
  for (const tag of preferred) {
    if (isLanguage(tag)) return tag;
    const base = tag.split("-")[0];
    if (base === "zh") return "zh-CN";
    if (isLanguage(base)) return base;
  }
  return "en";
}

export function messages(language: Language): Messages {
  return LANGUAGES[language];
}

/** A message with its `{name}` fields filled in; a field not given stays as written. */
export function fill(text: string, fields: Record<string, string | number>): string {
  return text.replace(/\{(\w+)\}/g, (whole, name: string) =>
    Object.hasOwn(fields, name) ? String(fields[name]) : whole,
  );
}
