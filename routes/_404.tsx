/**
 * The page for unknown URLs.
 *
 * @module
 */

import { define } from "../utils.ts";

export default define.page(function NotFound({ url }) {
  return (
    <main class="not-found">
      <section class="panel">
        <h1>Page not found</h1>
        <p>
          Nothing lives at <code>{url.pathname}</code>.
        </p>
        <p>
          <a href="/">Back to the hub</a>
        </p>
      </section>
    </main>
  );
});
