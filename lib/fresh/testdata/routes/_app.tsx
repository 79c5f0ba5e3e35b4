import { define } from "../utils.ts";

export default define.layout(function App({ Component }) {
  return (
    <html lang="en">
      <head>
        <title>fixture</title>
      </head>
      <body class="app">
        <Component />
      </body>
    </html>
  );
});
