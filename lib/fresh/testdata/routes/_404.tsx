import { define } from "../utils.ts";

export default define.page(function NotFound({ url, error }) {
  return <h1 data-error={String(error)}>Not found: {url.pathname}</h1>;
});
