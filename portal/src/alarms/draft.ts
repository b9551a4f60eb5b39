// An alarm's rule as its editor holds it (text fields as typed), and the rule the API
// takes made from it, and back: one place that knows both shapes.
import type { Schemas } from "../api/client";

export type Compare = Schemas["Limit"]["compare"];
export const COMPARES: readonly Compare[] = [
  "above",
  "at_or_above",
  "at_or_below",
  "below",
  "outside_including",
  "outside_excluding",
];

/** A limit as typed: `value` for one threshold, `low` and `high` for a band. */
export type LimitDraft = { compare: Compare; value: string; low: string; high: string };
export type ConditionDraft = { channel: string; raise: LimitDraft; hysteresis: boolean; clear: LimitDraft };
export type Draft = {
  name: string;
  conditions: ConditionDraft[];
  join: Schemas["Join"];
  windowed: boolean;
  windowFrom: string;
  windowTo: string;
  holdSeconds: string;
  recovery: boolean;
  specialValues: boolean;
};

export const isBand = (compare: Compare) => compare === "outside_including" || compare === "outside_excluding";

const emptyLimit = (): LimitDraft => ({ compare: "above", value: "", low: "", high: "" });

export function newCondition(channel: string): ConditionDraft {
  return { channel, raise: emptyLimit(), hysteresis: false, clear: emptyLimit() };
}

export function newDraft(channel: string): Draft {
  return {
    name: "",
    conditions: [newCondition(channel)],
    join: "and",
    windowed: false,
    windowFrom: "08:00",
    windowTo: "18:00",
    holdSeconds: "0",
    recovery: true,
    specialValues: false,
  };
}

const number = (text: string) => (text.trim() === "" ? Number.NaN : Number(text));

/** A field of the draft that needs a number and has none. */
export type Missing = { condition: number; field: "value" | "low" | "high"; clearing: boolean } | { field: "hold" };

/**
 * The first field that needs a number and has none (left blank or mistyped), if any: JSON
 * would carry it as null, which the API refuses without naming the field as a person
 * sees it.
 */
export function missingNumber(draft: Draft): Missing | null {
  for (const [condition, drafted] of draft.conditions.entries()) {
    const clear = { ...drafted.clear, compare: drafted.raise.compare };
    const limits = drafted.hysteresis ? [drafted.raise, clear] : [drafted.raise];
    for (const [index, limit] of limits.entries()) {
      const fields = isBand(limit.compare) ? (["low", "high"] as const) : (["value"] as const);
      for (const field of fields) {
        if (Number.isNaN(number(limit[field]))) return { condition, field, clearing: index === 1 };
      }
    }
  }
  return Number.isNaN(number(draft.holdSeconds)) ? { field: "hold" } : null;
}

function limit(draft: LimitDraft): Schemas["Limit"] {
  return isBand(draft.compare)
    ? { compare: draft.compare as "outside_including", low: number(draft.low), high: number(draft.high) }
    : { compare: draft.compare as "above", value: number(draft.value) };
}

export function ruleOf(draft: Draft): Schemas["RuleInput"] {
  return {
    conditions: draft.conditions.map((condition) => ({
      channel: condition.channel,
      raise: limit(condition.raise),
      // The clearing limit compares as the raising one does: the API takes no other.
      ...(condition.hysteresis ? { clear: limit({ ...condition.clear, compare: condition.raise.compare }) } : {}),
    })),
    join: draft.join,
    ...(draft.windowed ? { window: { from: draft.windowFrom, to: draft.windowTo } } : {}),
    hold_millis: Math.round(number(draft.holdSeconds) * 1000),
    recovery: draft.recovery,
    special_values: draft.specialValues,
  };
}

function limitDraft(limit: Schemas["Limit"]): LimitDraft {
  return "value" in limit
    ? { compare: limit.compare, value: String(limit.value), low: "", high: "" }
    : { compare: limit.compare, value: "", low: String(limit.low), high: String(limit.high) };
}

export function draftOf(alarm: Schemas["AlarmView"]): Draft {
  const rule = alarm.rule;
  return {
    name: alarm.name,
    conditions: rule.conditions.map((condition) => ({
      channel: condition.channel,
      raise: limitDraft(condition.raise),
      hysteresis: condition.clear != null,
      clear: condition.clear ? limitDraft(condition.clear) : emptyLimit(),
    })),
    join: rule.join,
    windowed: rule.window != null,
    windowFrom: rule.window?.from ?? "08:00",
    windowTo: rule.window?.to ?? "18:00",
    holdSeconds: String(rule.hold_millis / 1000),
    recovery: rule.recovery,
    specialValues: rule.special_values,
  };
}
