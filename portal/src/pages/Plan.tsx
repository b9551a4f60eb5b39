// The account's license, on its page (admins only): switching between Standard and Pro,
// the days left converted to the other plan (once a calendar month, China Standard Time:
// the API says when next), and asking the operator for a quote — a plan, a period, a
// note — which is mailed to them and answered at the contract e-mail address. License
// days are China Standard Time days, as the operator's contracts count them.
import { useEffect, useState } from "preact/hooks";
import { api, type Schemas } from "../api/client";
import { fill, type Language } from "../i18n";
import type { Messages } from "../i18n/en";
import { formatChinaDay } from "../time";
import { useFocusOn } from "../ui/focus";
import { Problem } from "../ui/Problem";
import { useActing } from "../ui/useActing";

/** The API's license periods (`PERIODS_MONTHS`) and its longest note (`MAX_NOTE_CHARS`). */
const PERIODS_MONTHS = [1, 3, 12] as const;
const MAX_NOTE_CHARS = 1_000;
const SOLD: readonly Schemas["Plan"][] = ["standard", "pro"];

type Props = { words: Messages; language: Language; onChanged: () => void };

export function PlanSection({ words, language, onChanged }: Props) {
  const [plan, setPlan] = useState<Schemas["PlanView"] | null>(null);
  const [changed, setChanged] = useState<Schemas["PlanChanged"] | null>(null);
  const [asking, setAsking] = useState(false);
  const [cancels, setCancels] = useState(0);
  const [quoted, setQuoted] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const { busy, acting } = useActing(words);
  const [reading, setReading] = useState(0);
  const changeTold = useFocusOn<HTMLParagraphElement>(changed);
  const quoteTold = useFocusOn<HTMLParagraphElement>(quoted || null);
  // Asked to confirm, the focus goes to Cancel, which takes the switch button's place: a
  // double press of the switch cancels rather than confirms.
  const cancel = useFocusOn<HTMLButtonElement>(asking || null);
  const switchButton = useFocusOn<HTMLButtonElement>(cancels || null);
  const day = (when: number | string) => licenseDay(when, language, words);
  const months = new Intl.NumberFormat(language, { style: "unit", unit: "month", unitDisplay: "long" });
  const days = new Intl.NumberFormat(language, { style: "unit", unit: "day", unitDisplay: "long" });

  useEffect(() => {
    api
      .GET("/v1/account/plan")
      .then(({ data, error }) => (data ? setPlan(data) : setProblem(error?.message ?? words.unavailable)))
      .catch(() => setProblem(words.unavailable));
  }, [reading]);

  async function send<T>(call: () => Promise<{ data?: T; error?: { message: string } }>): Promise<T | undefined> {
    return (await acting(call, setProblem))?.data;
  }

  async function switchTo(to: Schemas["Plan"]) {
    setAsking(false);
    const done = await send(() => api.POST("/v1/account/plan", { body: { plan: to } }));
    if (!done) return;
    setChanged(done);
    setReading((n) => n + 1);
    onChanged();
  }

  async function quote(event: Event) {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    const note = String(form.get("note") ?? "").trim();
    const done = await send(() =>
      api.POST("/v1/account/quote", {
        body: { plan: String(form.get("plan")), months: Number(form.get("months")), note: note || null },
      }),
    );
    if (done) setQuoted(true);
  }

  if (!plan) return <Problem text={problem} />;
  // Only a license's days can be converted: an account without one buys its first.
  const other =
    plan.license_expires == null ? null : plan.plan === "standard" ? "pro" : plan.plan === "pro" ? "standard" : null;
  return (
    <section aria-labelledby="license-heading" class="app">
      <h2 id="license-heading">{words.license}</h2>
      {changed && (
        <p role="status" tabIndex={-1} ref={changeTold}>
          {fill(words.planChanged, {
            to: words[`plan_${changed.to}`],
            converted: changed.days_converted,
            left: changed.days_left,
            from: words[`plan_${changed.from}`],
            until: day(changed.license_expires),
          })}
          {changed.days_dropped > 0 && ` ${fill(words.daysDropped, { days: days.format(changed.days_dropped) })}`}
        </p>
      )}
      {other &&
        (plan.next_change_allowed ? (
          <p class="hint">{fill(words.nextPlanChange, { day: day(plan.next_change_allowed) })}</p>
        ) : asking ? (
          <>
            <p id="plan-rules">{words.planChangeRules}</p>
            <div class="buttons">
              <button
                type="button"
                class="quiet"
                ref={cancel}
                onClick={() => {
                  setAsking(false);
                  setCancels((n) => n + 1);
                }}
              >
                {words.cancel}
              </button>
              <button
                type="button"
                class="danger"
                disabled={busy}
                aria-describedby="plan-rules"
                onClick={() => switchTo(other)}
              >
                {fill(words.confirmPlanChange, { plan: words[`plan_${other}`] })}
              </button>
            </div>
          </>
        ) : (
          <button type="button" class="quiet" ref={switchButton} onClick={() => setAsking(true)}>
            {fill(words.switchPlan, { plan: words[`plan_${other}`] })}
          </button>
        ))}
      {quoted ? (
        <p role="status" tabIndex={-1} ref={quoteTold}>
          {words.quoteSent}
        </p>
      ) : (
        <form class="quote" onSubmit={quote} aria-labelledby="quote-heading">
          <h3 id="quote-heading">{words.askQuote}</h3>
          <label>
            {words.plan}
            <select name="plan">
              {SOLD.map((sold) => (
                <option key={sold} value={sold} selected={sold === (plan.plan === "pro" ? "pro" : "standard")}>
                  {words[`plan_${sold}`]}
                </option>
              ))}
            </select>
          </label>
          <label>
            {words.period}
            <select name="months">
              {PERIODS_MONTHS.map((period) => (
                <option key={period} value={period} selected={period === 12}>
                  {months.format(period)}
                </option>
              ))}
            </select>
          </label>
          <label>
            {words.quoteNote}
            <textarea name="note" rows={3} maxLength={MAX_NOTE_CHARS} />
          </label>
          <button type="submit" disabled={busy}>
            {words.sendQuote}
          </button>
        </form>
      )}
      <Problem text={problem} />
    </section>
  );
}

/** A license's day as the page says it: the date, and that it is China Standard Time's. */
export function licenseDay(when: number | string, language: Language, words: Messages): string {
  return `${formatChinaDay(when, language)} ${words.chinaTime}`;
}
