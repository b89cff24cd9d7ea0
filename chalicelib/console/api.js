// The public JSON API, called with the signed-in role's token. The console lives at
// <stage>/console/ and the API at <stage>/v1/..., so paths resolve against the page's parent.
import { token } from "./session.js";

export class ApiError extends Error {
  constructor(status, code, message, fields = []) {
    super(message);
    Object.assign(this, { status, code, fields });
  }
}

function url(path, params = {}) {
  const target = new URL(`..${path}`, document.baseURI);
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") target.searchParams.set(name, value);
  }
  return target;
}

export async function call(path, { method = "GET", params, body, headers: extra = {} } = {}) {
  const headers = { Authorization: `Bearer ${token()}`, Accept: "application/json", ...extra };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(url(path, params), {
    method, headers, cache: "no-store", body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw await errorOf(response);
  return response;
}

export async function getJson(path, params, headers) {
  return (await call(path, { params, headers })).json();
}

export async function postJson(path, body) {
  return (await call(path, { method: "POST", body })).json();
}

// The API's one error shape: {"error": {"code", "message", "fields"?}}.
async function errorOf(response) {
  let error = {};
  try {
    ({ error = {} } = await response.json());
  } catch {
    // not JSON: keep the HTTP status
  }
  return new ApiError(response.status, error.code ?? `HTTP_${response.status}`,
    error.message ?? response.statusText, error.fields ?? []);
}
