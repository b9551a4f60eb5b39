import { describe, expect, test } from "vitest";
import type { Schemas } from "../api/client";
import { draftOf, missingNumber, newCondition, newDraft, ruleOf } from "./draft";

describe("an alarm's draft and its rule", () => {
  test("a rule read into the editor and sent back is the same rule", () => {
    const rule: Schemas["Rule"] = {
      conditions: [
        {
          channel: "gw-a/LR-1/CH1",
          raise: { compare: "above", value: 30 },
          clear: { compare: "above", value: 28 },
        },
        { channel: "calc:abc", raise: { compare: "outside_excluding", low: -5, high: 5 } },
      ],
      join: "or",
      window: { from: "22:00", to: "06:00" },
      hold_millis: 90_000,
      recovery: false,
      special_values: true,
    };
    const alarm: Schemas["AlarmView"] = { id: "a1", name: "Hot", enabled: true, rule, version: 3 };
    expect(ruleOf(draftOf(alarm))).toEqual(rule);
  });

  test("a clearing limit is sent comparing as its raising one, whatever the draft held", () => {
    const draft = newDraft("a");
    draft.conditions[0].raise = { compare: "below", value: "5", low: "", high: "" };
    draft.conditions[0].hysteresis = true;
    draft.conditions[0].clear = { compare: "above", value: "7", low: "", high: "" };
    expect(ruleOf(draft).conditions[0].clear).toEqual({ compare: "below", value: 7 });
  });

  test("a new draft without a window or a clearing limit sends neither", () => {
    const draft = newDraft("gw-a/LR-1/CH1");
    draft.conditions[0].raise.value = "12.5";
    const rule = ruleOf(draft);
    expect(rule.window).toBeUndefined();
    expect(rule.conditions[0]).toEqual({ channel: "gw-a/LR-1/CH1", raise: { compare: "above", value: 12.5 } });
    expect(rule.hold_millis).toBe(0);
  });

  test("the first number missing is named, its condition and limit with it", () => {
    const draft = newDraft("a");
    expect(missingNumber(draft)).toEqual({ condition: 0, field: "value", clearing: false });
    draft.conditions[0].raise.value = "1";
    expect(missingNumber(draft)).toBeNull();
    draft.conditions.push(newCondition("b"));
    draft.conditions[1].raise = { compare: "outside_including", value: "", low: "0", high: "x" };
    expect(missingNumber(draft)).toEqual({ condition: 1, field: "high", clearing: false });
    draft.conditions[1].raise.high = "9";
    draft.conditions[1].hysteresis = true;
    // The clearing limit compares as the raising one does: a band, so its low comes first.
    expect(missingNumber(draft)).toEqual({ condition: 1, field: "low", clearing: true });
    draft.conditions[1].hysteresis = false;
    draft.holdSeconds = " ";
    expect(missingNumber(draft)).toEqual({ field: "hold" });
  });
});
