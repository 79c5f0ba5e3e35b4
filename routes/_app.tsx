/**
 * The HTML shell around every page.
 *
 * @module
 */

import { define } from "../utils.ts";

export default define.page(function App({ Component }) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>Deno real-time hub</title>
      </head>
      <body>
        <Component />
      </body>
    </html>
  );
});
