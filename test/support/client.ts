// An OpenG2P client for the tests that talk to real processes over HTTP (fetch keeps connections alive).

export interface IssueAnswer {
  status: number;
  /** The ID on a 200. */
  id?: string;
  /** The error code otherwise (IDG-001, IDG-002, ...). */
  errorCode?: string;
}

/** POST /v1/idgenerator/{type}/id on the service at `baseUrl`. Network errors throw (a dead pod). */
export async function issueId(baseUrl: string, type: string): Promise<IssueAnswer> {
  const res = await fetch(`${baseUrl}/v1/idgenerator/${type}/id`, { method: "POST" });
  const body = (await res.json()) as { response: { id: string } | null; errors: { errorCode: string }[] };
  if (res.status === 200) return { status: 200, id: body.response!.id };
  return { status: res.status, errorCode: body.errors[0]?.errorCode };
}
