import { expect, it } from "vitest";
import { limiter } from "./limiter";

it("runs tasks two at a time, in the order given, each once", async () => {
  const run = limiter(2);
  let running = 0;
  let most = 0;
  const started: number[] = [];
  const task = (n: number) => async () => {
    started.push(n);
    running++;
    most = Math.max(most, running);
    await new Promise((resolve) => setTimeout(resolve, 5 * (n % 3)));
    running--;
    return n;
  };
  const results = await Promise.all([1, 2, 3, 4, 5, 6, 7].map((n) => run(task(n))));
  expect(results).toEqual([1, 2, 3, 4, 5, 6, 7]);
  expect(started).toHaveLength(7);
  expect(started.slice(0, 2)).toEqual([1, 2]);
  expect(most).toBe(2);
});
