/** GraphQL over HTTP as a client sees it: the status, the headers and the body, nothing interpreted. */

export interface GraphQLErrorBody {
  message: string;
  path?: (string | number)[];
  extensions?: Record<string, unknown>;
}

export interface GraphQLAnswer<TData = Record<string, unknown>> {
  status: number;
  headers: Headers;
  data?: TData | null;
  errors?: GraphQLErrorBody[];
}

export async function postGraphQL<TData = Record<string, unknown>>(
  url: string,
  request: { query: string; variables?: Record<string, unknown> },
  headers: Record<string, string> = {},
): Promise<GraphQLAnswer<TData>> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(request),
  });
  const text = await response.text();
  let body: { data?: TData | null; errors?: GraphQLErrorBody[] };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    throw new Error(`${url} answered HTTP ${response.status} with a body that is not JSON: ${text.slice(0, 500)}`);
  }
  return { status: response.status, headers: response.headers, ...body };
}

/** The codes of an answer's errors, for assertions that read like the contract. */
export function errorCodesOf(answer: GraphQLAnswer<unknown>): unknown[] {
  return (answer.errors ?? []).map((error) => error.extensions?.code);
}
