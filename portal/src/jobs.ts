// The cloud's data jobs (exports and imports), as a page follows one: a queued or running
// job is asked again until it ends (or the page moves on), first after a second, then
// less often up to every ten seconds; a question that goes unanswered is asked again
// later.
import { useEffect } from "preact/hooks";
import type { Schemas } from "./api/client";
import type { Signed } from "./drive/transfer";

/**
 * A job as the API describes it. Written out here: the generated type loses the `state`
 * of the finished variant (a `$ref` with properties beside it, which openapi-typescript
 * reads as the `$ref` alone), and openapi-fetch widens the signed download's pairs.
 */
export type Job = { id: string; updated: number; download?: Signed | null; expired?: boolean } & (
  | { state: "queued" }
  | { state: "running"; percent: number }
  | ({ state: "done" } & Schemas["JobOutcome"])
  | { state: "failed"; reason: string }
);
export const asJob = (answer: unknown) => answer as Job;

const FIRST_POLL_MS = 1_000;
const LONGEST_POLL_MS = 10_000;

/** Whether `job` may still change. */
export function underWay(job: Job | null): boolean {
  return job !== null && (job.state === "queued" || job.state === "running");
}

/** Follows `job` while it is under way: `read` asks the API for it, `onChange` gets each
 * new state. */
export function useJobPolling(job: Job | null, read: (id: string) => Promise<Job | null>, onChange: (job: Job) => void) {
  useEffect(() => {
    if (!job || !underWay(job)) return;
    let live = true;
    let pause = FIRST_POLL_MS;
    let timer = 0;
    const ask = async () => {
      const data = await read(job.id).catch(() => null);
      if (!live) return;
      if (data && data.updated !== job.updated) return onChange(data);
      pause = Math.min(LONGEST_POLL_MS, pause * 2);
      timer = window.setTimeout(ask, pause);
    };
    timer = window.setTimeout(ask, pause);
    return () => {
      live = false;
      window.clearTimeout(timer);
    };
  }, [job]);
}
