import { HttpError } from "fresh";
import { define } from "../utils.ts";

export default define.page(function ErrorPage({ error, state }) {
  const status = error instanceof HttpError ? error.status : 500;
  const message = error instanceof Error ? error.message : String(error);
  return (
    <main class="error-page">
      <h1>Error {status}</h1>
      <p class="message">{message}</p>
      <p class="trail">{state.trail?.join(",")}</p>
    </main>
  );
});
