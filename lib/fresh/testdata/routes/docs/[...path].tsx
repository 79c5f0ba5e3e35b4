import { define } from "../../utils.ts";

export default define.page(function Docs({ params }) {
  return <h1>Docs [{params.path}]</h1>;
});
