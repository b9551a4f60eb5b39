// Reading a series. openapi-fetch types an answer through its `Readable`, which widens
// a tuple to an array: the document's `[t, value]` points would arrive as arrays of
// either. The document is the contract (the API is tested against it), so the answer
// is taken as the schema says.
import { api, type Schemas } from "./client";

type Query = { channel: string[]; from: number; to: number; buckets: number };

export async function readSeries(
  group: string,
  { channel, from, to, buckets }: Query,
  signal?: AbortSignal,
): Promise<{ series: Schemas["Series"] } | { problem: string | null }> {
  const { data, error } = await api.GET("/v1/groups/{group}/series", {
    params: { path: { group }, query: { channel, from: String(from), to: String(to), buckets } },
    signal,
  });
  if (data) return { series: data as unknown as Schemas["Series"] };
  return { problem: error?.message ?? null };
}
