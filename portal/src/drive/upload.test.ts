import { describe, expect, it } from "vitest";
import { TransferFailed } from "./transfer";
import { attempts, UploadFailed } from "./upload";

const noPause = async () => {};

/** A PUT failing with each status in turn, then answering `etag`. */
function putFailing(statuses: number[], etag = '"e"') {
  let calls = 0;
  const put = async () => {
    const status = statuses[calls++];
    if (status !== undefined) throw new TransferFailed(status);
    return etag;
  };
  return { put, calls: () => calls };
}

describe("a PUT to the bucket", () => {
  it("is tried again when the network or S3 failed for the moment, three times in all", async () => {
    const passing = putFailing([0, 503]);
    expect(await attempts(passing.put, false, noPause)).toBe('"e"');
    expect(passing.calls()).toBe(3);

    const lost = putFailing([0, 0, 0, 0]);
    await expect(attempts(lost.put, false, noPause)).rejects.toEqual(new UploadFailed(undefined, 0));
    expect(lost.calls()).toBe(3);
  });

  it("is not tried again when S3 refused it", async () => {
    for (const status of [400, 403, 412]) {
      const refused = putFailing([status]);
      await expect(attempts(refused.put, true, noPause)).rejects.toMatchObject({ status });
      expect(refused.calls()).toBe(1);
    }
  });

  it("that writes once is taken as arrived when a retry finds its object there", async () => {
    const answerLost = putFailing([0, 412]);
    expect(await attempts(answerLost.put, true, noPause)).toBeNull();
    expect(answerLost.calls()).toBe(2);
    // A part may be written again: a 412 there is a refusal like any other.
    const part = putFailing([0, 412]);
    await expect(attempts(part.put, false, noPause)).rejects.toMatchObject({ status: 412 });
  });
});
